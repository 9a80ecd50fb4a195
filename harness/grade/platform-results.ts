import { basename } from 'node:path';
import pc from 'picocolors';
import type { PropertyName } from '../../properties/property-names.ts';
import { counterexampleLines } from '../../reports/console-report.ts';
import { renderTimeline } from '../../reports/timeline.ts';
import { fitWithin } from './fit-within.ts';
import type { GradeReport, SubmissionGrade, TestGrade, Visibility } from './grade-model.ts';

/**
 * What each grading platform reads back from one graded submission. These
 * platforms run the autograder once per submission: each function takes one
 * SubmissionGrade (and the report, for the assignment's tests).
 */
export interface PlatformOptions {
  /** Show the details of hidden and not-yet-released tests too (grades are released). */
  readonly showHidden?: boolean;
}

// Gradescope: /autograder/results/results.json. Checked against "Autograder
// Specifications" (gradescope-autograders.readthedocs.io/en/latest/specs/,
// the source of github.com/gradescope/autograder_samples docs/specs.md as of
// January 2025): top-level score, execution_time (seconds), output,
// visibility, stdout_visibility, *_format; per test score, max_score,
// status ("passed" | "failed"), name, output, visibility.

/** Gradescope renders a test's output as plain text in a collapsed <pre> only when told so. */
type GradescopeFormat = 'text';

export interface GradescopeTest {
  readonly name: string;
  readonly score: number;
  readonly max_score: number;
  readonly status: 'passed' | 'failed';
  readonly output: string;
  readonly output_format: GradescopeFormat;
  readonly visibility: Visibility;
}

export interface GradescopeResults {
  readonly score: number;
  readonly execution_time: number;
  readonly output: string;
  readonly output_format: GradescopeFormat;
  readonly test_output_format: GradescopeFormat;
  readonly test_name_format: GradescopeFormat;
  readonly visibility: Visibility;
  readonly stdout_visibility: Visibility;
  readonly tests: readonly GradescopeTest[];
}

/**
 * Gradescope shows each test when its own `visibility` says (instructors see
 * every test), so every test carries its details. The autograder's stdout
 * stays hidden: oversold's console output names every failure.
 */
export function toGradescopeResults(
  report: GradeReport,
  grade: SubmissionGrade,
  options: { readonly executionTimeSeconds?: number } = {},
): GradescopeResults {
  const tests = gradedTests(report, grade);
  const render = (texts: readonly string[]): GradescopeResults => ({
    score: grade.score,
    execution_time: Math.round(options.executionTimeSeconds ?? grade.durationMs / 1000),
    output: texts[0] ?? '',
    // The default for the top-level output is "simple_format", which renders HTML: a
    // timeline's `<waiting …>` would vanish.
    output_format: 'text',
    test_output_format: 'text',
    test_name_format: 'text',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: tests.map((test, at) => ({
      name: test.name,
      score: test.score,
      max_score: test.maxScore,
      status: test.passed ? 'passed' : 'failed',
      output: texts[at + 1] ?? '',
      output_format: 'text',
      visibility: test.visibility,
    })),
  });
  const texts = [submissionOutput(report, grade), ...tests.map((test) => testOutput(grade, test))];
  // Gradescope documents no size limit; the same bound as PrairieLearn's keeps a
  // runaway trace from making the results page unusable.
  return fitWithin(texts, render, RESULT_LIMIT_BYTES);
}

// PrairieLearn external grading: /grade/results/results.json. Checked against
// "External Grading", section "Grading results" (prairielearn.readthedocs.io,
// the source of github.com/PrairieLearn/PrairieLearn docs/externalGrading.md):
// score in [0, 1], gradable, message, output, tests[] with name, description,
// points, max_points, message, output; "this file should be limited to 1 MB".

export interface PrairieLearnTest {
  readonly name: string;
  readonly description?: string;
  readonly points: number;
  readonly max_points: number;
  readonly message?: string;
  readonly output?: string;
}

export interface PrairieLearnResults {
  /**
   * False only when oversold itself could not grade: PrairieLearn then awards
   * nothing and does not count the attempt. A broken submission is gradable
   * and scores 0.
   */
  readonly gradable: boolean;
  /** Fraction of the points scored, 0 to 1. */
  readonly score: number;
  readonly message: string;
  readonly output: string;
  readonly tests: readonly PrairieLearnTest[];
}

/** PrairieLearn's limit on results.json. */
export const RESULT_LIMIT_BYTES = 1_000_000;

/**
 * PrairieLearn shows students every test it is given, so a test that is not
 * `visible` gives its name and points only, until grades are released
 * (`showHidden`).
 */
export function toPrairieLearnResults(
  report: GradeReport,
  grade: SubmissionGrade,
  options: PlatformOptions = {},
): PrairieLearnResults {
  const tests = gradedTests(report, grade);
  const shown = tests.map((test) => released(test.visibility, options));
  const passed = tests.filter((test) => test.passed).length;
  const message =
    grade.error === null
      ? `${passed} of ${tests.length} tests passed: ${points(grade.score)}/${points(grade.maxScore)} points`
      : `The submission could not be evaluated: ${grade.error}`;
  // texts: the message, the output, then each test's message and output.
  const render = (texts: readonly string[]): PrairieLearnResults => ({
    gradable: true,
    score: fraction(grade),
    message: texts[0] ?? '',
    output: texts[1] ?? '',
    tests: tests.map((test, at) =>
      shown[at]
        ? {
            name: test.name,
            description: PROPERTY_WORDS[test.property],
            points: test.score,
            max_points: test.maxScore,
            message: texts[2 * at + 2] ?? '',
            output: texts[2 * at + 3] ?? '',
          }
        : { name: test.name, points: test.score, max_points: test.maxScore },
    ),
  });
  const texts = [
    message,
    submissionOutput(report, grade),
    ...tests.flatMap((test, at) => (shown[at] ? [test.output, testOutput(grade, test)] : ['', ''])),
  ];
  return fitWithin(texts, render, RESULT_LIMIT_BYTES);
}

/** When oversold itself could not grade (its database would not start, the assignment is broken): not the student's fault. */
export function prairieLearnUngradable(reason: string): PrairieLearnResults {
  const message = `oversold could not grade this submission: ${reason}`;
  return { gradable: false, score: 0, message, output: message, tests: [] };
}

// GitHub Classroom: the `result` output of a grading step, base64 JSON, read by
// classroom-resources/autograding-grading-reporter (src/main.js, console-results.js,
// notify-classroom.js, helpers/test-helpers.js, September 2025) in the shape
// classroom-resources/autograding-command-grader (src/main.js) writes:
// { version: 1, status, max_score, tests: [{ name, status, score, message,
// test_code, filename, line_no, duration }] }. The points GitHub Classroom records
// are the sum of tests[].score over max_score (notify-classroom.js); the
// reporter's log table instead weighs every test alike ("pass" count / tests ×
// max_score), so with unequal points that table differs from the grade.

export type GithubClassroomStatus = 'pass' | 'fail' | 'error';

export interface GithubClassroomTest {
  readonly name: string;
  readonly status: GithubClassroomStatus;
  readonly score: number;
  readonly max_score: number;
  /** Printed by the reporter for an "error" test only. */
  readonly message: string;
  /** Printed under the test as "Test code:": the replay command of a counterexample. */
  readonly test_code: string;
  readonly filename: string;
  /** The reporter prints " - line N" unless this is 0. */
  readonly line_no: 0;
}

export interface GithubClassroomResult {
  readonly version: 1;
  readonly status: GithubClassroomStatus;
  readonly max_score: number;
  readonly tests: readonly GithubClassroomTest[];
}

/**
 * The reporter step gets the result through an environment variable, and Linux
 * refuses to start a process with one string of the environment over 128 KiB:
 * the base64 must stay well under that.
 */
export const GITHUB_CLASSROOM_LIMIT_BYTES = 64_000;

/** The Actions log is the student's to read: tests that are not `visible` show name, status and points only. */
export function toGithubClassroomResult(
  report: GradeReport,
  grade: SubmissionGrade,
  options: PlatformOptions = {},
): GithubClassroomResult {
  const tests = gradedTests(report, grade);
  const shown = tests.map((test) => released(test.visibility, options));
  const statusOf = (test: TestGrade): GithubClassroomStatus =>
    test.passed ? 'pass' : grade.error === null ? 'fail' : 'error';
  const render = (texts: readonly string[]): GithubClassroomResult => ({
    version: 1,
    status: grade.error !== null ? 'error' : tests.every((test) => test.passed) ? 'pass' : 'fail',
    max_score: grade.maxScore,
    tests: tests.map((test, at) => ({
      name: test.name,
      status: statusOf(test),
      score: test.score,
      max_score: test.maxScore,
      message: texts[2 * at] ?? '',
      test_code: texts[2 * at + 1] ?? '',
      filename: grade.file === null ? '' : basename(grade.file),
      line_no: 0,
    })),
  });
  // A submission error is about the submission, not the test: every test not passed says it.
  const texts = tests.flatMap((test, at) => {
    if (grade.error !== null && !test.passed) return [grade.error, ''];
    if (!shown[at]) return ['', ''];
    return [test.output, test.counterexample?.replay ?? ''];
  });
  // Base64 is 4/3 of the JSON.
  return fitWithin(texts, render, Math.floor((GITHUB_CLASSROOM_LIMIT_BYTES * 3) / 4));
}

/** The line a grading step appends to $GITHUB_OUTPUT: its `result` output, as the reporter decodes it. */
export function githubClassroomOutputLine(result: GithubClassroomResult): string {
  return `result=${Buffer.from(JSON.stringify(result), 'utf8').toString('base64')}`;
}

const PROPERTY_WORDS: Record<PropertyName, string> = {
  'no-oversell': 'No stock is sold beyond what existed.',
  'honest-outcome':
    'Every buyer holds exactly what it was told it bought, and nothing changes that no buyer asked for.',
  'no-undersell': "No buyer is told 'sold-out' while enough stock is left for it.",
  'no-errors': "No buyer's purchase throws.",
};

/**
 * The assignment's tests in its order, each with this submission's grade; a
 * test the submission has no grade for (its time ran out, its shard was cut
 * short) scores 0 and says so.
 */
export function gradedTests(report: GradeReport, grade: SubmissionGrade): TestGrade[] {
  const byId = new Map(grade.tests.map((test) => [test.id, test]));
  const listed = report.assignment.tests.map(
    (test): TestGrade =>
      byId.get(test.id) ?? {
        id: test.id,
        name: test.name,
        property: test.property,
        visibility: test.visibility,
        score: 0,
        maxScore: test.points,
        passed: false,
        output:
          grade.error === null ? 'not graded: the run ended before this test' : `not graded: ${grade.error}`,
        counterexample: null,
        anomaly: null,
        interleavings: 0,
      },
  );
  const known = new Set(report.assignment.tests.map((test) => test.id));
  return [...listed, ...grade.tests.filter((test) => !known.has(test.id))];
}

function released(visibility: Visibility, options: PlatformOptions): boolean {
  return visibility === 'visible' || options.showHidden === true;
}

function submissionOutput(report: GradeReport, grade: SubmissionGrade): string {
  const graded = grade.file === null ? grade.student : basename(grade.file);
  const lines = [`${report.assignment.title}: ${graded}, graded by oversold on PostgreSQL.`];
  if (grade.error !== null) lines.push('', `The submission could not be evaluated: ${grade.error}`);
  return lines.join('\n');
}

/**
 * One test in full: its line, the counterexample with its replay command, and
 * its timeline last, so that a cut to fit a size limit takes the timeline's
 * end, never the replay command.
 */
function testOutput(grade: SubmissionGrade, test: TestGrade): string {
  const lines: string[] = [];
  // Said once: the test's own line often is the error already.
  if (grade.error !== null && !test.output.includes(grade.error)) {
    lines.push(`The submission could not be evaluated: ${grade.error}`, '');
  }
  lines.push(test.output);
  const example = test.counterexample;
  if (example) {
    const strategy = { name: grade.file === null ? grade.student : basename(grade.file) };
    const property = { name: test.property, passed: false, asExpected: false, counterexample: example };
    const plain = pc.createColors(false);
    lines.push('', ...counterexampleLines(strategy, property, example, plain, TIMELINE_WIDTH, false));
    const buyers = example.buyers.map((buyer) => buyer.id);
    lines.push('', ...renderTimeline(example.trace, buyers, TIMELINE_WIDTH - 2).map((line) => `  ${line}`));
  }
  return lines.join('\n');
}

const TIMELINE_WIDTH = 100;

function fraction(grade: SubmissionGrade): number {
  if (grade.maxScore <= 0) return grade.error === null ? 1 : 0;
  return Math.min(1, Math.max(0, grade.score / grade.maxScore));
}

function points(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
