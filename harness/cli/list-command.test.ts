import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.ts';
import { verdictSummary } from './list-command.ts';

describe('oversold list', () => {
  it('prints the bundled catalogue, one line per strategy, and exits 0', async () => {
    const result = await runCli(['list']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const line = (name: string) => lines.find((candidate) => candidate.startsWith(`${name} `));
    expect(line('naive-read-modify-write')).toMatch(
      /^naive-read-modify-write +tickets +oversells +Reads remaining, decides in code/,
    );
    // guarded-update declares no `expect`: list must not vouch for it.
    expect(line('guarded-update')).toMatch(/^guarded-update +tickets +no expectation +One UPDATE/);
    expect(line('nowait-sold-out')).toMatch(/ tickets +turns buyers away with stock left +FOR UPDATE NOWAIT/);
    expect(line('serializable-no-retry')).toMatch(
      / tickets +buyers see errors +Read-check-write at SERIALIZABLE/,
    );
    expect(line('plpgsql-lock-first')).toMatch(/ tickets +no expectation +A PL\/pgSQL purchase\(\)/);
    // One line per strategy file: no headers, no blank lines, every line has its four columns.
    expect(lines.length).toBeGreaterThanOrEqual(19);
    for (const each of lines) expect(each).toMatch(/^\S+ +\S+ +\S.* {2}\S/);
    // The columns line up.
    const scenarioColumn = new Set(lines.map((each) => each.search(/ (tickets|inventory) /)));
    expect(scenarioColumn.size).toBe(1);
  });

  it('lists only the paths given', async () => {
    const result = await runCli([
      'list',
      'strategies/select-for-update.ts',
      'strategies/plpgsql-lock-first.sql',
    ]);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .map((each) => each.split(/ +/)[0]),
    ).toEqual(['select-for-update', 'plpgsql-lock-first']);
  });

  it('exits 2 with one line for a path that does not exist', async () => {
    const result = await runCli(['list', 'strategies/no-such-strategy.ts']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^oversold: strategies\/no-such-strategy\.ts: no such file: check the path/),
    ]);
  });

  it('exits 2 with one line for a folder without strategies', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'oversold-list-'));
    try {
      await writeFile(join(folder, 'README.md'), 'not a strategy\n');
      const result = await runCli(['list', folder]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(/^oversold: no strategy files under .*oversold-list-/),
      ]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('verdictSummary', () => {
  it('names every property the strategy is expected to fail, in report order', () => {
    expect(verdictSummary({ 'no-oversell': true })).toBe('safe');
    expect(verdictSummary({ 'no-errors': false, 'no-oversell': false })).toBe('oversells, buyers see errors');
  });

  it('calls a strategy without expect "no expectation", not "safe"', () => {
    expect(verdictSummary({})).toBe('no expectation');
  });
});
