import { randomBytes } from 'node:crypto';
import { DatabaseUnavailableError, type StartedDatabase } from '../database/started-database.ts';
import type { SqlConnector, SqlSession } from './sql-session.ts';
import { oversoldSchemaSql } from './workspace-sql.ts';

export interface LabInfo {
  readonly source: StartedDatabase['source'];
  readonly serverVersion: string;
  /** Buyer sessions may lower deadlock_timeout (a superuser setting). */
  readonly superuser: boolean;
}

/**
 * The database that strategies run in: a scratch database created for this
 * process and dropped at the end, or, where the role may not create databases,
 * the given database itself (each strategy still gets its own schema).
 */
export class Lab implements AsyncDisposable {
  readonly connector: SqlConnector;
  readonly info: LabInfo;
  readonly #admin: SqlSession;
  readonly #scratch: string | null;
  #schemaSerial = 0;
  #closed = false;

  private constructor(connector: SqlConnector, info: LabInfo, admin: SqlSession, scratch: string | null) {
    this.connector = connector;
    this.info = info;
    this.#admin = admin;
    this.#scratch = scratch;
  }

  static async open(database: StartedDatabase, connect: (url: string) => SqlConnector): Promise<Lab> {
    const admin = await connectOrExplain(connect(database.url), database.url);
    try {
      const about = await admin.query(
        "SELECT current_setting('server_version') AS version, current_setting('is_superuser') = 'on' AS superuser",
      );
      const info: LabInfo = {
        source: database.source,
        serverVersion: String(about.rows[0]?.version ?? 'unknown').split(' ')[0]!,
        superuser: about.rows[0]?.superuser === true,
      };
      const name = `oversold_${process.pid}_${randomBytes(4).toString('hex')}`;
      let scratch: string | null = name;
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } catch (error) {
        if ((error as { code?: string }).code !== '42501') throw error;
        scratch = null; // no CREATEDB: work inside the given database
      }
      const connector = scratch ? connect(withDatabase(database.url, scratch)) : connect(database.url);
      const lab = new Lab(connector, info, admin, scratch);
      try {
        const installer = await connector.connect();
        try {
          // Serialise concurrent installs when several processes share one database.
          await installer.query(
            `BEGIN; SELECT pg_advisory_xact_lock(${0x4f560001}); ${oversoldSchemaSql} COMMIT;`,
          );
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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#scratch) {
      await this.#admin.query(`DROP DATABASE IF EXISTS ${this.#scratch} WITH (FORCE)`).catch(() => {});
    }
    await this.#admin.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function connectOrExplain(connector: SqlConnector, url: string): Promise<SqlSession> {
  try {
    return await connector.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(
      `cannot connect to PostgreSQL at ${redact(url)} (${reason}): start the server, or fix --database-url / DATABASE_URL`,
      { cause: error },
    );
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return decodeURIComponent(parsed.toString());
  } catch {
    return url;
  }
}
