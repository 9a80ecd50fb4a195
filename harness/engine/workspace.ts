import type { Scenario } from '../scenarios/scenario.ts';
import { ControlSession } from './control-session.ts';
import { ConnectionLostError } from './errors.ts';
import type { LabHandle } from './lab.ts';
import { isConnectionLost, type SessionOptions, type SqlSession } from './sql-session.ts';
import { oversoldSchemaSql } from './workspace-sql.ts';

export interface BuyerSession {
  readonly session: SqlSession;
  /** This session's barrier slot: its backend pid, unique on the server. */
  readonly slot: number;
}

/**
 * Buyer sessions wait this long before PostgreSQL's own deadlock detector
 * runs. The engine breaks deadlocks itself as soon as it sees a stable cycle
 * (interleaving.ts), choosing the victim by the schedule, not by timing.
 */
const DEADLOCK_TIMEOUT = '10min';

/**
 * One strategy's schema, its control session and its buyer sessions. Buyer
 * sessions are opened on first use and kept across runs; between runs they are
 * reset, which costs one round trip, not a reconnection.
 */
export class Workspace implements AsyncDisposable {
  readonly schema: string;
  readonly control: ControlSession;
  readonly #lab: LabHandle;
  /** The harness's own functions as installed when this workspace opened. */
  #harnessPrint = '';
  readonly #buyers = new Map<number, BuyerSession>();
  /** Buyers whose sessions ran strategy code since their last reset. */
  readonly #dirty = new Set<number>();
  /** What closes with the workspace besides its sessions (a wire buyer's endpoints). */
  readonly #disposers: (() => Promise<void>)[] = [];
  #strategySession: Promise<SqlSession> | undefined;
  #closed = false;

  private constructor(lab: LabHandle, schema: string, control: ControlSession) {
    this.#lab = lab;
    this.schema = schema;
    this.control = control;
  }

  /**
   * Creates the schema with the scenario's tables. Each connection costs the
   * server a process start (about 10 ms on a small machine), so the control,
   * barrier and `buyers`' sessions are opened all at once, and the control
   * session makes the schema while the others are still connecting.
   */
  static async open(
    lab: LabHandle,
    strategyName: string,
    scenario: Scenario,
    options: { readonly buyers?: readonly number[] } = {},
  ): Promise<Workspace> {
    const schema = lab.nextSchemaName(strategyName);
    const buyerIds = options.buyers ?? [];
    const buyerConnector = lab.confined?.connector ?? lab.connector;
    const connecting = [
      lab.connector.connect({
        searchPath: `${schema}, public`,
        applicationName: 'oversold control',
        settings: HARNESS_SETTINGS,
      }),
      lab.connector.connect({ applicationName: 'oversold barriers', settings: HARNESS_SETTINGS }),
      ...buyerIds.map((id) => buyerConnector.connect(buyerSessionOptions(lab, schema, id, { forced: true }))),
    ];
    const [settled, made] = await Promise.all([
      Promise.allSettled(connecting),
      connecting[0]!
        .then((control) => makeSchema(lab, control, schema, scenario))
        .then(
          (print) => ({ print }),
          (error: unknown) => ({ error }),
        ),
    ]);
    const opened = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed || 'error' in made) {
      await Promise.all(opened.map((session) => session.close()));
      // The schema exists only if the control session connected.
      if (settled[0]!.status === 'fulfilled') await dropSchema(lab, schema);
      throw failed ? failed.reason : (made as { error: unknown }).error;
    }
    const [control, barrier, ...buyers] = opened as [SqlSession, SqlSession, ...SqlSession[]];
    const workspace = new Workspace(lab, schema, new ControlSession(control, barrier));
    workspace.#harnessPrint = made.print;
    buyers.forEach((session, index) => {
      workspace.#buyers.set(buyerIds[index]!, { session, slot: session.pid });
    });
    return workspace;
  }

  /**
   * Fails when the strategy changed or dropped the harness's own objects (the
   * `oversold` schema): a strategy that replaces `oversold.pause` could forge
   * its verdict. Call after the strategy's last run.
   */
  async verifyHarness(): Promise<string | null> {
    const now = await harnessFingerprint(this.control.session);
    return now === this.#harnessPrint
      ? null
      : "the strategy changed oversold's own functions (schema oversold, e.g. oversold.pause): a strategy must not create, replace or drop anything in the oversold schema";
  }

  /** The session of buyer `id`, opened on first use. */
  async buyer(id: number): Promise<BuyerSession> {
    const existing = this.#buyers.get(id);
    if (existing) return existing;
    const connector = this.#lab.confined?.connector ?? this.#lab.connector;
    const session = await connector.connect(this.buyerSessionOptions(id, { forced: true }));
    const buyer = { session, slot: session.pid };
    this.#buyers.set(id, buyer);
    return buyer;
  }

  /**
   * How buyer `id`'s sessions connect: its own, and the connections a wire
   * buyer opens through its gate (those are not `forced`: they do not stop at
   * `oversold.pause` barriers, whose slot is the session's pid).
   */
  buyerSessionOptions(id: number, { forced }: { forced: boolean }): SessionOptions {
    return buyerSessionOptions(this.#lab, this.schema, id, { forced });
  }

  /**
   * Where the strategy's own SQL outside purchase() runs (setup(), a .sql
   * strategy's install): the control session, or under a confined role a
   * session of that role, opened on first use.
   */
  async strategySession(): Promise<SqlSession> {
    if (!this.#lab.confined) return this.control.session;
    this.#strategySession ??= this.#lab.confined.connector.connect({
      searchPath: `${this.schema}, public`,
      applicationName: 'oversold strategy setup',
      settings: HARNESS_SETTINGS,
    });
    return this.#strategySession;
  }

  /** The server's URL, for connections a wire buyer opens on its own. */
  get serverUrl(): string {
    return this.#lab.connector.url;
  }

  /** Runs `dispose` first when the workspace closes (a wire buyer's endpoints and connections). */
  onClose(dispose: () => Promise<void>): void {
    this.#disposers.push(dispose);
  }

  /**
   * Ends what earlier runs left in any buyer session (open transactions,
   * session settings, session-level advisory locks), then marks these buyers
   * as about to run. A buyer idle in this run is reset too: its leftover
   * advisory lock could otherwise block this run's buyers.
   */
  async prepareBuyers(ids: readonly number[]): Promise<void> {
    const dirty = [...this.#dirty].flatMap((id) => {
      const buyer = this.#buyers.get(id);
      return buyer ? [{ id, buyer }] : [];
    });
    this.#dirty.clear();
    for (const id of ids) this.#dirty.add(id);
    await Promise.all(
      dirty.map(async ({ id, buyer }) => {
        try {
          // DISCARD ALL (settings, advisory locks, temp tables, prepared statements)
          // cannot run inside a transaction block; ROLLBACK first only when in one.
          if (buyer.session.inTransaction() !== false) await buyer.session.query('ROLLBACK');
          await buyer.session.query('DISCARD ALL');
        } catch (error) {
          const code = String((error as { code?: unknown }).code ?? '');
          if (!isConnectionLost(code)) throw error;
          throw new ConnectionLostError(
            `buyer ${id}'s connection to PostgreSQL was lost between runs (SQLSTATE ${code}: ${(error as Error).message}): something outside oversold ended its session (pg_terminate_backend, a server restart); check the server and run again`,
          );
        }
      }),
    );
  }

  /**
   * Before the first run, does once what a fresh backend otherwise does in
   * the middle of it, slowly: each buyer session builds its cache entries for
   * the workspace's tables and their indexes (planning `SELECT FROM t WHERE
   * false`, which reads no row and runs no code), the control session
   * prepares its questions about blocks, and the barrier session takes every
   * buyer's first barrier. On 2 cores a fresh backend's first purchase took
   * 6.6 ms against 2.7 ms after this (1.5 ms once warm). Changes nothing a run
   * sees: no row, lock or setting outlives these statements.
   */
  async warmUp(): Promise<void> {
    const buyers = [...this.#buyers.values()];
    const pids = buyers.map((buyer) => buyer.session.pid);
    await Promise.all([
      ...buyers.map((buyer) => buyer.session.query(WARM_UP_TABLES)),
      this.control.holdFirstBarriers(buyers.map((buyer) => buyer.slot)),
      (async () => {
        if (pids.length === 0) return;
        await this.control.blockers(pids);
        await this.control.blockers(pids, pids);
        await this.control.lockTarget(pids[0]!);
      })(),
    ]);
  }

  /** After an abandoned run: end these buyers' backends; new sessions open on next use. */
  async discardBuyers(ids: readonly number[]): Promise<void> {
    const doomed = ids.map((id) => this.#buyers.get(id)).filter((buyer) => buyer !== undefined);
    for (const id of ids) {
      this.#buyers.delete(id);
      this.#dirty.delete(id);
    }
    await this.control.terminate(doomed.map((buyer) => buyer.session.pid)).catch(() => {});
    await Promise.all(doomed.map((buyer) => buyer.session.close()));
    await this.control.dropBarriers().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const dispose of this.#disposers.splice(0)) await dispose().catch(() => {});
    const sessions = [...this.#buyers.values()].map((buyer) => buyer.session);
    this.#buyers.clear();
    const strategySession = await this.#strategySession?.catch(() => undefined);
    if (strategySession) sessions.push(strategySession);
    // Ended first, so that no transaction of theirs holds the schema's tables.
    await this.control.terminate(sessions.map((session) => session.pid)).catch(() => {});
    const dropped = await this.control.session.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`).then(
      () => true,
      () => false,
    );
    await Promise.all(
      [...sessions, this.control.session, this.control.barrier].map((session) => session.close()),
    );
    // The control session was lost: drop the schema from a new one.
    if (!dropped) await dropSchema(this.#lab, this.schema);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * What a confined role may do in its workspace: use the schema and create its
 * own objects there (a .sql strategy's function, setup()'s tables), and own
 * the scenario's tables and sequences in it, as a strategy's own migration
 * would (setup() may add a constraint or an index). The schema itself, the
 * harness's `oversold` schema and everything outside stay the admin's.
 */
function confinedGrants(schema: string, role: string): string {
  return `GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${role};
    DO $grant$
    DECLARE item record;
    BEGIN
      FOR item IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = '${schema}' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
                     -- A serial's sequence follows its table.
                     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                       AND d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
        EXECUTE format(CASE WHEN item.relkind = 'S' THEN 'ALTER SEQUENCE %I.%I OWNER TO %I'
                            ELSE 'ALTER TABLE %I.%I OWNER TO %I' END, '${schema}', item.relname, '${role}');
      END LOOP;
    END
    $grant$;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schema} TO ${role};`;
}

/**
 * Settings of every harness and buyer session. Durability is not under test,
 * and a commit that waits for its WAL flush only slows the run down (the
 * embedded server runs with fsync off): this changes no lock, snapshot or
 * visibility a buyer sees. A strategy may still SET it for itself.
 */
const HARNESS_SETTINGS: Readonly<Record<string, string>> = { synchronous_commit: 'off' };

function buyerSessionOptions(
  lab: LabHandle,
  schema: string,
  id: number,
  { forced }: { forced: boolean },
): SessionOptions {
  const settings: Record<string, string> = {
    ...HARNESS_SETTINGS,
    ...(forced ? { 'oversold.forced': 'on' } : {}),
  };
  // Without superuser rights the server's deadlock_timeout (1 s by default)
  // stays: the engine still breaks a cycle first unless the machine stalls.
  // A confined role got it from ALTER ROLE … SET instead.
  if (lab.info.superuser && !lab.confined) settings.deadlock_timeout = DEADLOCK_TIMEOUT;
  return { searchPath: `${schema}, public`, applicationName: `oversold buyer ${id}`, settings };
}

/**
 * Creates the schema with the harness's functions, the scenario's tables and
 * a confined role's grants; returns the harness's fingerprint.
 */
async function makeSchema(
  lab: LabHandle,
  control: SqlSession,
  schema: string,
  scenario: Scenario,
): Promise<string> {
  await control.query(`CREATE SCHEMA ${schema}`);
  // An earlier strategy may have replaced oversold.pause: put it back before this one runs.
  await control.query(
    `BEGIN; SELECT pg_advisory_xact_lock(${HARNESS_INSTALL_LOCK}); ${oversoldSchemaSql} COMMIT;`,
  );
  await control.query(scenario.schemaSql);
  if (lab.confined) await control.query(confinedGrants(schema, lab.confined.role));
  return harnessFingerprint(control);
}

/**
 * Plans a query on each table of the session's schema (the workspace's, first
 * on its search path) that it may read, in one round trip and without
 * PL/pgSQL. Tables with row-level security are left cold: planning one could
 * run a policy's function.
 */
const WARM_UP_TABLES = `SELECT count(query_to_xml(format('SELECT FROM %s WHERE false', c.oid::regclass), false, false, ''))
   FROM pg_class c
  WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
    AND NOT c.relrowsecurity AND has_table_privilege(c.oid, 'SELECT')`;

/** Same key as the lab's install lock: processes sharing one database install one at a time. */
const HARNESS_INSTALL_LOCK = 0x4f560001;

async function harnessFingerprint(session: SqlSession): Promise<string> {
  const result = await session.query(
    `SELECT coalesce(md5(string_agg(p.oid::text || ':' || p.proname || ':' || md5(p.prosrc) || ':' ||
            p.proowner::text || ':' || coalesce(p.proconfig::text, ''), ',' ORDER BY p.oid)), 'missing') AS print
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'oversold'`,
  );
  return String(result.rows[0]?.print ?? 'missing');
}

async function dropSchema(lab: LabHandle, schema: string): Promise<void> {
  const admin = await lab.connector.connect().catch(() => null);
  if (!admin) return;
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } catch {
    // The scratch database is dropped at the end anyway.
  } finally {
    await admin.close();
  }
}
