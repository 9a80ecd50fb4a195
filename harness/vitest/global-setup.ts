import { startDatabase } from '../database/start-database.ts';
import { DatabaseUnavailableError, type StartedDatabase } from '../database/started-database.ts';

/**
 * A vitest global setup that shares one PostgreSQL across a test run: the
 * server at DATABASE_URL when set, else one embedded server for the whole run.
 * Tests read its URL with `inject('oversoldDatabaseUrl')`. It never touches
 * vitest's exit status: the embedded server is oversold's own child process,
 * with no exit hooks (harness/database/exit-status.pg.test.ts).
 * OVERSOLD_PG_VERSION=15 runs the embedded server of that major instead
 * (13 to 18; it wins over DATABASE_URL, as --pg-version does).
 *
 *   // vitest.config.ts
 *   export default defineConfig({ test: { globalSetup: ['oversold/vitest-setup'] } });
 */
export default async function setup(project: {
  provide: (key: 'oversoldDatabaseUrl', value: string) => void;
}): Promise<() => Promise<void>> {
  const major = process.env.OVERSOLD_PG_VERSION;
  const url = process.env.DATABASE_URL;
  const database: StartedDatabase = await startDatabase(
    major ? { db: 'embedded', pgVersion: pgVersionOf(major) } : url ? { url } : { db: 'embedded' },
  );
  project.provide('oversoldDatabaseUrl', database.url);
  return () => database.stop();
}

function pgVersionOf(value: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new DatabaseUnavailableError(
      `OVERSOLD_PG_VERSION=${value}: give a PostgreSQL major from 13 to 18, as in OVERSOLD_PG_VERSION=15`,
    );
  }
  return Number(value);
}

declare module 'vitest' {
  export interface ProvidedContext {
    oversoldDatabaseUrl: string;
  }
}
