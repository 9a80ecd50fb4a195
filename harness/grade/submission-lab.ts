import { randomBytes } from 'node:crypto';
import { onInterrupt } from '../database/exit-cleanup.ts';
import type { StartedDatabase } from '../database/started-database.ts';
import {
  confinedDatabaseGrants,
  createConfinedRole,
  dropConfinedRole,
  urlFor,
} from '../engine/confined-role.ts';
import type { ConfinedRole, LabHandle, LabInfo } from '../engine/lab.ts';
import type { SqlConnector, SqlSession } from '../engine/sql-session.ts';
import { oversoldSchemaSql } from '../engine/workspace-sql.ts';

export interface SubmissionLabOptions {
  /** Longest an interleaving may take: the role's statement and idle timeouts are a margin above it. */
  readonly timeoutMs: number;
  /** Most buyers in any case: the role's connection limit is this plus setup's session and a spare. */
  readonly maxBuyers: number;
}

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
    // The owner session's name marks the database (and role) as in use: see lab.ts.
    const admin = await connect(database.url).connect({ applicationName: `oversold owner ${name}` });
    let created = false;
    try {
      const about = await admin.query("SELECT current_setting('is_superuser') = 'on' AS superuser");
      const superuser = about.rows[0]?.superuser === true;
      await admin.query(`CREATE DATABASE ${name}`);
      created = true;
      const password = await createConfinedRole(admin, {
        name,
        database: name,
        timeoutMs: options.timeoutMs,
        connectionLimit: options.maxBuyers + 2,
        superuser,
      });
      const connector = connect(urlFor(database.url, name));
      const installer = await connector.connect();
      try {
        await installer.query(`${oversoldSchemaSql} ${confinedDatabaseGrants(name)}`);
      } finally {
        await installer.close();
      }
      const confined: ConfinedRole = {
        role: name,
        connector: connect(urlFor(database.url, name, { user: name, password })),
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
  await dropConfinedRole(admin, name);
}

async function serverVersion(admin: SqlSession): Promise<string> {
  const result = await admin.query("SELECT current_setting('server_version') AS version");
  return String(result.rows[0]?.version ?? 'unknown').split(' ')[0]!;
}
