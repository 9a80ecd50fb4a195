import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJson } from '../../reports/json-report.ts';
import { sampleGradeReport, sampleSubmissions } from '../../test/fixtures/grade/sample-grade-report.ts';
import { runCli } from '../../test/support/run-cli.ts';
import type { CheckReport, StrategyReport } from '../check/report-model.ts';
import type { GradeReport, SubmissionGrade } from '../grade/grade-model.ts';
import { toGradebookCsv } from '../grade/gradebook-csv.ts';
import { byStudent } from '../grade/merge-reports.ts';
import { toPrairieLearnResults } from '../grade/platform-results.ts';
import { inShard } from '../grade/shard.ts';
import { main } from './cli.ts';

// The real `oversold merge-reports` in a child process. It reads and writes
// files only: no PostgreSQL is involved.
let work: string;
const at = (name: string): string => join(work, name);

/** A class of 12, and what `oversold grade --shard i/4 --json` wrote for each shard. */
const { alice, bob, carol, dave } = sampleSubmissions;
const students: SubmissionGrade[] = Array.from({ length: 12 }, (_, index) => ({
  ...([alice, bob, carol, dave][index % 4] ?? alice),
  student: `student-${String(index).padStart(2, '0')}`,
}));
const whole = sampleGradeReport([...students].sort(byStudent));
const shards: GradeReport[] = [1, 2, 3, 4].map((index) => {
  const shard = { index, count: 4 };
  const submissions = whole.submissions.filter((submission) => inShard(submission.student, shard));
  return { ...whole, shard, submissions, durationMs: submissions.reduce((sum, s) => sum + s.durationMs, 0) };
});
const shardFiles = [1, 2, 3, 4].map((index) => `shard-${index}.json`);

function strategy(name: string, passed: boolean, error: string | null = null): StrategyReport {
  return {
    name,
    file: `/repo/strategies/${name}.ts`,
    description: null,
    scenario: 'tickets',
    passed: passed && error === null,
    error,
    interleavings: 12,
    durationMs: 300,
    properties: [{ name: 'no-oversell', passed, asExpected: passed, counterexample: null }],
  };
}

function checkReport(strategies: StrategyReport[]): CheckReport {
  return {
    passed: strategies.every((candidate) => candidate.passed),
    seed: 42,
    searched: {
      capacity: { min: 1, max: 3 },
      buyers: { min: 2, max: 3 },
      quantity: { min: 1, max: 2 },
      runs: 100,
      seed: 42,
    },
    database: { source: 'embedded', serverVersion: '18.1' },
    strategies,
  };
}

async function writeJson(name: string, value: unknown): Promise<string> {
  await writeFile(at(name), `${JSON.stringify(value, null, 2)}\n`);
  return at(name);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oversold-merge-reports-'));
  for (const [index, shard] of shards.entries()) await writeJson(shardFiles[index] ?? '', shard);
  await writeJson('check-linux.json', toJson(checkReport([strategy('guarded-update', true)])));
  await writeJson('check-macos.json', toJson(checkReport([strategy('naive', false)])));
  await writeJson('check-safe.json', toJson(checkReport([strategy('atomic', true)])));
  await writeJson('check-broken.json', toJson(checkReport([strategy('broken', false, 'did not load')])));
  await writeJson('other-assignment.json', {
    ...shards[2],
    assignment: { ...whole.assignment, title: 'Inventory', fingerprint: 'ab'.repeat(32) },
  });
  await writeJson('not-a-report.json', { hello: 'world' });
  await writeFile(at('notes.txt'), 'grades are due on Friday\n');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('oversold merge-reports (grade reports)', () => {
  it('merges the shards of a run into the gradebook the whole run would have written', async () => {
    const result = await runCli([
      'merge-reports',
      ...shardFiles.map(at),
      '--json',
      at('merged.json'),
      '--csv',
      at('grades.csv'),
      '--prairielearn',
      at('prairielearn'),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `gradebook JSON: ${at('merged.json')}`,
      `gradebook CSV: ${at('grades.csv')}`,
      `PrairieLearn results: ${at('prairielearn')} (12 submissions, <student>/results.json each)`,
      "merged 4 grade reports of 'Tickets: the last seat': 12 submissions, mean 4.25/10, 3 could not be evaluated",
    ]);
    expect(JSON.parse(await readFile(at('merged.json'), 'utf8'))).toEqual(whole);
    expect(await readFile(at('grades.csv'), 'utf8')).toBe(toGradebookCsv(whole));
    expect((await readdir(at('prairielearn'))).sort()).toEqual(students.map((grade) => grade.student).sort());
    const first = whole.submissions[0]!;
    expect(
      JSON.parse(await readFile(join(at('prairielearn'), first.student, 'results.json'), 'utf8')),
    ).toEqual(toPrairieLearnResults(whole, first));
  });

  it('says in one line, exit 2, what is wrong with the reports given', async () => {
    const refusals: [string[], string][] = [
      [
        [at('shard-1.json'), at('shard-2.json'), at('shard-4.json')],
        'oversold: shard 3/4 is missing: give the JSON report of every shard, 1/4 to 4/4',
      ],
      [
        [at('shard-1.json'), at('shard-2.json'), at('other-assignment.json'), at('shard-4.json')],
        `oversold: ${at('other-assignment.json')} grades another assignment than ${at('shard-1.json')} ('Inventory', sha256 abababababab… against 'Tickets: the last seat', f00dfeedf00d…): merge the shards of one assignment file`,
      ],
      [
        [at('shard-1.json'), at('shard-2.json'), at('shard-2.json'), at('shard-4.json')],
        `oversold: shard 2/4 is given twice: ${at('shard-2.json')} and ${at('shard-2.json')}`,
      ],
      [
        [at('shard-1.json'), at('not-a-report.json')],
        `oversold: ${at('not-a-report.json')}: not an oversold report (no "kind": "oversold-grade", no "strategies" list): give files written by 'oversold grade --json' or 'oversold check --json'`,
      ],
      [[at('notes.txt')], `oversold: ${at('notes.txt')}: not JSON (`],
      [[at('missing.json')], `oversold: ${at('missing.json')}: cannot read it (ENOENT`],
      [
        [at('shard-1.json'), at('check-linux.json')],
        `oversold: ${at('shard-1.json')} is a grade report but ${at('check-linux.json')} is a check report: merge reports of one kind`,
      ],
      [
        [...shardFiles.map(at), '--junit', at('junit.xml')],
        'oversold: --junit is for check reports, and these are grade reports: write --json, --csv, --html, --feedback',
      ],
      [
        [at('check-linux.json'), '--csv', at('grades.csv')],
        'oversold: --csv is for grade reports, and these are check reports: write --json, --junit, --markdown, --html',
      ],
      [[], "error: missing required argument 'files'"],
    ];
    for (const [args, message] of refusals) {
      const result = await runCli(['merge-reports', ...args]);
      expect(result.code, message).toBe(2);
      expect(result.stdout, message).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines, message).toHaveLength(1);
      expect(lines[0], message).toContain(message);
    }
  });
});

describe('oversold merge-reports (check reports)', () => {
  it('merges checks run on several machines into the reports check writes; exit 1 when one failed', async () => {
    const result = await runCli([
      'merge-reports',
      at('check-linux.json'),
      at('check-macos.json'),
      '--json',
      at('check-merged.json'),
      '--junit',
      at('check-merged.xml'),
      '--markdown',
      at('check-merged.md'),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('merged 2 check reports: 2 strategies');
    expect(result.stdout).toContain('1 passed, 1 failed');
    const merged = checkReport([strategy('guarded-update', true), strategy('naive', false)]);
    expect(JSON.parse(await readFile(at('check-merged.json'), 'utf8'))).toEqual(toJson(merged));
    expect(await readFile(at('check-merged.xml'), 'utf8')).toContain('naive');
    expect(await readFile(at('check-merged.md'), 'utf8')).toContain('guarded-update');
  });

  it('exits 0 when every merged check passed, 2 when a strategy could not be evaluated', async () => {
    const passed = await runCli(['merge-reports', at('check-linux.json'), at('check-safe.json')]);
    expect([passed.code, passed.stderr]).toEqual([0, '']);
    const broken = await runCli(['merge-reports', at('check-linux.json'), at('check-broken.json')]);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain('1 could not be evaluated');
  });
});

it('shows examples under --help, as they must be typed', async () => {
  let text = '';
  const io = {
    out: (line: string) => (text += `${line}\n`),
    err: () => {},
    env: { PATH: '' },
    width: 200,
    color: false,
  };
  expect(await main(['merge-reports', '--help'], io)).toBe(0);
  const examples = text.split('Examples:\n')[1]?.trimEnd().split('\n') ?? [];
  expect(examples.length).toBeGreaterThanOrEqual(2);
  for (const line of examples) expect(line).toMatch(/^ {2}npx oversold merge-reports /);
});
