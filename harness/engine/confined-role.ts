import { randomBytes } from 'node:crypto';
import type { SqlSession } from './sql-session.ts';

export interface ConfinedRoleOptions {
  /** The role's name: a scratch database's name, so that orphan clean-up finds it (lab.ts). */
  readonly name: string;
  /** The one database it may connect to. */
  readonly database: string;
  /** Longest an interleaving may take: the role's statement and idle timeouts are a margin above it. */
  readonly timeoutMs: number;
  readonly connectionLimit: number;
  /** Whether the admin is a superuser, who may pin superuser-only settings on the role. */
  readonly superuser: boolean;
}

/** Temporary files one session of the role may write (sorts, hashes): strategy code cannot fill the disk. */
const TEMP_FILE_LIMIT = '64MB';

/**
 * Creates a login role of no rights of its own for strategy code: NOSUPERUSER
 * NOCREATEDB NOCREATEROLE, no membership, CONNECT on `database` only (PUBLIC
 * loses it there), a connection limit and role-level statement, lock and
 * idle-in-transaction timeouts and a temp-file limit, which the role cannot
 * lift. Resolves to its password. Needs a superuser or CREATEROLE admin.
 */
export async function createConfinedRole(admin: SqlSession, options: ConfinedRoleOptions): Promise<string> {
  const { name, database } = options;
  const password = randomBytes(18).toString('hex');
  const margin = `${options.timeoutMs * 2}ms`;
  await admin.query(
    `CREATE ROLE ${name} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT CONNECTION LIMIT ${options.connectionLimit}`,
  );
  const settings = [
    `statement_timeout = '${margin}'`,
    `lock_timeout = '${margin}'`,
    `idle_in_transaction_session_timeout = '${margin}'`,
    // Superuser-only settings: an admin may pin them on the role; the role cannot change them.
    ...(options.superuser ? [`temp_file_limit = '${TEMP_FILE_LIMIT}'`, `deadlock_timeout = '10min'`] : []),
  ];
  for (const setting of settings) await admin.query(`ALTER ROLE ${name} SET ${setting}`);
  await admin.query(
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${name}`,
  );
  return password;
}

/** What the role needs in its database, run there by the admin after the harness's schema is installed. */
export function confinedDatabaseGrants(role: string): string {
  return `REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA oversold TO ${role};`;
}

/** Drops the role; its database must be gone first (or it must own nothing there). */
export async function dropConfinedRole(admin: SqlSession, name: string): Promise<void> {
  await admin.query(`DROP ROLE IF EXISTS ${name}`).catch(() => {});
}

/** The server's URL for `database`, as the given login (or the URL's own). */
export function urlFor(url: string, database: string, login?: { user: string; password: string }): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (login) {
    parsed.username = login.user;
    parsed.password = login.password;
  }
  return parsed.toString();
}
