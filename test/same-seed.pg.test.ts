import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';
import { testDatabaseUrl } from './support/test-lab.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oversold-same-seed-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The report without what may differ between two honest runs: how long things took. */
function withoutDurations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDurations);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'durationMs')
        .map(([key, inner]) => [key, withoutDurations(inner)]),
    );
  }
  return value;
}

describe('the same seed gives the same answer (regression: deadlock victims depended on timing)', () => {
  it('checks the whole catalogue twice with one seed and gets the same JSON report, durations aside', async () => {
    const reports: unknown[] = [];
    for (const name of ['first', 'second']) {
      const file = join(work, `${name}.json`);
      // 3–4 buyers and the inventory scenario's deadlocks are where timing used to leak in.
      const result = await runCli([
        'check',
        'strategies',
        '--seed',
        '11',
        '--runs',
        '25',
        '--buyers',
        '2..4',
        '--database-url',
        testDatabaseUrl(),
        '--json',
        file,
      ]);
      expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
      reports.push(withoutDurations(JSON.parse(await readFile(file, 'utf8'))));
    }
    expect(reports[1]).toEqual(reports[0]);
  });
});
