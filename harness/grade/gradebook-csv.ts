import { stringify } from 'csv-stringify/sync';
import type { GradeReport, SubmissionGrade } from './grade-model.ts';

/**
 * The gradebook as CSV, one row per submission: `student,score,max`, then the
 * points scored on each test (its id as the column name, in assignment
 * order), then `error` (why the submission could not be evaluated, or empty).
 * A test the submission has no grade for (a shard cut short) is left empty,
 * not 0, so an import does not mistake "not run" for "failed".
 */
export function toGradebookCsv(report: GradeReport): string {
  const ids = report.assignment.tests.map((test) => test.id);
  const rows = report.submissions.map((submission) => [
    submission.student,
    points(submission.score),
    points(submission.maxScore),
    ...ids.map((id) => testCell(submission, id)),
    submission.error ?? '',
  ]);
  return stringify([['student', 'score', 'max', ...ids, 'error'], ...rows], {
    // Student names and error lines are not ours: a cell starting with = + - @
    // would run as a formula in a spreadsheet, so it gets a leading '.
    escape_formulas: true,
  });
}

function testCell(submission: SubmissionGrade, id: string): string {
  const test = submission.tests.find((candidate) => candidate.id === id);
  return test ? points(test.score) : '';
}

/** Sums of fractional points (0.1 + 0.2) print as people wrote them, not 0.30000000000000004. */
function points(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
