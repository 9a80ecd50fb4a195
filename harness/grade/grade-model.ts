import type { Range } from '../../properties/case-ranges.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import type { Counterexample } from '../check/report-model.ts';
import type { DatabaseSource } from '../database/started-database.ts';

/**
 * Who sees a test's result, in Gradescope's words: `visible` always,
 * `after_due_date` once grades are released, `hidden` never to the student
 * (the grader still does). Hidden tests are named in feedback, never shown.
 */
export type Visibility = 'visible' | 'after_due_date' | 'after_published' | 'hidden';

/** How one graded test draws its interleavings. */
export type TestCases =
  /** fast-check draws `runs` cases from these ranges (with the assignment's seed). */
  | { readonly kind: 'generated'; readonly ranges: GradeRanges; readonly runs: number }
  /** These exact cases and schedules, each run once. */
  | { readonly kind: 'fixed'; readonly cases: readonly FixedCase[] }
  /** Every interleaving of one case, up to a preemption bound (oversold explore). */
  | {
      readonly kind: 'explore';
      readonly case: unknown;
      readonly preemptions: number | 'all';
      readonly maxInterleavings: number;
    };

export interface GradeRanges {
  readonly capacity: Range;
  readonly buyers: Range;
  readonly quantity: Range;
}

/** A case as the scenario takes it (`{ capacity, buyers: [{ id, quantity }] }` for tickets) and the schedule (buyer ids in release order; `''` lets the scheduler run the buyers in id order). */
export interface FixedCase {
  readonly case: unknown;
  readonly schedule: string;
}

/** One graded item of an assignment: a property checked on a class of cases, worth `points`. */
export interface AssignmentTest {
  /** Stable and unique within the assignment: `no-oversell-two-buyers`. Column name in the CSV. */
  readonly id: string;
  /** What the student reads: `No oversell: two buyers race for the last ticket`. */
  readonly name: string;
  readonly property: PropertyName;
  readonly points: number;
  readonly visibility: Visibility;
  readonly cases: TestCases;
}

/** A validated assignment (assignment.json or assignment.ts). Paths are absolute. */
export interface Assignment {
  /** The file it was read from. */
  readonly file: string;
  readonly title: string;
  /** `tickets`, `inventory`, or the absolute path of a scenario module. */
  readonly scenario: string;
  /** fast-check's seed for every generated test: a regrade gives the same grades. */
  readonly seed: number;
  /**
   * In a submission folder, the file that is the strategy: the first of these
   * names that exists (e.g. `["purchase.ts", "purchase.sql"]`). A submission
   * that is a single file is that file.
   */
  readonly entry: readonly string[];
  /** A solution that must score full marks before anyone is graded. */
  readonly reference: string | null;
  readonly limits: GradeLimits;
  readonly tests: readonly AssignmentTest[];
  /** Sum of the tests' points. */
  readonly maxScore: number;
  /** sha256 of the file's bytes, so shard reports can be checked to come from the same assignment. */
  readonly fingerprint: string;
}

export interface GradeLimits {
  /** Longest one interleaving, loading or setup() may take (the check's --timeout). */
  readonly timeoutMs: number;
  /** Heap of each of the submission's processes. */
  readonly memoryMb: number;
  /** CPU seconds each of the submission's processes may use (RLIMIT_CPU). */
  readonly cpuSeconds: number;
  /** Wall-clock budget for the whole submission; what is left ungraded scores 0. */
  readonly submissionSeconds: number;
}

/** The result of one test for one submission. */
export interface TestGrade {
  readonly id: string;
  readonly name: string;
  readonly property: PropertyName;
  readonly visibility: Visibility;
  readonly score: number;
  readonly maxScore: number;
  readonly passed: boolean;
  /** One line: `held in 40 interleavings`, `oversold: capacity 1, buyers 1 and 2 …`, or why it could not run. */
  readonly output: string;
  /** The smallest failing interleaving, with its replay command; null when the test passed or never ran. */
  readonly counterexample: Counterexample | null;
  /** What the trace shows (lost update, write skew, …), when a counterexample names one. */
  readonly anomaly: string | null;
  /** Interleavings run for this test (those shared with an earlier test count for that one). */
  readonly interleavings: number;
}

/** One student's grade. */
export interface SubmissionGrade {
  /** The submission's file or folder name, without extension for a file. */
  readonly student: string;
  /** The strategy file graded (absolute), or null when none was found. */
  readonly file: string | null;
  readonly score: number;
  readonly maxScore: number;
  /**
   * One line when the submission could not be evaluated (no entry file, does
   * not load, crashed its process, broke out of its limits, tampered with the
   * harness): every test not yet passed scores 0 and says so.
   */
  readonly error: string | null;
  readonly durationMs: number;
  readonly tests: readonly TestGrade[];
}

/** What `oversold grade` writes as JSON (`--json`), and what `merge-reports` reads back. */
export interface GradeReport {
  readonly kind: 'oversold-grade';
  readonly version: 1;
  readonly assignment: {
    readonly title: string;
    readonly file: string;
    readonly fingerprint: string;
    readonly seed: number;
    readonly maxScore: number;
    readonly tests: readonly {
      readonly id: string;
      readonly name: string;
      readonly property: PropertyName;
      readonly points: number;
      readonly visibility: Visibility;
      /** How the test draws its cases, for feedback that says what the points were for (absent in older reports). */
      readonly cases?: TestCases;
    }[];
  };
  /** Present when this report is one shard of a sharded run (`--shard 2/4` → index 2, count 4). */
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly database: { readonly source: DatabaseSource; readonly serverVersion: string };
  /** How student code was confined: `bubblewrap`, or `none` under --unsafe-no-sandbox. */
  readonly sandbox: 'bubblewrap' | 'none';
  /** Sorted by student name. */
  readonly submissions: readonly SubmissionGrade[];
  readonly durationMs: number;
}
