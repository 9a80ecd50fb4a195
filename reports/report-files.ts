import type { CheckReport } from '../harness/check/report-model.ts';
import { writeHtmlReport } from './html-report.ts';
import { writeJsonReport } from './json-report.ts';
import { writeJunitReport } from './junit-report.ts';
import { writeMarkdownReport } from './markdown-report.ts';

/** The report files a command was asked for (`--json`, `--junit`, `--markdown`, `--html`). */
export interface ReportFiles {
  readonly json?: string | undefined;
  readonly junit?: string | undefined;
  readonly markdown?: string | undefined;
  readonly html?: string | undefined;
}

type Writer = (file: string, report: CheckReport) => Promise<void>;

const writers: Partial<Record<keyof ReportFiles, Writer>> = {
  json: writeJsonReport,
  junit: writeJunitReport,
  markdown: writeMarkdownReport,
  html: writeHtmlReport,
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
