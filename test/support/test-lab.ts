import { inject } from 'vitest';
import { pgConnector } from '../../harness/database/pg-connector.ts';
import { Lab } from '../../harness/engine/lab.ts';

/** The run's shared PostgreSQL (see harness/vitest/global-setup.ts). */
export function testDatabaseUrl(): string {
  return inject('oversoldDatabaseUrl');
}

/** A scratch database on the shared server, dropped when disposed. */
export async function openTestLab(): Promise<Lab> {
  const url = testDatabaseUrl();
  return Lab.open(
    { source: 'url', url, stop: async () => {}, [Symbol.asyncDispose]: async () => {} },
    pgConnector,
  );
}
