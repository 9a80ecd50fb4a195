import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';

let url: string;
let work: string;
beforeAll(async () => {
  url = testDatabaseUrl();
  work = await mkdtemp(join(tmpdir(), 'oversold-divergence-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface JsonReport {
  strategies: {
    properties: Record<
      string,
      { counterexample: { schedule: string; replay: string; trace: unknown[] } | null }
    >;
  }[];
}

/** Splits a printed replay command into arguments (it quotes only the schedule). */
function replayArgs(command: string): string[] {
  const [head = '', schedule = '', tail = ''] = command.split('"');
  return [...head.trim().split(/\s+/).slice(1), schedule, ...tail.trim().split(/\s+/).filter(Boolean)];
}

describe('replay says where a run departs from the recorded one', () => {
  it('names the buyer, its state and the decision when the schedule cannot be followed (regression: blamed the schedule string)', async () => {
    // Buyer 2's SELECT … FOR UPDATE (decision 4) blocks behind buyer 1; decision 5 cannot release buyer 2.
    const result = await runCli([
      'replay',
      'strategies/select-for-update.ts',
      '--schedule',
      '1 1 2 2 2',
      '--capacity',
      '1',
      '--buyers',
      '2',
      '--database-url',
      url,
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stdout).toMatch(
      /the replay diverged at decision 5: --schedule releases buyer 2 there, but here buyer 2 is blocked by buyer 1 \(SELECT .* FOR UPDATE\)/,
    );
    // The partial timeline is printed above the report, with the wait.
    expect(result.stdout).toContain('the run up to where the schedule could not be followed');
    expect(result.stdout).toMatch(/<waiting on buyer 1/);
    expect(result.stdout).not.toMatch(/seed 0/);
  });

  it('--compare matches a faithful replay, and names the first differing event of a doctored record', async () => {
    const json = join(work, 'check.json');
    const checked = await runCli([
      'check',
      'strategies/naive-read-modify-write.ts',
      '--runs',
      '30',
      '--seed',
      '7',
      '--properties',
      'no-oversell',
      '--database-url',
      url,
      '--json',
      json,
    ]);
    // The strategy's expect names this failure, so the check passes (exit 0) with a counterexample.
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as JsonReport;
    const example = report.strategies[0]!.properties['no-oversell']!.counterexample!;

    const faithful = await runCli([...replayArgs(example.replay), '--database-url', url, '--compare', json]);
    expect(faithful.code, faithful.stdout + faithful.stderr).toBe(1);
    expect(faithful.stdout).not.toMatch(/diverged/);
    // The failing property prints the timeline once, inside its counterexample.
    expect(faithful.stdout.match(/^\s*buyer 1\s+│\s+buyer 2/gm)?.length ?? 0).toBeLessThanOrEqual(1);

    const doctored = structuredClone(report);
    const trace = doctored.strategies[0]!.properties['no-oversell']!.counterexample!.trace as {
      event: string;
      rowCount?: number;
    }[];
    const completed = trace.findIndex((event) => event.event === 'completed');
    trace[completed]!.rowCount = 99;
    const doctoredFile = join(work, 'doctored.json');
    await writeFile(doctoredFile, JSON.stringify(doctored));
    const diverged = await runCli([
      ...replayArgs(example.replay),
      '--database-url',
      url,
      '--compare',
      doctoredFile,
    ]);
    expect(diverged.code, diverged.stdout + diverged.stderr).toBe(2);
    expect(diverged.stdout).toContain(`diverged from the recorded run at event ${completed + 1}: recorded`);
  });
});
