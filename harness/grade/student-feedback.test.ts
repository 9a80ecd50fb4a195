import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sampleAssignment,
  sampleCounterexample,
  sampleGradeReport,
  sampleSubmissions,
} from '../../test/fixtures/grade/sample-grade-report.ts';
import type { GradeReport, SubmissionGrade } from './grade-model.ts';
import { casesText, toFeedbackMarkdown, writeFeedbackFiles } from './student-feedback.ts';

const report = sampleGradeReport();
const { alice, bob, carol, dave } = sampleSubmissions;
const hidden = { showHidden: false };
const released = { showHidden: true };

/** The cells of a Markdown table row, splitting on `|` that is not escaped. */
function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map(cells);
}

describe('toFeedbackMarkdown', () => {
  it('shows the score over the tests shown, and how many points are not shown yet', () => {
    const markdown = toFeedbackMarkdown(report, bob, hidden);
    expect(markdown).toContain('**Score: 0 / 4**');
    expect(markdown).toContain('6 points from hidden tests are not shown yet.');
    expect(tableRows(markdown)).toEqual([
      ['Test', 'Points', 'What the points are for'],
      ['❌ No oversell: two buyers race for the last ticket', '0 / 4', 'never sells more than the stock'],
      ['Every buyer is told the truth', '– / 3', 'hidden until grades are released'],
      ['No undersell (hidden)', '– / 3', 'hidden until grades are released'],
    ]);
  });

  it('does not show what a hidden test found', () => {
    const markdown = toFeedbackMarkdown(report, bob, hidden);
    expect(markdown).not.toContain("told 'sold-out'");
    expect(markdown.match(/^## /gm)).toHaveLength(1);
  });

  it('shows every test once grades are released', () => {
    const markdown = toFeedbackMarkdown(report, bob, released);
    expect(markdown).toContain('**Score: 3 / 10**');
    expect(markdown).not.toContain('not shown yet');
    expect(markdown).not.toContain('hidden until grades are released');
    expect(markdown).toContain('## ❌ No undersell (hidden)');
    expect(markdown).toContain("buyer 2 was told 'sold-out' with 1 ticket left");
    expect(tableRows(markdown)[2]).toEqual([
      '✅ Every buyer is told the truth',
      '3 / 3',
      'every buyer gets exactly what it was told',
    ]);
  });

  it('gives a failed test its reason, anomaly, timeline and a replay command for the student’s own folder', () => {
    const markdown = toFeedbackMarkdown(report, bob, hidden);
    const section = markdown.slice(markdown.indexOf('## ❌ No oversell'));
    expect(section).toContain('\noversold: capacity 1, buyers 1 and 2 each bought the last ticket\n');
    expect(section).toContain('\nAnomaly: lost update: both buyers read sold = 0 before either wrote\n');
    // The console's timeline: one column per buyer, time going down.
    expect(section).toMatch(/buyer 1 +│ buyer 2/);
    expect(section).toMatch(/ 1 SELECT sold FROM events WHERE id = 1 → 1 row +│\n/);
    expect(section).toMatch(/ 2 +│ SELECT sold FROM events WHERE id = 1 → 1 row\n/);
    expect(section).toContain(
      '```sh\nnpx oversold replay purchase.ts --schedule "1 2 1 2" --capacity 1 --buyers 2 --quantity 1\n```',
    );
    expect(markdown).not.toContain('/submissions/bob');
  });

  it('quotes a file name with spaces in the replay command', () => {
    const spaced: SubmissionGrade = {
      ...bob,
      file: "/submissions/Jo O'Hara/my purchase.ts",
      tests: bob.tests.map((test) =>
        test.counterexample
          ? {
              ...test,
              counterexample: {
                ...test.counterexample,
                replay: `oversold replay '/submissions/Jo O'\\''Hara/my purchase.ts' --schedule "1 2" --capacity 1 --buyers 2`,
              },
            }
          : test,
      ),
    };
    expect(toFeedbackMarkdown(report, spaced, hidden)).toContain(
      `npx oversold replay 'my purchase.ts' --schedule "1 2" --capacity 1 --buyers 2\n`,
    );
  });

  it('puts an error that stopped the submission first, and repeats it for no test', () => {
    const markdown = toFeedbackMarkdown(report, carol, released);
    const lines = markdown.split('\n');
    expect(
      lines.indexOf(
        '> **Your submission could not be evaluated:** no purchase.ts or purchase.sql in the submission',
      ),
    ).toBe(2);
    expect(markdown).not.toContain('## ');
    expect(markdown).toContain('**Score: 0 / 10**');
  });

  it('says which tests were not run', () => {
    const markdown = toFeedbackMarkdown(report, dave, released);
    expect(markdown).toContain('**Score: 4 / 10**');
    expect(markdown).toContain(
      '## ❌ Every buyer is told the truth\n\nnot graded: the run ended before this test\n',
    );
  });

  it('full marks: no failure sections', () => {
    const markdown = toFeedbackMarkdown(report, alice, released);
    expect(markdown).toContain('**Score: 10 / 10**');
    expect(markdown).not.toContain('## ');
  });

  it('says what the points were for when the report carries the cases', () => {
    const ticketCase = {
      capacity: 1,
      buyers: [
        { id: 1, quantity: 1 },
        { id: 2, quantity: 1 },
      ],
    };
    const [first, second, third] = sampleAssignment.tests;
    const withCases: GradeReport = {
      ...report,
      assignment: {
        ...sampleAssignment,
        tests: [
          {
            ...first!,
            cases: {
              kind: 'generated',
              ranges: {
                capacity: { min: 1, max: 1 },
                buyers: { min: 2, max: 2 },
                quantity: { min: 1, max: 1 },
              },
              runs: 15,
            },
          },
          { ...second!, cases: { kind: 'fixed', cases: [{ case: ticketCase, schedule: '1 2' }] } },
          { ...third!, cases: { kind: 'explore', case: ticketCase, preemptions: 2, maxInterleavings: 100 } },
        ],
      },
    };
    expect(tableRows(toFeedbackMarkdown(withCases, bob, released)).map((row) => row[2])).toEqual([
      'What the points are for',
      'never sells more than the stock; 15 generated cases: capacity 1, 2 buyers, 1 unit each',
      'every buyer gets exactly what it was told; one fixed interleaving of capacity 1, 2 buyers',
      "never says 'sold-out' while enough is left; every interleaving of capacity 1, 2 buyers with up to 2 preemptions",
    ]);
  });

  it('lets no student-controlled text become Markdown or HTML', () => {
    const evil: SubmissionGrade = {
      ...carol,
      student: '<script>alert(1)</script> *x* | y',
      error: 'does not load: <img src=x onerror=alert(1)> | [link](http://x.example)',
    };
    const markdown = toFeedbackMarkdown(report, evil, hidden);
    expect(markdown).not.toMatch(/(?<!\\)<|(?<!\\)\]\(/);
    expect(markdown).toContain('\\<script\\>alert(1)\\</script\\> \\*x\\* \\| y');
    for (const row of tableRows(markdown)) expect(row).toHaveLength(3);
  });

  it('keeps SQL with backticks inside its code block', () => {
    const sql = 'SELECT 1 AS ```x```';
    const tricky: SubmissionGrade = {
      ...bob,
      tests: bob.tests.map((test) =>
        test.counterexample
          ? {
              ...test,
              counterexample: {
                ...sampleCounterexample,
                trace: [
                  { buyer: 1, event: 'sent', sql },
                  { buyer: 1, event: 'completed', sql, rowCount: 1 },
                ],
              },
            }
          : test,
      ),
    };
    const markdown = toFeedbackMarkdown(report, tricky, hidden);
    expect(markdown).toContain('````text\n');
    expect(markdown).toContain('\n````\n');
  });
});

describe('casesText', () => {
  it('words every kind of test', () => {
    expect(
      casesText({
        kind: 'generated',
        ranges: { capacity: { min: 1, max: 3 }, buyers: { min: 2, max: 3 }, quantity: { min: 1, max: 2 } },
        runs: 25,
      }),
    ).toBe('25 generated cases: capacity 1..3, 2..3 buyers, 1..2 units each');
    const inventory = {
      items: [{ id: 201, stock: 1 }],
      buyers: [
        { id: 1, lines: [] },
        { id: 2, lines: [] },
      ],
    };
    expect(casesText({ kind: 'explore', case: inventory, preemptions: 'all', maxInterleavings: 10 })).toBe(
      'every interleaving of 2 buyers',
    );
    expect(
      casesText({
        kind: 'fixed',
        cases: [
          { case: inventory, schedule: '' },
          { case: inventory, schedule: '2 1' },
        ],
      }),
    ).toBe('2 fixed interleavings (the first of 2 buyers)');
  });
});

describe('writeFeedbackFiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oversold-feedback-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one <student>.md per submission, inside the folder whatever the names', async () => {
    const escapee: SubmissionGrade = { ...alice, student: '../../outside' };
    const target = join(dir, 'feedback');
    const written = await writeFeedbackFiles(sampleGradeReport([alice, bob, escapee]), target, hidden);
    expect(written).toEqual([
      join(target, 'alice.md'),
      join(target, 'bob.md'),
      join(target, '__.._outside.md'),
    ]);
    expect((await readdir(target)).sort()).toEqual(['__.._outside.md', 'alice.md', 'bob.md']);
    expect(await readdir(dir)).toEqual(['feedback']);
    expect(await readFile(join(target, 'bob.md'), 'utf8')).toBe(toFeedbackMarkdown(report, bob, hidden));
  });
});
