import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleGradeReport, sampleSubmissions } from '../../test/fixtures/grade/sample-grade-report.ts';
import { readGradeReport, writeGradeOutputs } from './grade-outputs.ts';
import { toGradebookCsv } from './gradebook-csv.ts';
import { toFeedbackMarkdown } from './student-feedback.ts';

let folder: string;
let count = 0;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oversold-grade-outputs-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function freshFolder(): Promise<string> {
  const dir = join(folder, `case-${++count}`);
  await mkdir(dir);
  return dir;
}

const report = sampleGradeReport();

describe('writeGradeOutputs', () => {
  it('writes each requested file, making its folders, and says where each went', async () => {
    const dir = await freshFolder();
    const files = {
      json: join(dir, 'out/grades.json'),
      csv: join(dir, 'out/csv/grades.csv'),
      html: join(dir, 'html/gradebook.html'),
      feedback: join(dir, 'feedback/lab4'),
    };
    expect(await writeGradeOutputs(report, files)).toEqual([
      `gradebook JSON: ${files.json}`,
      `gradebook CSV: ${files.csv}`,
      `gradebook HTML: ${files.html}`,
      `student feedback: ${files.feedback} (4 files)`,
    ]);
    const json = await readFile(files.json, 'utf8');
    expect(json).toBe(`${JSON.stringify(report, null, 2)}\n`);
    expect(await readFile(files.csv, 'utf8')).toBe(toGradebookCsv(report));
    expect(await readFile(files.html, 'utf8')).toMatch(
      /^<!doctype html>[\s\S]*Gradebook: Tickets: the last seat/,
    );
    expect((await readdir(files.feedback)).sort()).toEqual(['alice.md', 'bob.md', 'carol.md', 'dave.md']);
  });

  it('writes nothing when nothing is asked for', async () => {
    const dir = await freshFolder();
    expect(await writeGradeOutputs(report, { showHidden: true })).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('passes showHidden to the feedback (hidden by default)', async () => {
    const dir = await freshFolder();
    await writeGradeOutputs(report, { feedback: join(dir, 'hidden') });
    await writeGradeOutputs(report, { feedback: join(dir, 'released'), showHidden: true });
    const { bob } = sampleSubmissions;
    expect(await readFile(join(dir, 'hidden/bob.md'), 'utf8')).toBe(
      toFeedbackMarkdown(report, bob, { showHidden: false }),
    );
    expect(await readFile(join(dir, 'released/bob.md'), 'utf8')).toBe(
      toFeedbackMarkdown(report, bob, { showHidden: true }),
    );
  });

  it('says "1 file" for a class of one', async () => {
    const dir = await freshFolder();
    const lines = await writeGradeOutputs(sampleGradeReport([sampleSubmissions.alice]), {
      feedback: join(dir, 'fb'),
    });
    expect(lines).toEqual([`student feedback: ${join(dir, 'fb')} (1 file)`]);
  });
});

describe('readGradeReport', () => {
  it('reads back what --json wrote', async () => {
    const dir = await freshFolder();
    const file = join(dir, 'grades.json');
    await writeGradeOutputs(report, { json: file });
    expect(await readGradeReport(file)).toEqual(report);
  });

  const hint = 'give the file written by oversold grade --json';
  it.each([
    [
      'not JSON',
      '{"kind": "oversold-grade",\n',
      /^F: not JSON \([^\n]*\): give the file written by oversold grade --json$/,
    ],
    ['not an object', '[1, 2]', `F: not a grade report (a JSON object was expected): ${hint}`],
    [
      'a check report',
      '{"passed": true, "strategies": []}',
      `F: not a grade report (no "kind", not "oversold-grade"): ${hint}`,
    ],
    [
      'another kind',
      '{"kind": "oversold-check"}',
      `F: not a grade report ("kind" is "oversold-check", not "oversold-grade"): ${hint}`,
    ],
    [
      'a later version',
      '{"kind": "oversold-grade", "version": 2}',
      'F: grade report version 2 is not supported (this oversold reads version 1): grade again with this version of oversold',
    ],
    [
      'no version',
      '{"kind": "oversold-grade"}',
      'F: grade report version (none) is not supported (this oversold reads version 1): grade again with this version of oversold',
    ],
    [
      'no submissions',
      '{"kind": "oversold-grade", "version": 1, "assignment": {}}',
      `F: the grade report has no "submissions" (cut short, or edited?): ${hint}`,
    ],
    [
      'nothing but the header',
      '{"kind": "oversold-grade", "version": 1}',
      `F: the grade report has no "assignment" or "submissions" (cut short, or edited?): ${hint}`,
    ],
  ])('refuses %s in one line', async (_, content, message) => {
    const dir = await freshFolder();
    const file = join(dir, 'grades.json');
    await writeFile(file, content);
    const error = await readGradeReport(file).then(
      () => null,
      (thrown: unknown) => thrown as Error,
    );
    expect(error).toBeInstanceOf(Error);
    const shown = error!.message.replace(file, 'F');
    if (typeof message === 'string') expect(shown).toBe(message);
    else expect(shown).toMatch(message);
  });

  it('refuses a file that is not there', async () => {
    const file = join(await freshFolder(), 'nope.json');
    await expect(readGradeReport(file)).rejects.toThrow(
      new RegExp(`^${file}: cannot read the grade report \\(ENOENT[^\\n]*\\): ${hint}$`),
    );
  });
});
