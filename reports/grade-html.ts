import type { GradeReport } from '../harness/grade/grade-model.ts';
import type { HtmlAssets } from './html-report.ts';

// First commit: the signatures grade-outputs.ts imports; the page follows.
export function toGradebookHtml(_report: GradeReport, _assets: HtmlAssets): string {
  throw new Error('the gradebook HTML is not written yet');
}

export async function writeGradebookHtml(_file: string, _report: GradeReport): Promise<void> {
  throw new Error('the gradebook HTML is not written yet');
}
