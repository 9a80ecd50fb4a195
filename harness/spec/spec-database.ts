import { randomBytes } from 'node:crypto';
import { redactUrl } from '../database/redact-url.ts';
import { openSpecConnection, type SpecConnection } from './spec-connection.ts';

/** A database made for one spec run, set up as pg_regress sets up `isolation_regression`. */
export interface SpecDatabase extends AsyncDisposable {
  readonly url: string;
  /** `15.18`: the expected outputs of PostgreSQL's suite hold for the major version they came from. */
  readonly serverVersion: string;
  readonly serverMajor: number;
  /** max_prepared_transactions: 0 means PREPARE TRANSACTION fails. */
  readonly maxPreparedTransactions: number;
  readonly availableExtensions: ReadonlySet<string>;
}

/**
 * pg_regress creates its databases from template0 and pins the settings that
 * change how values and messages print; the suite's expected outputs assume them.
 */
const databaseSettings = [
  "lc_messages TO 'C'",
  "lc_monetary TO 'C'",
  "lc_numeric TO 'C'",
  "lc_time TO 'C'",
  "bytea_output TO 'hex'",
  "timezone_abbreviations TO 'Default'",
];

/**
 * pg_isolation_regress runs every spec in `isolation_regression`, and some
 * specs name it (GRANT … ON DATABASE isolation_regression): take that name
 * when it is free, else a name of this process's own.
 */
async function createDatabase(admin: SpecConnection): Promise<string> {
  try {
    await admin.query('CREATE DATABASE isolation_regression TEMPLATE template0');
    return 'isolation_regression';
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // duplicate_database
  }
  const name = `oversold_spec_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
  return name;
}

/** Creates a scratch database on the server `url` names; disposing drops it. */
export async function openSpecDatabase(url: string): Promise<SpecDatabase> {
  let admin: SpecConnection;
  try {
    admin = await openSpecConnection(url, 'admin');
  } catch (error) {
    throw new Error(
      `cannot connect to ${redactUrl(url)} (${(error as Error).message}): start PostgreSQL or fix --database-url`,
      { cause: error },
    );
  }
  try {
    const about = await admin.query(
      "SELECT current_setting('server_version'), current_setting('server_version_num'), current_setting('max_prepared_transactions'), (SELECT string_agg(name, ',') FROM pg_available_extensions)",
    );
    const [version, versionNum, prepared, extensions] = about.last?.rows[0] ?? [];
    const name = await createDatabase(admin);
    for (const setting of databaseSettings) {
      // lc_messages needs a superuser; without one the server's own setting stays.
      await admin.query(`ALTER DATABASE ${name} SET ${setting}`).catch(() => {});
    }
    const scratch = new URL(url);
    scratch.pathname = `/${name}`;
    const drop = async (): Promise<void> => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.close();
    };
    return {
      url: scratch.toString(),
      serverVersion: String(version ?? '').split(' ')[0]!,
      serverMajor: Math.floor(Number(versionNum) / 10000),
      maxPreparedTransactions: Number(prepared),
      availableExtensions: new Set(String(extensions ?? '').split(',')),
      [Symbol.asyncDispose]: drop,
    };
  } catch (error) {
    await admin.close();
    throw error;
  }
}
