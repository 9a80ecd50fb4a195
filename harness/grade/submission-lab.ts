import { randomBytes } from 'node:crypto';
import { onInterrupt } from '../database/exit-cleanup.ts';
import type { StartedDatabase } from '../database/started-database.ts';
import type { ConfinedRole, LabHandle, LabInfo } from '../engine/lab.ts';
import type { SqlConnector, SqlSession } from '../engine/sql-session.ts';
import { oversoldSchemaSql } from '../engine/workspace-sql.ts';

export interface SubmissionLabOptions {
  /** Longest an interleaving may take: the role's statement and idle timeouts are a margin above it. */
  readonly timeoutMs: number;
  /** Most buyers in any case: the role's connection limit is this plus setup's session and a spare. */
  readonly maxBuyers: number;
}

/** Temporary files one session of the role may write (sorts, hashes): a submission cannot fill the disk. */
const TEMP_FILE_LIMIT = '64MB';

/**
 * One submission's own database and login role. The role has no rights of its
 * own (NOSUPERUSER NOCREATEDB NOCREATEROLE, no membership), may connect to
 * this database only, owns nothing the harness made, and runs under statement,
 * lock and idle timeouts, a connection limit and a temp-file limit. The
 * harness's sessions (control, seeding, measuring) stay the server's admin.
 * Both are dropped at the end; names follow the scratch-database pattern, so a
 * crashed run's leftovers are dropped by the next oversold on the server.
 */
export class SubmissionLab implements LabHandle, AsyncDisposable {
  readonly connector: SqlConnector;
  readonly info: LabInfo;
  readonly confined: ConfinedRole;
  readonly #admin: SqlSession;
  readonly #name: string;
  readonly #unregister: () => void;
  #schemaSerial = 0;
  #closing: Promise<void> | undefined;

  private constructor(
    admin: SqlSession,
    name: string,
    connector: SqlConnector,
    confined: ConfinedRole,
    info: LabInfo,
  ) {
    this.#admin = admin;
    this.#name = name;
    this.connector = connector;
    this.confined = confined;
    this.info = info;
    this.#unregister = onInterrupt(() => this.close());
  }

  static async open(
    database: StartedDatabase,
    connect: (url: string) => SqlConnector,
    options: SubmissionLabOptions,
  ): Promise<SubmissionLab> {
    const name = `oversold_${process.pid}_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(18).toString('hex');
    // The owner session's name marks the database (and role) as in use: see lab.ts.
    const admin = await connect(database.url).connect({ applicationName: `oversold owner ${name}` });
    let created = false;
    try {
      const about = await admin.query("SELECT current_setting('is_superuser') = 'on' AS superuser");
      const superuser = about.rows[0]?.superuser === true;
      const margin = `${options.timeoutMs * 2}ms`;
      await admin.query(
        `CREATE ROLE ${name} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT CONNECTION LIMIT ${options.maxBuyers + 2}`,
      );
      created = true;
      const settings = [
        `statement_timeout = '${margin}'`,
        `lock_timeout = '${margin}'`,
        `idle_in_transaction_session_timeout = '${margin}'`,
        // Superuser-only settings: an admin may pin them on the role; the role cannot change them.
        ...(superuser ? [`temp_file_limit = '${TEMP_FILE_LIMIT}'`, `deadlock_timeout = '10min'`] : []),
      ];
      for (const setting of settings) await admin.query(`ALTER ROLE ${name} SET ${setting}`);
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.query(
        `REVOKE ALL ON DATABASE ${name} FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE ${name} TO ${name}`,
      );
      const connector = connect(withLogin(database.url, name));
      const installer = await connector.connect();
      try {
        await installer.query(
          `${oversoldSchemaSql}
           REVOKE ALL ON SCHEMA public FROM PUBLIC;
           GRANT USAGE ON SCHEMA oversold TO ${name};`,
        );
      } finally {
        await installer.close();
      }
      const confined: ConfinedRole = {
        role: name,
        connector: connect(withLogin(database.url, name, { user: name, password })),
      };
      return new SubmissionLab(admin, name, connector, confined, {
        source: database.source,
        serverVersion: await serverVersion(admin),
        superuser,
      });
    } catch (error) {
      if (created) await dropAll(admin, name);
      await admin.close();
      throw error;
    }
  }

  nextSchemaName(strategyName: string): string {
    this.#schemaSerial += 1;
    const slug = strategyName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .slice(0, 30);
    return `s${this.#schemaSerial}_${slug}`;
  }

  /** Drops the database (ending the role's sessions) and the role. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#unregister();
      await dropAll(this.#admin, this.#name);
      await this.#admin.close();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function dropAll(admin: SqlSession, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  await admin.query(`DROP ROLE IF EXISTS ${name}`).catch(() => {});
}

async function serverVersion(admin: SqlSession): Promise<string> {
  const result = await admin.query("SELECT current_setting('server_version') AS version");
  return String(result.rows[0]?.version ?? 'unknown').split(' ')[0]!;
}

/** The server's URL for `database`, as the given login (or the URL's own). */
function withLogin(url: string, database: string, login?: { user: string; password: string }): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (login) {
    parsed.username = login.user;
    parsed.password = login.password;
  }
  return parsed.toString();
}
