import { describe, expect, it } from 'vitest';
import { defaultCaseRanges } from '../../properties/case-ranges.ts';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import { main } from '../cli/main.ts';
import { exitCodeOf } from './report-model.ts';
import { runCheck } from './run-check.ts';

// `check --jobs K` on PostgreSQL: several strategies at once, each in its own
// worker thread and schema, and the same report as one at a time.

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

/** Checks the paths with `jobs`; also the order in which reports were handed on, and strategies named. */
async function check(paths: readonly string[], jobs: number) {
  const order: number[] = [];
  const named: number[] = [];
  const report = await runCheck({
    paths,
    database: { url: testDatabaseUrl() },
    runs: 30,
    seed: 7,
    ranges: defaultCaseRanges,
    properties: PROPERTY_NAMES,
    timeoutMs: 30_000,
    jobs,
    onStrategy: (_, index) => named.push(index),
    onReport: (_, index) => order.push(index),
  });
  return { report, order, named };
}

describe('check --jobs on PostgreSQL', () => {
  it('gives the same JSON report with --jobs 1 and --jobs 3, reports handed on in path order', async () => {
    // The slowest first: with three lanes the next ones finish before it and must wait for it.
    const paths = [
      'strategies/check-then-buy-later.ts',
      'strategies/naive-read-modify-write.ts',
      'strategies/select-for-update.ts',
      'strategies/guarded-update.ts',
      'strategies/count-then-insert.ts',
    ];
    const one = await check(paths, 1);
    const three = await check(paths, 3);
    // Files named one by one keep the order they were given in.
    expect(one.report.strategies.map((strategy) => strategy.file)).toEqual(paths);
    expect(withoutDurations(JSON.parse(JSON.stringify(three.report)))).toEqual(
      withoutDurations(JSON.parse(JSON.stringify(one.report))),
    );
    expect(one.order).toEqual([0, 1, 2, 3, 4]);
    expect(three.order).toEqual([0, 1, 2, 3, 4]);
    // The progress bar names the strategy whose report comes next: in order, skipping
    // those that finished while an earlier one was still running.
    expect(one.named).toEqual([0, 1, 2, 3, 4]);
    expect(three.named[0]).toBe(0);
    expect(three.named).toEqual([...new Set(three.named)].sort((a, b) => a - b));
  });

  it('still fails a strategy that oversells with no expectation, checked beside others', async () => {
    const { report, order } = await check(
      [
        'strategies/select-for-update.ts',
        'test/fixtures/strategies/update-from-subquery.ts',
        'strategies/guarded-update.ts',
      ],
      3,
    );
    const failing = report.strategies.find((strategy) => strategy.name === 'update-from-subquery');
    expect(failing?.passed).toBe(false);
    expect(
      failing?.properties.find((property) => property.name === 'no-oversell')?.counterexample,
    ).not.toBeNull();
    expect(report.passed).toBe(false);
    expect(exitCodeOf(report)).toBe(1);
    expect(order).toEqual([0, 1, 2]);
  });

  it('refuses a --jobs that is not a positive whole number, in one line, exit status 2', async () => {
    for (const value of ['0', '-1', '1.5', 'two']) {
      const errors: string[] = [];
      const code = await main(['check', 'strategies', '--jobs', value], {
        out: () => {},
        err: (text) => errors.push(text),
        env: {},
        width: 100,
        color: false,
      });
      expect(code).toBe(2);
      expect(errors.join('\n').trim().split('\n')).toEqual([
        `error: option '--jobs <k>' argument '${value}' is invalid. --jobs takes a whole number from 1 to 64, not '${value}'`,
      ]);
    }
  });
});
