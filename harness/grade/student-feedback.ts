import type { GradeReport, SubmissionGrade } from './grade-model.ts';

export interface FeedbackOptions {
  /** Show hidden and not-yet-released tests' results too (grades are released). */
  readonly showHidden: boolean;
}

// First commit: the signatures grade-outputs.ts imports; the Markdown follows.
export function toFeedbackMarkdown(
  _report: GradeReport,
  _grade: SubmissionGrade,
  _options: FeedbackOptions,
): string {
  throw new Error('student feedback is not written yet');
}

export async function writeFeedbackFiles(
  _report: GradeReport,
  _dir: string,
  _options: FeedbackOptions,
): Promise<string[]> {
  throw new Error('student feedback is not written yet');
}
