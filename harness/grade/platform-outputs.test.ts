import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleGradeReport, sampleSubmissions } from '../../test/fixtures/grade/sample-grade-report.ts';
import type { SubmissionGrade } from './grade-model.ts';
import { studentFolders, writePlatformOutputs } from './platform-outputs.ts';
import { toGithubClassroomResult, toGradescopeResults, toPrairieLearnResults } from './platform-results.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oversold-platform-outputs-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const { alice, bob, carol, dave } = sampleSubmissions;
const one = sampleGradeReport([bob]);
const all = sampleGradeReport();

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

describe('writePlatformOutputs', () => {
  it('writes the file itself when the report holds one submission', async () => {
    const dir = join(work, 'one');
    const files = {
      gradescope: join(dir, 'autograder/results/results.json'),
      prairielearn: join(dir, 'grade/results/results.json'),
      githubClassroom: join(dir, 'classroom.json'),
    };
    const lines = await writePlatformOutputs(one, files, {});
    expect(lines).toEqual([
      `Gradescope results: ${files.gradescope}`,
      `PrairieLearn results: ${files.prairielearn}`,
      `GitHub Classroom result: ${files.githubClassroom}`,
    ]);
    expect(await readJson(files.gradescope)).toEqual(
      toGradescopeResults(one, bob, { executionTimeSeconds: bob.durationMs / 1000 }),
    );
    expect(await readJson(files.prairielearn)).toEqual(toPrairieLearnResults(one, bob));
    expect(await readJson(files.githubClassroom)).toEqual(toGithubClassroomResult(one, bob));
  });

  it('passes showHidden on to PrairieLearn', async () => {
    const file = join(work, 'released', 'results.json');
    await writePlatformOutputs(one, { prairielearn: file, showHidden: true }, {});
    expect(await readJson(file)).toEqual(toPrairieLearnResults(one, bob, { showHidden: true }));
  });

  it('writes <dir>/<student>/results.json for each submission of a class', async () => {
    const dir = join(work, 'class');
    const lines = await writePlatformOutputs(all, { gradescope: dir }, {});
    expect(lines).toEqual([`Gradescope results: ${dir} (4 submissions, <student>/results.json each)`]);
    expect((await readdir(dir)).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    for (const grade of [alice, bob, carol, dave]) {
      expect(await readJson(join(dir, grade.student, 'results.json'))).toEqual(
        toGradescopeResults(all, grade, { executionTimeSeconds: grade.durationMs / 1000 }),
      );
    }
  });

  it('appends result=<base64> to $GITHUB_OUTPUT, keeping what earlier steps wrote', async () => {
    const output = join(work, 'github-output');
    await writeFile(output, 'earlier=1\n');
    const lines = await writePlatformOutputs(one, { githubClassroom: true }, { GITHUB_OUTPUT: output });
    expect(lines).toEqual(['GitHub Classroom result: the step output "result" (in $GITHUB_OUTPUT)']);
    const [earlier, result, end] = (await readFile(output, 'utf8')).split('\n');
    expect(earlier).toBe('earlier=1');
    expect(end).toBe('');
    const decoded = JSON.parse(Buffer.from(result?.replace(/^result=/, '') ?? '', 'base64').toString('utf8'));
    expect(decoded).toEqual(toGithubClassroomResult(one, bob));
  });

  it('refuses in one line what it cannot write', async () => {
    const file = join(work, 'a-file.json');
    await writeFile(file, '{}');
    const folder = join(work, 'a-folder');
    await mkdir(folder, { recursive: true });
    const refusals: [() => Promise<unknown>, string][] = [
      [
        () => writePlatformOutputs(one, { githubClassroom: true }, {}),
        '--github-classroom: GITHUB_OUTPUT is not set (it is inside a GitHub Actions step): run it in the workflow, or give a file, as in --github-classroom result.json',
      ],
      [
        () => writePlatformOutputs(all, { githubClassroom: true }, { GITHUB_OUTPUT: join(work, 'unused') }),
        '--github-classroom grades one submission per workflow run, but the report holds 4: give a folder instead, as in --github-classroom results/',
      ],
      [
        () => writePlatformOutputs(all, { prairielearn: file }, {}),
        `--prairielearn ${file} is a file, but the report holds 4 submissions: give a folder, to hold <student>/results.json for each`,
      ],
      [
        () => writePlatformOutputs(one, { gradescope: folder }, {}),
        `--gradescope ${folder} is a folder: give the file to write, as in --gradescope ${join(folder, 'results.json')}`,
      ],
      [
        () => writePlatformOutputs(sampleGradeReport([]), { gradescope: file }, {}),
        `--gradescope ${file}: the report holds no submission: nothing to write`,
      ],
    ];
    for (const [attempt, message] of refusals) await expect(attempt()).rejects.toThrow(message);
    expect(await readdir(folder)).toEqual([]);
  });
});

describe('studentFolders', () => {
  it('never leaves the folder, whatever the names, and gives each student its own', async () => {
    const names = [
      '../evil',
      '..',
      '.',
      '.hidden',
      'a/b',
      '/etc/passwd',
      'Bob',
      'bob',
      '',
      'José',
      'a b',
      'a_b',
    ];
    const grades: SubmissionGrade[] = names.map((student) => ({ ...alice, student }));
    const dir = join(work, 'hostile');
    const folders = studentFolders(dir, grades);
    expect([...folders.values()].map((folder) => folder.slice(dir.length + 1))).toEqual([
      '__evil',
      '_',
      '_-2',
      '_hidden',
      'a_b',
      '_etc_passwd',
      'Bob',
      'bob-2',
      '_-3',
      'José',
      'a_b-2',
      'a_b-3',
    ]);
    await writePlatformOutputs(sampleGradeReport(grades), { prairielearn: dir }, {});
    expect((await readdir(dir)).length).toBe(names.length);
    expect((await readdir(work)).filter((entry) => entry === 'evil' || entry === 'etc')).toEqual([]);
  });
});
