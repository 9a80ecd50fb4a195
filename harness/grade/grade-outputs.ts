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

const hint = 'give the file written by oversold grade --json';

/** Reads back what `oversold grade --json` wrote; one-line errors say what is wrong and what to give instead. */
export async function readGradeReport(file: string): Promise<GradeReport> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new Error(`${file}: cannot read the grade report (${reason(error)}): ${hint}`, { cause: error });
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${reason(error)}): ${hint}`, { cause: error });
  }
  const value = parsed as Partial<Record<keyof GradeReport, unknown>> | null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${file}: not a grade report (a JSON object was expected): ${hint}`);
  }
  if (value.kind !== 'oversold-grade') {
    const kind = value.kind === undefined ? 'no "kind"' : `"kind" is ${JSON.stringify(value.kind)}`;
    throw new Error(`${file}: not a grade report (${kind}, not "oversold-grade"): ${hint}`);
  }
  if (value.version !== 1) {
    throw new Error(
      `${file}: grade report version ${JSON.stringify(value.version) ?? '(none)'} is not supported (this oversold reads version 1): grade again with this version of oversold`,
    );
  }
  const missing = [
    ...(typeof value.assignment === 'object' && value.assignment !== null ? [] : ['"assignment"']),
    ...(Array.isArray(value.submissions) ? [] : ['"submissions"']),
  ];
  if (missing.length > 0) {
    throw new Error(
      `${file}: the grade report has no ${missing.join(' or ')} (cut short, or edited?): ${hint}`,
    );
  }
  return parsed as GradeReport;
}

/** One line: V8 quotes the text around a JSON syntax error, newlines and all. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/, ".*" is not valid JSON$/s, '').replace(/\s+/g, ' ');
}
