import { startDatabase } from '../database/start-database.ts';
import type { StartedDatabase } from '../database/started-database.ts';

/**
 * A vitest global setup that shares one PostgreSQL across a test run: the
 * server at DATABASE_URL when set, else one embedded server for the whole run.
 * Tests read its URL with `inject('oversoldDatabaseUrl')`.
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
