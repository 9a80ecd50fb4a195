import type { SqlSession } from './sql-session.ts';

/**
 * First key of the advisory locks that serve as SQL barriers: the first key is
 * this base plus the buyer's backend pid (unique on the server while the
 * session lives, so oversold processes sharing a database never collide); the
 * second counts the buyer's barriers within a run. `oversold.pause` waits on
 * the lowest one held for its pid (see workspace-sql.ts). Backend pids stay
 * below 2^22, so the sum fits an int4.
 */
export const BARRIER_KEY_BASE = 0x4f560000;

/** What {@link ControlSession.blockers} found. */
export interface Waits {
  /** For each pid asked about, the pids it waits for. */
  readonly blockers: Map<number, number[]>;
  /** For the pids asked to describe that wait on another session, what they wait for. */
  readonly targets: Map<number, string | undefined>;
}

/**
 * The harness's own sessions: `session` asks PostgreSQL who blocks whom (and
 * seeds and measures); `barrier` holds the advisory locks that park buyers at
 * SQL barriers. Two sessions, so that holding the barriers for the next run
 * costs no extra round trip before it.
 */
export class ControlSession {
  readonly session: SqlSession;
  readonly barrier: SqlSession;
  /** Which barrier of each slot the barrier session holds now. */
  readonly #held = new Map<number, number>();

  constructor(session: SqlSession, barrier: SqlSession) {
    this.session = session;
    this.barrier = barrier;
  }

  /** The pid a buyer parked at a barrier waits for. */
  get barrierPid(): number {
    return this.barrier.pid;
  }

  /**
   * For each pid, the pids it waits for: heavyweight locks (pg_blocking_pids)
   * and a SERIALIZABLE DEFERRABLE transaction's wait for a safe snapshot.
   * Together these are what PostgreSQL's isolation tester asks. For the
   * `describe` pids found waiting on someone other than the barrier session,
   * also what they wait for ({@link lockTarget}), in the same round trip: a
   * statement's first block is recorded with its lock.
   */
  async blockers(pids: readonly number[], describe: readonly number[] = []): Promise<Waits> {
    // Without pids to describe, the query names no function of the oversold
    // schema, which a spec's database does not have.
    const result =
      describe.length === 0
        ? await this.session.query(
            'SELECT pid, pg_blocking_pids(pid) || pg_safe_snapshot_blocking_pids(pid) AS blockers FROM unnest($1::int[]) AS pid',
            [pids],
            { prepare: 'oversold_blockers' },
          )
        : await this.session.query(
            `SELECT pid, blockers,
                    CASE WHEN pid = ANY($2::int[]) AND cardinality(blockers) > 0 AND NOT $3::int = ANY(blockers)
                         THEN oversold.lock_target(pid) END AS target
               FROM unnest($1::int[]) AS pid,
                    LATERAL (SELECT pg_blocking_pids(pid) || pg_safe_snapshot_blocking_pids(pid) AS blockers) AS waits`,
            [pids, describe, this.barrierPid],
            { prepare: 'oversold_blockers_described' },
          );
    const waits: Waits = { blockers: new Map(), targets: new Map() };
    for (const row of result.rows) {
      const pid = row.pid as number;
      const blockers = row.blockers as number[];
      waits.blockers.set(pid, blockers);
      if (describe.includes(pid) && blockers.length > 0 && !blockers.includes(this.barrierPid)) {
        waits.targets.set(pid, (row.target as string | null) ?? undefined);
      }
    }
    return waits;
  }

  /**
   * Holds the first barrier of each slot, dropping any other barrier lock.
   * Most runs pass no barrier, and then there is nothing to do.
   */
  async holdFirstBarriers(slots: readonly number[]): Promise<void> {
    const settled =
      slots.every((slot) => this.#held.get(slot) === 1) &&
      [...this.#held.values()].every((held) => held === 1);
    if (settled) return;
    await this.barrier.query(
      `SELECT pg_advisory_unlock_all(); SELECT pg_advisory_lock(${BARRIER_KEY_BASE} + slot, 1) FROM unnest(ARRAY[${slots.map(Number).join(',')}]::int[]) AS slot`,
    );
    this.#held.clear();
    for (const slot of slots) this.#held.set(slot, 1);
  }

  /** Drops every barrier lock (after an abandoned run). */
  async dropBarriers(): Promise<void> {
    this.#held.clear();
    await this.barrier.query('SELECT pg_advisory_unlock_all()');
  }

  /** Lets a parked buyer through barrier `held`, holding `held + 1` first so its next pause parks too. */
  async releaseBarrier(slot: number, held: number): Promise<void> {
    this.#held.set(slot, held + 1);
    await this.barrier.query(
      'SELECT pg_advisory_lock($1::int, $3::int), pg_advisory_unlock($1::int, $2::int)',
      [BARRIER_KEY_BASE + slot, held, held + 1],
    );
  }

  /**
   * What a blocked session waits for, in words: `events row (event_id=101)`,
   * `table items`, `advisory lock 7` (oversold.lock_target). `known` is the
   * answer {@link blockers} already brought, if it did.
   */
  async lockTarget(
    pid: number,
    known?: { readonly target: string | undefined },
  ): Promise<string | undefined> {
    if (known) return known.target;
    const result = await this.session.query('SELECT oversold.lock_target($1) AS target', [pid]);
    return (result.rows[0]?.target as string | null) ?? undefined;
  }

  /** The label a buyer parked with: `oversold.pause` puts it in application_name before waiting. */
  async barrierLabel(pid: number): Promise<string> {
    const result = await this.session.query('SELECT application_name FROM pg_stat_get_activity($1)', [pid]);
    const name = String(result.rows[0]?.application_name ?? '');
    return name.startsWith('oversold.pause:') ? name.slice('oversold.pause:'.length) : name;
  }

  /** The pids among these whose session is inside a transaction while idle. */
  async idleInTransaction(pids: readonly number[]): Promise<number[]> {
    if (pids.length === 0) return [];
    // pg_stat_get_activity(pid) reads one backend's entry; the pg_stat_activity view costs ~4 ms.
    const result = await this.session.query(
      "SELECT pid FROM unnest($1::int[]) AS pid WHERE (SELECT state FROM pg_stat_get_activity(pid)) LIKE 'idle in transaction%'",
      [pids],
    );
    return result.rows.map((row) => row.pid as number);
  }

  /** Cancels the statement this session runs (a deadlock's victim). */
  async cancel(pid: number): Promise<void> {
    await this.session.query('SELECT pg_cancel_backend($1)', [pid]);
  }

  /** Ends these sessions' backends (a hung buyer). */
  async terminate(pids: readonly number[]): Promise<void> {
    if (pids.length === 0) return;
    await this.session.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  }
}
