import { startDatabase } from '../database/start-database.ts';
import type { StartedDatabase } from '../database/started-database.ts';
// Brings in the global setup's declaration of what it provides (`oversoldDatabaseUrl`),
// which `inject` below needs wherever this file is compiled without it.
import type {} from './global-setup.ts';

/**
 * The PostgreSQL a test uses, in this order: the URL given; the server the
 * global setup (`oversold/vitest-setup`) shares with the run; DATABASE_URL;
 * else an embedded server started for this call and stopped when disposed.
 */
export async function openTestDatabase(databaseUrl?: string): Promise<StartedDatabase> {
  const url = databaseUrl ?? (await providedDatabaseUrl()) ?? process.env.DATABASE_URL;
  return startDatabase(url ? { url } : { db: 'embedded' });
}

/**
 * The URL the global setup provided, when running under vitest with it. The
 * import is dynamic so that `oversold` itself never needs vitest installed.
 */
async function providedDatabaseUrl(): Promise<string | undefined> {
  try {
    const { inject } = await import('vitest');
    return inject('oversoldDatabaseUrl') || undefined;
  } catch {
    // Not inside a vitest worker, or vitest is not installed.
    return undefined;
  }
}
