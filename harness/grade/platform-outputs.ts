import { appendFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { writeReportFile } from '../../reports/json-report.ts';
import type { GradeReport, SubmissionGrade } from './grade-model.ts';
import {
  githubClassroomOutputLine,
  toGithubClassroomResult,
  toGradescopeResults,
  toPrairieLearnResults,
} from './platform-results.ts';

/** The grading platforms' result files `oversold grade` (or merge-reports) was asked to write. */
export interface PlatformOutputFiles {
  /** `--gradescope`: results.json as Gradescope's autograder reads it. */
  readonly gradescope?: string | undefined;
  /** `--prairielearn`: results.json as PrairieLearn's external grader reads it. */
  readonly prairielearn?: string | undefined;
  /** `--github-classroom`: the reporter's JSON at this path, or `true`: its `result=` line appended to $GITHUB_OUTPUT. */
  readonly githubClassroom?: string | true | undefined;
  /** Details of hidden and not-yet-released tests too (PrairieLearn and GitHub Classroom show students all they get). */
  readonly showHidden?: boolean | undefined;
}

interface Platform {
  readonly flag: string;
  readonly title: string;
  readonly render: (report: GradeReport, grade: SubmissionGrade) => unknown;
}

/**
 * Writes each platform's results. These platforms grade one submission per
 * run: with one submission in the report the path is the file itself; with
 * several (a class run, a merged report) it is a folder holding
 * `<student>/results.json` for each. Returns one line per output, to print.
 */
export async function writePlatformOutputs(
  report: GradeReport,
  files: PlatformOutputFiles,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string[]> {
  const options = { showHidden: files.showHidden === true };
  const lines: string[] = [];
  const gradescope: Platform = {
    flag: '--gradescope',
    title: 'Gradescope results',
    render: (whole, grade) =>
      toGradescopeResults(whole, grade, { executionTimeSeconds: grade.durationMs / 1000 }),
  };
  const prairielearn: Platform = {
    flag: '--prairielearn',
    title: 'PrairieLearn results',
    render: (whole, grade) => toPrairieLearnResults(whole, grade, options),
  };
  const classroom: Platform = {
    flag: '--github-classroom',
    title: 'GitHub Classroom result',
    render: (whole, grade) => toGithubClassroomResult(whole, grade, options),
  };
  if (files.gradescope) lines.push(await writeResults(gradescope, report, files.gradescope));
  if (files.prairielearn) lines.push(await writeResults(prairielearn, report, files.prairielearn));
  if (files.githubClassroom === true) lines.push(await appendGithubOutput(report, env, options));
  else if (files.githubClassroom) lines.push(await writeResults(classroom, report, files.githubClassroom));
  return lines;
}

async function writeResults(platform: Platform, report: GradeReport, path: string): Promise<string> {
  const { submissions } = report;
  const [only] = submissions;
  if (!only) throw new Error(`${platform.flag} ${path}: the report holds no submission: nothing to write`);
  if (submissions.length === 1) {
    if ((await stat(path).catch(() => null))?.isDirectory()) {
      throw new Error(
        `${platform.flag} ${path} is a folder: give the file to write, as in ${platform.flag} ${join(path, 'results.json')}`,
      );
    }
    await writeReportFile(path, json(platform.render(report, only)));
    return `${platform.title}: ${path}`;
  }
  if ((await stat(path).catch(() => null))?.isFile()) {
    throw new Error(
      `${platform.flag} ${path} is a file, but the report holds ${submissions.length} submissions: give a folder, to hold <student>/results.json for each`,
    );
  }
  const folders = studentFolders(path, submissions);
  for (const grade of submissions) {
    await writeReportFile(
      join(folders.get(grade) ?? '', 'results.json'),
      json(platform.render(report, grade)),
    );
  }
  return `${platform.title}: ${path} (${submissions.length} submissions, <student>/results.json each)`;
}

async function appendGithubOutput(
  report: GradeReport,
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly showHidden: boolean },
): Promise<string> {
  const output = env.GITHUB_OUTPUT;
  if (!output) {
    throw new Error(
      '--github-classroom: GITHUB_OUTPUT is not set (it is inside a GitHub Actions step): run it in the workflow, or give a file, as in --github-classroom result.json',
    );
  }
  const [only, ...others] = report.submissions;
  if (!only || others.length > 0) {
    throw new Error(
      `--github-classroom grades one submission per workflow run, but the report holds ${report.submissions.length}: give a folder instead, as in --github-classroom results/`,
    );
  }
  await appendFile(output, `${githubClassroomOutputLine(toGithubClassroomResult(report, only, options))}\n`);
  return 'GitHub Classroom result: the step output "result" (in $GITHUB_OUTPUT)';
}

/**
 * A folder per submission, named after the student but safe as one path
 * segment: letters, digits, `.`, `_` and `-` only, not starting with a dot, and
 * distinct even where two names differ only in what was replaced or in case.
 * Student names come from file names and from report files: never trust them
 * as paths.
 */
export function studentFolders(
  dir: string,
  submissions: readonly SubmissionGrade[],
): Map<SubmissionGrade, string> {
  const root = resolve(dir);
  const taken = new Set<string>();
  const folders = new Map<SubmissionGrade, string>();
  for (const grade of submissions) {
    const base =
      grade.student
        .normalize('NFC')
        .replace(/[^\p{L}\p{N}._-]+/gu, '_')
        .replace(/^\.+/, '_')
        .slice(0, 100) || '_';
    let name = base;
    for (let copy = 2; taken.has(name.toLowerCase()); copy++) name = `${base}-${copy}`;
    taken.add(name.toLowerCase());
    const folder = join(root, name);
    // The replacement above already rules it out; this says why it must hold.
    if (relative(root, folder).startsWith('..') || !folder.startsWith(`${root}${sep}`)) {
      throw new Error(`student ${JSON.stringify(grade.student)}: its folder would fall outside ${dir}`);
    }
    folders.set(grade, folder);
  }
  return folders;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
