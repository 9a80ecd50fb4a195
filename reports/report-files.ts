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

export async function writeReportFiles(files: ReportFiles, report: CheckReport): Promise<void> {
  for (const [format, file] of Object.entries(files) as [keyof ReportFiles, string | undefined][]) {
    if (!file) continue;
    const writer = writers[format];
    if (!writer) throw new Error(`--${format} is not supported by this build of oversold`);
    await writer(file, report);
  }
}
