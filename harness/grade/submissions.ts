import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';

/** One student's submission: a file, or a folder holding the entry file. */
export interface Submission {
  /** The file's name without extension, or the folder's name. */
  readonly student: string;
  /** The file or folder as found. */
  readonly path: string;
  /** The strategy file to grade, or null when a folder holds none of the entry names. */
  readonly entry: string | null;
  /** Why there is no entry: one line for the student's feedback. */
  readonly problem: string | null;
}

const strategyExtensions = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.sql']);

/**
 * The submissions in a folder, one per file or sub-folder, sorted by student
 * (by code points, the same in every locale, so that shards and merged reports
 * agree). Hidden entries (`.git`, `.DS_Store`) are skipped. In a folder the
 * entry is the first of `entryNames` that exists.
 */
export async function findSubmissions(folder: string, entryNames: readonly string[]): Promise<Submission[]> {
  const root = resolve(folder);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) {
    throw new SubmissionsError(
      `${folder}: ${info ? 'is a file' : 'no such folder'}: give the folder that holds one file or folder per student`,
    );
  }
  const names = (await readdir(root)).filter((name) => !name.startsWith('.')).sort(byCodePoint);
  const found: Submission[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const path = join(root, name);
    const entryInfo = await stat(path).catch(() => null);
    if (!entryInfo) continue;
    const submission = entryInfo.isDirectory()
      ? await folderSubmission(name, path, entryNames)
      : fileSubmission(name, path);
    // bob.ts and bob/ would both be "bob": the second keeps its full name.
    const student = seen.has(submission.student) ? name : submission.student;
    seen.add(student);
    found.push({ ...submission, student });
  }
  return found.sort((a, b) => byCodePoint(a.student, b.student));
}

/** One folder that is itself the submission (Gradescope's /autograder/submission). */
export async function singleSubmission(
  folder: string,
  student: string,
  entryNames: readonly string[],
): Promise<Submission> {
  const path = resolve(folder);
  const info = await stat(path).catch(() => null);
  if (!info?.isDirectory()) {
    throw new SubmissionsError(`${folder}: no such folder: give the folder that holds the student's files`);
  }
  return { ...(await folderSubmission(student, path, entryNames)), student };
}

export class SubmissionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubmissionsError';
  }
}

export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function folderSubmission(
  name: string,
  path: string,
  entryNames: readonly string[],
): Promise<Submission> {
  for (const entry of entryNames) {
    const candidate = join(path, entry);
    if ((await stat(candidate).catch(() => null))?.isFile()) {
      return { student: name, path, entry: candidate, problem: null };
    }
  }
  return {
    student: name,
    path,
    entry: null,
    problem: `no strategy file found: name it ${entryNames.slice(0, 4).join(', ')}${entryNames.length > 4 ? ' or another name the assignment lists' : ''}`,
  };
}

function fileSubmission(name: string, path: string): Submission {
  const extension = extname(name);
  const student = basename(name, extension);
  if (!strategyExtensions.has(extension)) {
    return {
      student,
      path,
      entry: null,
      problem: `${name} is not a strategy file: submit a .ts, .js or .sql file (or a folder holding one)`,
    };
  }
  return { student, path, entry: path, problem: null };
}
