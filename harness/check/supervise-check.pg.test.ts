import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCaseRanges } from '../../properties/case-arbitrary.ts';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { openTestLab } from '../../test/support/test-lab.ts';
import type { Lab } from '../engine/lab.ts';
import { CheckWorkerThread } from './check-worker-thread.ts';
import { superviseCheck } from './supervise-check.ts';

// The supervisor against the run's PostgreSQL: after a worker ends abnormally,
// none of its sessions and no schema of it remain in the lab's database.
let lab: Lab;
let scratch: pg.Client;

beforeAll(async () => {
  lab = await openTestLab();
  scratch = new pg.Client({ connectionString: lab.connector.url });
  await scratch.connect();
});
afterAll(async () => {
  await scratch?.end();
  await lab?.close();
});

const options = {
  runs: 5,
  seed: 7,
  ranges: defaultCaseRanges,
  properties: PROPERTY_NAMES,
  timeoutMs: 2000,
  isolate: false,
};

/** Sessions in the lab's database other than this test's, and strategy schemas. */
async function leftovers(): Promise<string[]> {
  const sessions = await scratch.query<{ pid: number; application_name: string }>(
    'SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const schemas = await scratch.query<{ nspname: string }>(
    "SELECT nspname FROM pg_namespace WHERE nspname ~ '^s[0-9]+_'",
  );
  return [
    ...sessions.rows.map((row) => `session ${row.pid} (${row.application_name})`),
    ...schemas.rows.map((row) => `schema ${row.nspname}`),
  ];
}

describe('superviseCheck', () => {
  it.each([
    ['busy-loop', /hung: its code kept the JavaScript thread busy/],
    ['exits-in-purchase', /called process\.exit\(0\)/],
    ['throws-in-timer', /threw outside its promise/],
    ['setup-hangs', /setup\(\) did not finish within 2000 ms/],
  ])('leaves no session and no schema after %s', async (name, expected) => {
    const supervised = await superviseCheck(lab, new CheckWorkerThread(128), {
      ...options,
      path: `test/fixtures/hostile/${name}.ts`,
      schemaSerial: 1,
    });
    if (!('report' in supervised))
      throw new Error('a fresh thread cannot be disturbed by an earlier strategy');
    const { report } = supervised;
    expect(supervised.reusable).toBe(false);
    expect(report.error).toMatch(expected);
    expect(report.passed).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('returns the worker report of a correct strategy, its interleavings counted in the main thread', async () => {
    let ticks = 0;
    const thread = new CheckWorkerThread(128);
    const supervised = await superviseCheck(lab, thread, {
      ...options,
      path: 'test/fixtures/hostile/safe-update.ts',
      schemaSerial: 2,
      onInterleaving: () => {
        ticks += 1;
      },
    });
    if (!('report' in supervised))
      throw new Error('a fresh thread cannot be disturbed by an earlier strategy');
    const { report } = supervised;
    expect(supervised.reusable).toBe(true);
    expect(report).toMatchObject({ name: 'safe-update', passed: true, error: null });
    expect(ticks).toBe(report.interleavings);
    thread.terminate();
    await thread.exited;
    expect(await leftovers()).toEqual([]);
  });
});
