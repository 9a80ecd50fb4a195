import { startDatabase } from '../database/start-database.ts';
import type { StartedDatabase } from '../database/started-database.ts';

/**
 * A vitest global setup that shares one PostgreSQL across a test run: the
 * server at DATABASE_URL when set, else one embedded server for the whole run.
 * Tests read its URL with `inject('oversoldDatabaseUrl')`. It never touches
 * vitest's exit status: the embedded server is oversold's own child process,
 * with no exit hooks (harness/database/exit-status.pg.test.ts).
 *
 *   // vitest.config.ts
 *   export default defineConfig({ test: { globalSetup: ['oversold/vitest-setup'] } });
 */
export default async function setup(project: {
  provide: (key: 'oversoldDatabaseUrl', value: string) => void;
}): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  const database: StartedDatabase = await startDatabase(url ? { url } : { db: 'embedded' });
  project.provide('oversoldDatabaseUrl', database.url);
  return () => database.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    oversoldDatabaseUrl: string;
  }
}
