import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { CheckReport } from '../harness/check/report-model.ts';
import { writeJsonReport } from './json-report.ts';

/** The report files a command was asked for (`--json`, `--junit`, `--markdown`, `--html`). */
export interface ReportFiles {
  readonly json?: string | undefined;
  readonly junit?: string | undefined;
  readonly markdown?: string | undefined;
  readonly html?: string | undefined;
}

type Writer = (file: string, report: CheckReport) => Promise<void>;

// Each writer loads its module (and its libraries) only when its report is asked for.
const writers: Partial<Record<keyof ReportFiles, Writer>> = {
  json: writeJsonReport,
  junit: async (file, report) => (await import('./junit-report.ts')).writeJunitReport(file, report),
  markdown: async (file, report) => (await import('./markdown-report.ts')).writeMarkdownReport(file, report),
  html: async (file, report) => (await import('./html-report.ts')).writeHtmlReport(file, report),
};

/** Lets a report format plug in its writer (JUnit, Markdown, HTML live in their own files). */
export function registerReportWriter(format: keyof ReportFiles, writer: Writer): void {
  writers[format] = writer;
}

const titles: Record<keyof ReportFiles, string> = {
  json: 'JSON report',
  junit: 'JUnit report',
  markdown: 'Markdown report',
  html: 'HTML report',
};

/** `JSON report: r.json`, one line per file written, to print after writing them. */
export function reportFileLines(files: ReportFiles): string[] {
  return requested(files).map(([format, file]) => `${titles[format]}: ${file}`);
}

export async function writeReportFiles(files: ReportFiles, report: CheckReport): Promise<void> {
  for (const [format, file] of requested(files)) {
    const writer = writers[format];
    if (!writer) throw new Error(`--${format} is not supported by this build of oversold`);
    // The writers create their folder with a recursive mkdir, which on Node 20
    // spins forever under /proc: make the folder here, one level at a time.
    await makeFolder(`--${format}`, file, dirname(resolve(file)));
    try {
      await writer(file, report);
    } catch (error) {
      throw new Error(
        `--${format} ${file}: could not write the report (${reason(error)}): choose a writable path`,
        {
          cause: error,
        },
      );
    }
  }
}

/**
 * Before a run starts: every report path must be writable (its folder exists
 * or can be made, and writing there is allowed) and must not be a folder, so
 * that a long check never ends unable to save what it found.
 */
export async function preflightReportFiles(files: ReportFiles): Promise<void> {
  for (const [format, file] of requested(files)) {
    const option = `--${format}`;
    const path = resolve(file);
    const existing = await stat(path).catch(() => null);
    if (existing?.isDirectory()) {
      throw new Error(
        `${option} ${file} is a folder: give a file name, as in ${option} ${join(file, `report.${format}`)}`,
      );
    }
    const folder = dirname(path);
    await makeFolder(option, file, folder);
    await access(existing ? path : folder, constants.W_OK).catch((error: unknown) => {
      throw new Error(
        `${option} ${file}: cannot write ${existing ? 'that file' : `in ${folder}`} (${reason(error)}): choose a writable path`,
      );
    });
  }
}

function requested(files: ReportFiles): [keyof ReportFiles, string][] {
  return (Object.entries(files) as [keyof ReportFiles, string | undefined][]).filter(
    (entry): entry is [keyof ReportFiles, string] => Boolean(entry[1]),
  );
}

/** Creates the missing folders of `folder`, outermost first; at most one mkdir per path segment. */
async function makeFolder(option: string, file: string, folder: string): Promise<void> {
  const missing: string[] = [];
  for (let current = folder; ; current = dirname(current)) {
    const info = await stat(current).catch(() => null);
    if (info) {
      if (!info.isDirectory()) {
        throw new Error(`${option} ${file}: ${current} is a file, not a folder: choose another path`);
      }
      break;
    }
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const path of missing) {
    await mkdir(path).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'EEXIST') return;
      throw new Error(
        `${option} ${file}: cannot create the folder ${path} (${reason(error)}): choose a writable path`,
      );
    });
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
