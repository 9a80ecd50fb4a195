import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';

// The real `oversold bench` in a child process; the last tests use the test run's PostgreSQL.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oversold-bench-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function oneLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !/DeprecationWarning|--trace-deprecation/.test(line));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('oversold bench: bad input', () => {
  it.each([
    [['--concurrency', '0'], /--concurrency takes numbers of buyers from 1 to 10000.*got '0'/],
    [['--concurrency', '1,-3'], /--concurrency takes numbers of buyers.*got '-3'/],
    [['--duration', '5'], /--duration takes a time with its unit.*got '5'/],
    [['--duration', '1s', '--purchases', '10'], /give --duration or --purchases, not both/],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const result = await runCli(['bench', ...args, '--database-url', 'postgresql://postgres@127.0.0.1:1/x']);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toMatch(message);
  });

  it('says in one line that the database is unreachable, and exits 2', async () => {
    const result = await runCli([
      'bench',
      'strategies/guarded-update.ts',
      '--duration',
      '300ms',
      '--database-url',
      'postgresql://postgres@127.0.0.1:1/postgres',
    ]);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toMatch(
      /^oversold: cannot connect to PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1:1\/postgres .*fix --database-url/,
    );
  });
});

describe('oversold bench on PostgreSQL', () => {
  it('prints the table and writes the JSON results and the SVG chart', async () => {
    const json = join(dir, 'bench.json');
    const svg = join(dir, 'bench.svg');
    const result = await runCli([
      'bench',
      'strategies/guarded-update.ts',
      '--concurrency',
      '1,2',
      '--duration',
      '300ms',
      '--bursts',
      '1',
      '--pgbench',
      '/nonexistent/pgbench',
      '--json',
      json,
      '--svg',
      svg,
      '--database-url',
      testDatabaseUrl(),
    ]);
    // Before it starts, one line: what it will measure and about how long it takes.
    expect(oneLine(result.stderr)).toBe(
      'bench: 1 strategy × 2 levels (1, 2 buyers), 0.3 s each, pgbench at 2 connections: about 7.6 s, plus set-up and 1 "last tickets" burst per level',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^strategy\s+buyers\s+purchases\/s/m);
    expect(result.stdout).toMatch(/^guarded-update\s+1\s/m);
    expect(result.stdout).toMatch(/^guarded-update\s+2\s/m);
    expect(result.stdout).toContain(
      'pgbench: not compared: no pgbench found (looked in /nonexistent/pgbench)',
    );
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report.results).toHaveLength(2);
    for (const row of report.results) {
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining([
          'strategy',
          'concurrency',
          'throughput',
          'p50Ms',
          'p95Ms',
          'p99Ms',
          'errors',
          'oversold',
        ]),
      );
      expect(row.strategy).toBe('guarded-update');
      expect(row.oversold).toBe(0);
    }
    expect(report.pgbench.available).toBe(false);
    // Not asked for: no run without contention.
    expect(report.results.every((row: { ceiling: unknown }) => row.ceiling === null)).toBe(true);
    const chart = await readFile(svg, 'utf8');
    expect(chart).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(chart).toContain('guarded-update');
  });

  it('runs only what was asked: no ceiling and no pgbench unless named', async () => {
    const json = join(dir, 'plain.json');
    const result = await runCli([
      'bench',
      'strategies/guarded-update.ts',
      '--concurrency',
      '1,2',
      '--duration',
      '200ms',
      '--bursts',
      '1',
      '--json',
      json,
      '--database-url',
      testDatabaseUrl(),
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(oneLine(result.stderr)).toMatch(
      /^bench: 1 strategy × 2 levels \(1, 2 buyers\), 0\.2 s each: about 0\.4 s/,
    );
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report.pgbench).toBeNull();
    expect(report.results.map((row: { ceiling: unknown }) => row.ceiling)).toEqual([null, null]);
    expect(result.stdout).toContain('pgbench: not compared (--pgbench to compare)');
  });
});
