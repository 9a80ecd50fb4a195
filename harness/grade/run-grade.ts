import { pgConnector } from '../database/pg-connector.ts';
import { type DatabaseChoice, startDatabase } from '../database/start-database.ts';
import { dropOrphans } from '../engine/lab.ts';
import { loadScenarioModule } from '../scenarios/load-scenario-module.ts';
import type { Assignment, GradeReport, SubmissionGrade } from './grade-model.ts';
import { type GradeContext, gradeSubmission } from './grade-submission.ts';
import { Sandbox } from './sandbox.ts';
import { inShard, type Shard } from './shard.ts';
import { byCodePoint, type Submission } from './submissions.ts';

export interface RunGradeOptions {
  readonly assignment: Assignment;
  readonly submissions: readonly Submission[];
  readonly database: DatabaseChoice;
  /** Submissions graded at once, each in its own database and sandbox. */
  readonly jobs: number;
  readonly shard: Shard | null;
  /** Run students' code without bubblewrap (it still runs in child processes, with the grader's rights). */
  readonly unsafeNoSandbox: boolean;
  /** Called as each submission is graded (in completion order), for progress. */
  readonly onGraded?: (grade: SubmissionGrade) => void;
  readonly now?: () => number;
}

/** The reference solution does not score full marks: the assignment, not the students, needs fixing. */
export class ReferenceSolutionError extends Error {
  readonly grade: SubmissionGrade;
  constructor(message: string, grade: SubmissionGrade) {
    super(message);
    this.name = 'ReferenceSolutionError';
    this.grade = grade;
  }
}

/**
 * `oversold grade`: checks that the reference solution scores full marks,
 * then grades every submission (of this shard), `jobs` at a time. Each
 * submission's grade depends only on it and the assignment (fixed seed, its
 * own database), so the report is the same whatever `jobs` or the sharding.
 */
export async function runGrade(options: RunGradeOptions): Promise<GradeReport> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const { assignment } = options;
  const scenario =
    assignment.scenario === 'tickets' || assignment.scenario === 'inventory'
      ? assignment.scenario
      : await loadScenarioModule(assignment.scenario, assignment.file, assignment.file);
  const limits = assignment.limits;
  await using sandbox = options.unsafeNoSandbox
    ? null
    : await Sandbox.open({ memoryMb: limits.memoryMb, cpuSeconds: limits.cpuSeconds });
  await using database = await startDatabase(options.database);
  const admin = await pgConnector(database.url).connect({ applicationName: 'oversold grade' });
  let serverVersion: string;
  try {
    await dropOrphans(admin);
    serverVersion = String(
      (await admin.query("SELECT current_setting('server_version') AS version")).rows[0]?.version ?? '',
    ).split(' ')[0]!;
  } finally {
    await admin.close();
  }
  const context: GradeContext = {
    assignment,
    scenario,
    database,
    connect: pgConnector,
    sandbox: sandbox ?? null,
    now,
  };
  if (assignment.reference) {
    const reference = await gradeSubmission(context, {
      student: 'reference solution',
      path: assignment.reference,
      entry: assignment.reference,
      problem: null,
    });
    if (reference.score < reference.maxScore) {
      const failed = reference.tests.find((test) => !test.passed);
      throw new ReferenceSolutionError(
        `the reference solution ${assignment.reference} scores ${reference.score}/${reference.maxScore}${reference.error ? ` (${reference.error})` : failed ? ` (test ${failed.id}: ${failed.output})` : ''}: fix the reference or the assignment before grading students`,
        reference,
      );
    }
  }
  const mine = options.shard
    ? options.submissions.filter((submission) => inShard(submission.student, options.shard!))
    : [...options.submissions];
  const grades = await pool(mine, Math.max(1, options.jobs), async (submission) => {
    const grade = await gradeSubmission(context, submission);
    options.onGraded?.(grade);
    return grade;
  });
  return {
    kind: 'oversold-grade',
    version: 1,
    assignment: {
      title: assignment.title,
      file: assignment.file,
      fingerprint: assignment.fingerprint,
      seed: assignment.seed,
      maxScore: assignment.maxScore,
      tests: assignment.tests.map((test) => ({
        id: test.id,
        name: test.name,
        property: test.property,
        points: test.points,
        visibility: test.visibility,
        cases: test.cases,
      })),
    },
    shard: options.shard ? { index: options.shard.index, count: options.shard.count } : null,
    database: { source: database.source, serverVersion },
    sandbox: sandbox ? 'bubblewrap' : 'none',
    submissions: grades.sort((a, b) => byCodePoint(a.student, b.student)),
    durationMs: Math.round(now() - started),
  };
}

/** Runs `work` over `items`, at most `size` at a time; results in the items' order. */
async function pool<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return results;
}
