import { readFile } from 'node:fs/promises';
import { writeReportFile } from '../../reports/json-report.ts';
import type { GradeReport } from './grade-model.ts';

/** The files `oversold grade` was asked to write (`--json`, `--csv`, `--html`, `--feedback DIR`). */
export interface GradeOutputFiles {
  readonly json?: string | undefined;
  readonly csv?: string | undefined;
  readonly html?: string | undefined;
  /** A folder: one `<student>.md` per submission. */
  readonly feedback?: string | undefined;
  /** Feedback shows hidden and not-yet-released tests too (grades are released). */
  readonly showHidden?: boolean | undefined;
}

/**
 * Writes each requested file, creating its folder, and returns one line per
 * output to print: `gradebook CSV: grades.csv`. Each writer loads its module
 * (and its libraries) only when its output is asked for.
 */
export async function writeGradeOutputs(report: GradeReport, files: GradeOutputFiles): Promise<string[]> {
  const lines: string[] = [];
  if (files.json) {
    await writeReportFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
    lines.push(`gradebook JSON: ${files.json}`);
  }
  if (files.csv) {
    const { toGradebookCsv } = await import('./gradebook-csv.ts');
    await writeReportFile(files.csv, toGradebookCsv(report));
    lines.push(`gradebook CSV: ${files.csv}`);
  }
  if (files.html) {
    const { writeGradebookHtml } = await import('../../reports/grade-html.ts');
    await writeGradebookHtml(files.html, report);
    lines.push(`gradebook HTML: ${files.html}`);
  }
  if (files.feedback) {
    const { writeFeedbackFiles } = await import('./student-feedback.ts');
    const written = await writeFeedbackFiles(report, files.feedback, {
      showHidden: files.showHidden ?? false,
    });
    lines.push(
      `student feedback: ${files.feedback} (${written.length} ${written.length === 1 ? 'file' : 'files'})`,
    );
  }
  return lines;
}

/** Reads back what `oversold grade --json` wrote; one-line errors say what is wrong and what to give instead. */
export async function readGradeReport(file: string): Promise<GradeReport> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new Error(
      `${file}: cannot read the grade report (${reason(error)}): give the file written by oversold grade --json`,
      {
        cause: error,
      },
    );
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${reason(error)}): give the file written by oversold grade --json`, {
      cause: error,
    });
  }
  const value = parsed as Partial<Record<keyof GradeReport, unknown>> | null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `${file}: not a grade report (a JSON object was expected): give the file written by oversold grade --json`,
    );
  }
  if (value.kind !== 'oversold-grade') {
    throw new Error(
      `${file}: not a grade report (kind is ${JSON.stringify(value.kind) ?? 'missing'}, not "oversold-grade"): give the file written by oversold grade --json`,
    );
  }
  if (value.version !== 1) {
    throw new Error(
      `${file}: grade report version ${JSON.stringify(value.version) ?? 'missing'} is not supported (this oversold reads version 1): regrade with this version of oversold`,
    );
  }
  if (
    typeof value.assignment !== 'object' ||
    value.assignment === null ||
    !Array.isArray(value.submissions)
  ) {
    throw new Error(
      `${file}: the grade report has no ${Array.isArray(value.submissions) ? 'assignment' : 'submissions list'}: give a whole file written by oversold grade --json`,
    );
  }
  return parsed as GradeReport;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
