import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../../test/support/run-cli.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import type { GradeReport } from './grade-model.ts';
import { Sandbox } from './sandbox.ts';

// The real `oversold grade` in a child process, on examples/grading (a
// reference and five students), against the run's PostgreSQL. A full grade
// of the example takes 10–20 s, so the unsharded run is made once and the
// other runs are compared with it.

const sandboxWorks = await Sandbox.open({ memoryMb: 64, cpuSeconds: 10 }).then(
  async (sandbox) => {
    await sandbox.close();
    return true;
  },
  () => false,
);
// .ci/run installs bubblewrap, so CI always grades in the sandbox; a machine
// without it still tests the command, with the students' code unconfined.
const sandboxArgs = sandboxWorks || process.env.CI === 'true' ? [] : ['--unsafe-no-sandbox'];

const example = 'examples/grading';
const assignment = `${example}/assignment.json`;
const submissions = `${example}/submissions`;
const students = ['alice', 'bob', 'carol', 'dave', 'erin'];
/** Grading the whole example, one submission after another, can take a while on a loaded machine. */
const slow = 300_000;

let url: string;
let work: string;
const at = (name: string): string => join(work, name);

/** `oversold grade ARGS` on the run's PostgreSQL. */
function grade(args: readonly string[], env: Record<string, string | undefined> = {}) {
  return runCli(['grade', ...args, '--database-url', url, ...sandboxArgs], env);
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** The report without what depends on the machine's speed: every duration and execution time. */
function withoutTimings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimings);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !/duration|execution_?time|elapsed/i.test(key))
      .map(([key, inner]) => [key, withoutTimings(inner)]),
  );
}

/** The one line a usage error prints, checked to be alone on stderr with exit code 2. */
function oneLineError(result: { code: number | null; stdout: string; stderr: string }): string {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

beforeAll(async () => {
  url = testDatabaseUrl();
  work = await mkdtemp(join(tmpdir(), 'oversold-grade-command-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('oversold grade on examples/grading', () => {
  let whole: Awaited<ReturnType<typeof runCli>>;
  let report: GradeReport;
  let csv: string;

  beforeAll(async () => {
    whole = await grade([
      submissions,
      '--assignment',
      assignment,
      '--jobs',
      '1',
      '--json',
      at('grades.json'),
      '--csv',
      at('grades.csv'),
      '--html',
      at('grades.html'),
      '--feedback',
      at('feedback'),
    ]);
    report = await readJson<GradeReport>(at('grades.json'));
    csv = await readFile(at('grades.csv'), 'utf8');
  }, slow);

  it("exits 0 and prints each student's line and the class summary", () => {
    expect(whole.stderr).toBe('');
    expect(whole.code).toBe(0);
    const lines = whole.stdout.trimEnd().split('\n');
    for (const [student, score] of [
      ['alice', '15/15'],
      ['bob', '3/15'],
      ['carol', '15/15'],
      ['dave', '0/15'],
      ['erin', '3/15'],
    ] as const) {
      expect(lines.filter((line) => line.startsWith(`${student}  ${score}  (`))).toHaveLength(1);
    }
    expect(whole.stdout).toMatch(/^dave {2}0\/15 {2}\([\d.]+ s\) {2}does not compile \(purchase\.js:/m);
    expect(whole.stdout).toMatch(/^bob {2}3\/15 .*oversell-two-buyers: capacity 1;/m);
    expect(lines.at(-1)).toMatch(
      /^graded 5 submissions in [\d.]+ s: mean 7\.2\/15, median 3; (sandbox: bubblewrap|no sandbox \(--unsafe-no-sandbox\)); PostgreSQL [\d.]+ \(url\)$/,
    );
  });

  it('writes the gradebook CSV: full marks for alice and carol, bob and erin fail the oversell tests, dave 0 as not compiling', () => {
    const rows = csv.trimEnd().split(/\r?\n/);
    const testIds = report.assignment.tests.map((test) => test.id);
    expect(rows[0]).toBe(['student', 'score', 'max', ...testIds, 'error'].join(','));
    expect(testIds).toEqual([
      'oversell-two-buyers',
      'oversell-three-buyers',
      'honest-outcome',
      'no-errors',
      'oversell-both-start',
      'oversell-every-interleaving',
    ]);
    expect(rows.slice(1, 3)).toEqual(['alice,15,15,4,3,2,1,2,3,', 'bob,3,15,0,0,2,1,0,0,']);
    expect(rows[3]).toBe('carol,15,15,4,3,2,1,2,3,');
    expect(rows[4]).toMatch(/^dave,0,15,0,0,0,0,0,0,"does not compile \(purchase\.js:/);
    expect(rows[5]).toBe('erin,3,15,0,0,2,1,0,0,');
    expect(rows).toHaveLength(6);
    const erin = report.submissions.find((submission) => submission.student === 'erin');
    const failed = erin?.tests.filter((test) => !test.passed).map((test) => test.id);
    expect(failed).toEqual(testIds.filter((id) => id.startsWith('oversell')));
  });

  it('writes the HTML overview naming every student', async () => {
    const html = await readFile(at('grades.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    for (const student of students) expect(html).toContain(student);
  });

  it('writes one feedback file per student, without the details of hidden tests', async () => {
    expect((await readdir(at('feedback'))).sort()).toEqual(students.map((student) => `${student}.md`));
    const bob = await readFile(at('feedback/bob.md'), 'utf8');
    // Named in the table, as what the points are for; its result and interleaving are not shown.
    expect(bob).toContain('No oversell: both buyers start before either finishes');
    expect(bob).toContain('hidden until grades are released');
    expect(bob).not.toMatch(/^## .*No oversell: both buyers start before either finishes/m);
    expect(bob).toMatch(/^## ❌ No oversell: two buyers race for the last ticket/m);
  });

  it(
    'gives the same grades with --jobs 2, and --show-hidden releases the hidden tests in feedback',
    async () => {
      const result = await grade([
        submissions,
        '--assignment',
        assignment,
        '--jobs',
        '2',
        '--json',
        at('jobs-2.json'),
        '--feedback',
        at('feedback-released'),
        '--show-hidden',
      ]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(withoutTimings(await readJson(at('jobs-2.json')))).toEqual(withoutTimings(report));
      const bob = await readFile(at('feedback-released/bob.md'), 'utf8');
      expect(bob).toMatch(/^## ❌ No oversell: both buyers start before either finishes/m);
      expect(bob).not.toContain('hidden until grades are released');
    },
    slow,
  );

  it(
    'grades shard 1/2 and 2/2 that merge-reports joins into the unsharded JSON and CSV',
    async () => {
      const shards: string[] = [];
      for (const index of [1, 2]) {
        const file = at(`shard-${index}.json`);
        const result = await grade([
          submissions,
          '--assignment',
          assignment,
          '--shard',
          `${index}/2`,
          '--json',
          file,
        ]);
        expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
        expect(result.stdout).toContain(`(shard ${index}/2)`);
        shards.push(file);
      }
      const graded = await Promise.all(
        shards.map(async (file) => (await readJson<GradeReport>(file)).submissions.map((s) => s.student)),
      );
      // Both shards have students, none twice: the merge has something to do.
      expect(graded.every((names) => names.length > 0)).toBe(true);
      expect(graded.flat().sort()).toEqual(students);
      const merged = await runCli([
        'merge-reports',
        ...shards,
        '--json',
        at('merged.json'),
        '--csv',
        at('merged.csv'),
      ]);
      expect({ code: merged.code, stderr: merged.stderr }).toEqual({ code: 0, stderr: '' });
      expect(withoutTimings(await readJson(at('merged.json')))).toEqual(withoutTimings(report));
      expect(await readFile(at('merged.csv'), 'utf8')).toBe(csv);
    },
    slow,
  );
});

describe('oversold grade --submission DIR for one student (platform modes)', () => {
  const erin = `${submissions}/erin`;

  it(
    '--gradescope FILE writes results.json as Gradescope reads it',
    async () => {
      const file = at('gradescope/results.json');
      const result = await grade(['--assignment', assignment, '--submission', erin, '--gradescope', file]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout).toContain(`Gradescope results: ${file}`);
      const results = await readJson<{
        score: number;
        tests: { name: string; score: number; max_score: number; visibility: string }[];
      }>(file);
      expect(results.score).toBe(3);
      expect(results.tests).toHaveLength(6);
      for (const test of results.tests) {
        expect(test).toEqual(
          expect.objectContaining({
            name: expect.any(String),
            score: expect.any(Number),
            max_score: expect.any(Number),
            visibility: expect.stringMatching(/^(visible|hidden|after_due_date|after_published)$/),
          }),
        );
      }
      expect(results.tests.reduce((sum, test) => sum + test.max_score, 0)).toBe(15);
      expect(results.tests.reduce((sum, test) => sum + test.score, 0)).toBe(results.score);
      expect(results.tests.map((test) => test.visibility)).toContain('hidden');
    },
    slow,
  );

  it(
    '--prairielearn FILE writes a gradable result scored from 0 to 1',
    async () => {
      const file = at('prairielearn/results.json');
      const result = await grade(['--assignment', assignment, '--submission', erin, '--prairielearn', file]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const results = await readJson<{ gradable: boolean; score: number }>(file);
      expect(results.gradable).toBe(true);
      expect(results.score).toBeGreaterThanOrEqual(0);
      expect(results.score).toBeLessThanOrEqual(1);
      expect(results.score).toBeCloseTo(3 / 15, 5);
    },
    slow,
  );

  it(
    "--github-classroom appends the reporter's result=<base64> to $GITHUB_OUTPUT",
    async () => {
      const output = at('github-output');
      await writeFile(output, 'earlier=kept\n');
      const result = await grade(
        ['--assignment', assignment, '--submission', `${submissions}/carol`, '--github-classroom'],
        { GITHUB_OUTPUT: output },
      );
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const lines = (await readFile(output, 'utf8')).trimEnd().split('\n');
      expect(lines[0]).toBe('earlier=kept');
      const encoded = lines.filter((line) => line.startsWith('result='));
      expect(encoded).toHaveLength(1);
      const decoded = JSON.parse(
        Buffer.from(encoded[0]!.slice('result='.length), 'base64').toString('utf8'),
      ) as { max_score: number; tests: unknown[] };
      expect(decoded.max_score).toBe(15);
      expect(decoded.tests).toHaveLength(6);
    },
    slow,
  );
});

describe('oversold grade errors: one line on stderr, exit 2', () => {
  it('needs --assignment', async () => {
    expect(oneLineError(await grade([submissions]))).toMatch(/^oversold: grade needs --assignment FILE/);
  });

  it('names a submissions folder that does not exist', async () => {
    const missing = at('no-such-folder');
    const line = oneLineError(await grade([missing, '--assignment', assignment]));
    expect(line).toBe(
      `oversold: ${missing}: no such folder: give the folder that holds one file or folder per student`,
    );
  });

  it('names the assignment file and its bad field', async () => {
    const json = await readJson<{ tests: { points: unknown }[] }>(join(repoRoot, assignment));
    json.tests[0]!.points = 'four';
    const file = at('bad-points.json');
    await writeFile(file, JSON.stringify(json));
    const line = oneLineError(await grade([submissions, '--assignment', file]));
    expect(line).toContain(`${file}: tests[0].points: must be a positive number (got "four")`);
  });

  it(
    'refuses to grade when the reference solution fails, naming it and its score',
    async () => {
      const json = await readJson<Record<string, unknown>>(join(repoRoot, assignment));
      const reference = join(repoRoot, 'strategies/naive-read-modify-write.ts');
      const file = at('racy-reference.json');
      await writeFile(file, JSON.stringify({ ...json, reference }));
      const line = oneLineError(await grade([submissions, '--assignment', file]));
      expect(line).toMatch(
        new RegExp(
          `^oversold: the reference solution ${reference.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} scores 3/15 \\(test oversell-two-buyers: .*fix the reference or the assignment`,
        ),
      );
    },
    slow,
  );

  it('rejects --shard 3/2', async () => {
    const line = oneLineError(await grade([submissions, '--assignment', assignment, '--shard', '3/2']));
    expect(line).toBe('oversold: --shard 3/2: the index is above the count; use 1/2 to 2/2');
  });
});
