import { randomBytes } from 'node:crypto';
import { onInterrupt } from '../database/exit-cleanup.ts';
import { redactUrl } from '../database/redact-url.ts';
import { DatabaseUnavailableError, type StartedDatabase } from '../database/started-database.ts';
import { confinedDatabaseGrants, createConfinedRole, dropConfinedRole, urlFor } from './confined-role.ts';
import type { SqlConnector, SqlSession } from './sql-session.ts';
import { oversoldSchemaSql } from './workspace-sql.ts';

export interface LabInfo {
  readonly source: StartedDatabase['source'];
  readonly serverVersion: string;
  /** Buyer sessions may lower deadlock_timeout (a superuser setting). */
  readonly superuser: boolean;
}

/**
 * Scratch databases are named `oversold_<pid>_<8 hex>`, and the admin session
 * that created one stays connected for its whole life with the application
 * name `oversold owner <database>`. While that session lives, the database is
 * in use; once it is gone (its process was killed, the connection was lost,
 * the server restarted) and nobody is connected, the database is an orphan.
 */
const scratchPattern = '^oversold_[0-9]+_[0-9a-f]{8}$';
const ownerPrefix = 'oversold owner ';

export interface LabOptions {
  /**
   * Run strategy code's SQL as a role of no rights of its own (check
   * --isolate): buyer sessions, setup() and .sql installs log in as it.
   */
  readonly confine?: { readonly timeoutMs: number; readonly connectionLimit: number };
}

/**
 * What a strategy's workspace needs of its lab: a connector to the lab's
 * database, what the lab learnt of the server, and fresh schema names. A
 * {@link Lab} is one; a worker thread attaches to its main thread's lab with
 * another (harness/check/attached-lab.ts).
 */
export interface LabHandle {
  readonly connector: SqlConnector;
  readonly info: LabInfo;
  /**
   * Set when the strategy's code must not run with the harness's rights
   * (grading): buyer sessions, setup() and a .sql strategy's install log in as
   * this role, which the workspace grants only what the scenario's tables need.
   */
  readonly confined?: ConfinedRole;
  nextSchemaName(strategyName: string): string;
}

/** A login role of no rights of its own, and how to connect as it. */
export interface ConfinedRole {
  readonly role: string;
  readonly connector: SqlConnector;
}

/**
 * The database that strategies run in: a scratch database created for this
 * process and dropped at the end (also on Ctrl-C; or by the next Lab.open on
 * the same server when this process dies), or, where the role may not create
 * databases, the given database itself (each strategy still gets its own schema).
 */
export class Lab implements LabHandle, AsyncDisposable {
  readonly connector: SqlConnector;
  readonly confined?: ConfinedRole;
  readonly info: LabInfo;
  readonly #admin: SqlSession;
  readonly #scratch: string | null;
  readonly #unregister: () => void;
  #schemaSerial = 0;
  #closing: Promise<void> | undefined;

  private constructor(
    connector: SqlConnector,
    info: LabInfo,
    admin: SqlSession,
    scratch: string | null,
    confined: ConfinedRole | undefined,
  ) {
    if (confined) this.confined = confined;
    this.connector = connector;
    this.info = info;
    this.#admin = admin;
    this.#scratch = scratch;
    this.#unregister = onInterrupt(() => this.close());
  }

  static async open(
    database: StartedDatabase,
    connect: (url: string) => SqlConnector,
    options: LabOptions = {},
  ): Promise<Lab> {
    const name = `oversold_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = await connectOrExplain(connect(database.url), database.url, `${ownerPrefix}${name}`);
    try {
      const about = await admin.query(
        "SELECT current_setting('server_version') AS version, current_setting('is_superuser') = 'on' AS superuser",
      );
      const info: LabInfo = {
        source: database.source,
        serverVersion: String(about.rows[0]?.version ?? 'unknown').split(' ')[0]!,
        superuser: about.rows[0]?.superuser === true,
      };
      await dropOrphans(admin);
      let scratch: string | null = name;
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } catch (error) {
        if ((error as { code?: string }).code !== '42501') throw error;
        scratch = null; // no CREATEDB: work inside the given database
      }
      const connector = scratch ? connect(withDatabase(database.url, scratch)) : connect(database.url);
      let confined: ConfinedRole | undefined;
      if (options.confine) {
        if (!scratch) {
          throw new DatabaseUnavailableError(
            `--isolate runs strategies' SQL as a role of its own, in a database of its own, and the role of ${redactUrl(database.url)} may not create databases: connect as a superuser (or a role with CREATEDB and CREATEROLE), or drop --isolate`,
          );
        }
        const password = await createConfinedRole(admin, {
          name,
          database: name,
          timeoutMs: options.confine.timeoutMs,
          connectionLimit: options.confine.connectionLimit,
          superuser: info.superuser,
        }).catch(async (error: unknown) => {
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
          if ((error as { code?: string }).code !== '42501') throw error;
          throw new DatabaseUnavailableError(
            `--isolate runs strategies' SQL as a role of its own, and the role of ${redactUrl(database.url)} may not create roles: connect as a superuser (or a role with CREATEROLE), or drop --isolate`,
            { cause: error },
          );
        });
        confined = { role: name, connector: connect(urlFor(database.url, name, { user: name, password })) };
      }
      const lab = new Lab(connector, info, admin, scratch, confined);
      try {
        const installer = await connector.connect();
        try {
          // Serialise concurrent installs when several processes share one database.
          await installer.query(
            `BEGIN; SELECT pg_advisory_xact_lock(${0x4f560001}); ${oversoldSchemaSql} COMMIT;`,
          );
          if (confined) await installer.query(confinedDatabaseGrants(confined.role));
        } finally {
          await installer.close();
        }
      } catch (error) {
        await lab.close();
        throw error;
      }
      return lab;
    } catch (error) {
      await admin.close();
      throw error;
    }
  }

  /** A fresh schema name for one strategy. */
  nextSchemaName(strategyName: string): string {
    this.#schemaSerial += 1;
    const slug = strategyName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .slice(0, 30);
    return `s${this.#schemaSerial}_${process.pid}_${slug}`;
  }

  /** Drops the scratch database; every caller (dispose, Ctrl-C) waits for the same, single close. */
  close(): Promise<void> {
    this.#closing ??= this.#drop();
    return this.#closing;
  }

  async #drop(): Promise<void> {
    this.#unregister();
    if (this.#scratch) {
      await this.#admin.query(`DROP DATABASE IF EXISTS ${this.#scratch} WITH (FORCE)`).catch(() => {});
    }
    if (this.confined) await dropConfinedRole(this.#admin, this.confined.role);
    await this.#admin.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Drops the scratch databases whose owner session is gone and that nobody
 * uses. A database the role may not drop (another user's) is left alone.
 */
export async function dropOrphans(admin: SqlSession): Promise<void> {
  const orphans = await admin.query(
    `SELECT d.datname FROM pg_database d
      WHERE d.datname ~ '${scratchPattern}'
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                         WHERE a.application_name = '${ownerPrefix}' || d.datname OR a.datname = d.datname)`,
  );
  for (const row of orphans.rows) {
    const name = String(row.datname);
    // The name matched the pattern above, so it needs no quoting.
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  }
  // Grading's per-submission roles carry their database's name (harness/grade/submission-lab.ts).
  const roles = await admin.query(
    `SELECT r.rolname FROM pg_roles r
      WHERE r.rolname ~ '${scratchPattern}'
        AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = r.rolname)
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                         WHERE a.application_name = '${ownerPrefix}' || r.rolname OR a.usename = r.rolname)`,
  );
  for (const row of roles.rows) {
    await admin.query(`DROP ROLE IF EXISTS ${String(row.rolname)}`).catch(() => {});
  }
}

async function connectOrExplain(
  connector: SqlConnector,
  url: string,
  applicationName: string,
): Promise<SqlSession> {
  try {
    return await connector.connect({ applicationName });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(
      `cannot connect to PostgreSQL at ${redactUrl(url)} (${reason}): start the server, or fix --database-url / DATABASE_URL`,
      { cause: error },
    );
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
