import { evaluateProperty } from '../../properties/properties.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { checkStrategy, isolatedStrategy } from '../check/check-strategy.ts';
import { counterexampleOf } from '../check/counterexample.ts';
import type { Counterexample, PropertyReport } from '../check/report-model.ts';
import type { StartedDatabase } from '../database/started-database.ts';
import { ConnectionLostError, StrategyError, StrategyMistakeError } from '../engine/errors.ts';
import { IsolatedBuyers } from '../engine/isolated-buyers.ts';
import { runCase } from '../engine/run-case.ts';
import type { SqlConnector } from '../engine/sql-session.ts';
import { Workspace } from '../engine/workspace.ts';
import { type ExploreStrategyReport, exploreStrategy } from '../explore/explore-strategy.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { findScenario } from '../scenarios/scenario-registry.ts';
import { installStrategySql } from '../strategy/install-strategy-sql.ts';
import type { Assignment, AssignmentTest, FixedCase, SubmissionGrade, TestGrade } from './grade-model.ts';
import { type LoadedSubmission, loadSubmission } from './load-submission.ts';
import type { Sandbox } from './sandbox.ts';
import { SubmissionLab } from './submission-lab.ts';
import type { Submission } from './submissions.ts';

/** What grading one submission needs besides the submission. */
export interface GradeContext {
  readonly assignment: Assignment;
  /** The scenario's registered name (`tickets`, or a scenario module's). */
  readonly scenario: string;
  readonly database: StartedDatabase;
  readonly connect: (url: string) => SqlConnector;
  readonly sandbox: Sandbox | null;
  readonly now?: () => number;
}

/** A test's result before it is turned into points. */
interface Verdict {
  readonly passed: boolean;
  readonly output: string;
  readonly counterexample: Counterexample | null;
  readonly interleavings: number;
}

/**
 * Grades one submission in a database and role of its own, its code in the
 * sandbox: each test passes or fails on the property it names, and scores its
 * points or none. A submission that cannot be evaluated (no file, does not
 * load, crashes, hangs, runs out of its budget, tampers with the harness)
 * scores 0 on every test it had not passed, with the reason as its error.
 */
export async function gradeSubmission(
  context: GradeContext,
  submission: Submission,
): Promise<SubmissionGrade> {
  const now = context.now ?? (() => performance.now());
  const started = now();
  const { assignment } = context;
  const verdicts = new Map<string, Verdict>();
  let error: string | null = submission.problem;
  if (submission.entry !== null) {
    try {
      await runTests(context, submission.entry, verdicts, started);
    } catch (failure) {
      if (!(failure instanceof StrategyError || failure instanceof ConnectionLostError)) throw failure;
      error = oneLine(failure.message.replace(`${submission.entry}: `, ''));
    }
  }
  const tests = assignment.tests.map((test): TestGrade => {
    const verdict = verdicts.get(test.id) ?? {
      passed: false,
      output: error ?? 'not run',
      counterexample: null,
      interleavings: 0,
    };
    return {
      id: test.id,
      name: test.name,
      property: test.property,
      visibility: test.visibility,
      score: verdict.passed ? test.points : 0,
      maxScore: test.points,
      passed: verdict.passed,
      output: verdict.output,
      counterexample: verdict.counterexample,
      anomaly: verdict.counterexample?.anomaly ?? null,
      interleavings: verdict.interleavings,
    };
  });
  return {
    student: submission.student,
    file: submission.entry,
    score: tests.reduce((sum, test) => sum + test.score, 0),
    maxScore: assignment.maxScore,
    error,
    durationMs: Math.round(now() - started),
    tests,
  };
}

async function runTests(
  context: GradeContext,
  file: string,
  verdicts: Map<string, Verdict>,
  started: number,
): Promise<void> {
  const { assignment } = context;
  const now = context.now ?? (() => performance.now());
  const { limits } = assignment;
  const deadline = started + limits.submissionSeconds * 1000;
  const withinBudget = (): void => {
    if (now() > deadline) {
      throw new StrategyMistakeError(
        `used up its ${limits.submissionSeconds} s of grading time before every test ran: it is too slow, or waits forever`,
      );
    }
  };
  const maxBuyers = Math.max(...assignment.tests.map(buyersOf));
  await using lab = await SubmissionLab.open(context.database, context.connect, {
    timeoutMs: limits.timeoutMs,
    maxBuyers,
  });
  const loaded = await loadSubmission(file, {
    sandbox: context.sandbox,
    scenario: context.scenario,
    scenarioIsModule: !findBuiltIn(assignment.scenario),
    timeoutMs: limits.timeoutMs,
    memoryMb: limits.memoryMb,
  });
  const isolation = {
    memoryLimitMb: limits.memoryMb,
    ...(loaded.launcher ? { launcher: loaded.launcher } : {}),
  };
  const isolate = loaded.strategy.installSql === undefined;
  // One set of buyers' processes for the whole submission: each starts once, not once per test.
  await using children = isolate
    ? new IsolatedBuyers(file, { ...isolation, timeoutMs: limits.timeoutMs })
    : undefined;
  // Generated tests that draw from the same ranges share one check, and its interleavings.
  const groups = new Map<string, AssignmentTest[]>();
  for (const test of assignment.tests) {
    const key =
      test.cases.kind === 'generated' ? JSON.stringify(test.cases) : `${test.cases.kind}:${test.id}`;
    groups.set(key, [...(groups.get(key) ?? []), test]);
  }
  for (const tests of groups.values()) {
    withinBudget();
    const first = tests[0]!;
    if (first.cases.kind === 'generated') {
      const { ranges, runs } = first.cases;
      const report = await checkStrategy(lab, loaded.strategy, {
        runs,
        seed: assignment.seed,
        ranges,
        properties: unique(tests.map((test) => test.property)),
        timeoutMs: limits.timeoutMs,
        isolate,
        isolation,
        ...(children ? { children } : {}),
        onInterleaving: withinBudget,
      });
      if (report.error !== null) throw new StrategyMistakeError(report.error);
      for (const test of tests) {
        const property = report.properties.find((candidate) => candidate.name === test.property);
        verdicts.set(test.id, generatedVerdict(property, report.interleavings, runs, assignment.seed));
      }
    } else if (first.cases.kind === 'fixed') {
      verdicts.set(
        first.id,
        await fixedVerdict(lab, loaded, first.property, first.cases.cases, {
          children,
          timeoutMs: limits.timeoutMs,
          withinBudget,
        }),
      );
    } else {
      const { case: value, preemptions, maxInterleavings } = first.cases;
      const scenario = findScenario(loaded.strategy.scenario) as Scenario<ScenarioCase>;
      const kase = scenario.parseCase ? scenario.parseCase(value) : (value as ScenarioCase);
      const report = await exploreStrategy(lab, loaded.strategy, scenario, kase, {
        properties: [first.property],
        timeoutMs: limits.timeoutMs,
        preemptionBound: preemptions === 'all' ? null : preemptions,
        maxInterleavings,
        timeLimitMs: Math.max(0, deadline - now()),
        reduction: true,
        symmetry: true,
        jobs: 1,
        onInterleaving: withinBudget,
        ...(isolate ? { isolation } : {}),
      });
      if (report.error !== null) throw new StrategyMistakeError(report.error);
      verdicts.set(first.id, exploredVerdict(report));
    }
  }
}

function generatedVerdict(
  property: PropertyReport | undefined,
  interleavings: number,
  runs: number,
  seed: number,
): Verdict {
  if (!property) return { passed: false, output: 'not run', counterexample: null, interleavings: 0 };
  if (property.passed) {
    return {
      passed: true,
      output: `held in ${runs} generated cases (seed ${seed})`,
      counterexample: null,
      interleavings,
    };
  }
  const example = property.counterexample;
  return {
    passed: false,
    output: example ? failureLine(example) : 'failed',
    counterexample: example,
    interleavings,
  };
}

function exploredVerdict(report: ExploreStrategyReport): Verdict {
  const property = report.properties[0];
  const example = property?.counterexample ?? null;
  if (property && !property.passed) {
    return {
      passed: false,
      output: example ? failureLine(example) : 'failed',
      counterexample: example,
      interleavings: report.interleavings,
    };
  }
  const exploration = report.exploration;
  const reach =
    exploration?.status === 'exhausted'
      ? 'every interleaving'
      : `every interleaving within its bound (${exploration?.status ?? 'not run'})`;
  return {
    passed: property?.passed === true,
    output: `held in ${reach}: ${report.interleavings} run, ${exploration?.pruned ?? 0} pruned as equivalent`,
    counterexample: null,
    interleavings: report.interleavings,
  };
}

interface FixedSettings {
  /** The submission's buyers' processes; undefined for a .sql strategy, which runs in PostgreSQL. */
  readonly children: IsolatedBuyers | undefined;
  readonly timeoutMs: number;
  readonly withinBudget: () => void;
}

/**
 * Runs each fixed case once with its schedule. A schedule written for one
 * strategy need not fit another's statements: an entry whose buyer cannot
 * move is passed over for the lowest-numbered buyer that can.
 */
async function fixedVerdict(
  lab: SubmissionLab,
  loaded: LoadedSubmission,
  property: PropertyName,
  cases: readonly FixedCase[],
  settings: FixedSettings,
): Promise<Verdict> {
  const { strategy } = loaded;
  const scenario = findScenario(strategy.scenario) as Scenario<ScenarioCase>;
  await using workspace = await Workspace.open(lab, strategy.name, scenario);
  const isolated = settings.children;
  await installStrategySql(workspace, strategy, scenario);
  let interleavings = 0;
  for (const fixed of cases) {
    settings.withinBudget();
    const kase = scenario.parseCase ? scenario.parseCase(fixed.case) : (fixed.case as ScenarioCase);
    const schedule = fixed.schedule.split(/\s+/).filter(Boolean).map(Number);
    await isolated?.prepare(kase.buyers.map((buyer) => buyer.id));
    const run = await runCase({
      workspace,
      strategy: isolatedStrategy(strategy, isolated),
      scenario,
      kase,
      choose: (index, ready) => {
        const wanted = schedule[index];
        return wanted !== undefined && ready.includes(wanted) ? wanted : Math.min(...ready);
      },
      timeoutMs: settings.timeoutMs,
      ...(isolated ? { purchaseFor: (id, request) => isolated.purchaseFor(id, request) } : {}),
    }).catch((error: unknown) => {
      // A hung child may be spinning: replace it.
      isolated?.discard(kase.buyers.map((buyer) => buyer.id));
      throw error;
    });
    interleavings += 1;
    const verdict = evaluateProperty(property, run.facts);
    if (!verdict.holds) {
      const example = counterexampleOf(strategy, scenario, run, verdict.why, 0);
      return { passed: false, output: failureLine(example), counterexample: example, interleavings };
    }
  }
  return {
    passed: true,
    output: `held in ${cases.length} fixed interleaving${cases.length === 1 ? '' : 's'}`,
    counterexample: null,
    interleavings,
  };
}

function failureLine(example: Counterexample): string {
  const summary = example.caseSummary ? `${example.caseSummary}: ` : '';
  return oneLine(`${summary}${example.why}${example.anomaly ? ` (${example.anomaly})` : ''}`);
}

function buyersOf(test: AssignmentTest): number {
  const cases = test.cases;
  if (cases.kind === 'generated') return cases.ranges.buyers.max;
  const counts =
    cases.kind === 'fixed' ? cases.cases.map((fixed) => buyerCount(fixed.case)) : [buyerCount(cases.case)];
  return Math.max(1, ...counts);
}

function buyerCount(kase: unknown): number {
  const buyers = (kase as { buyers?: unknown } | null)?.buyers;
  return Array.isArray(buyers) ? buyers.length : 1;
}

function findBuiltIn(scenario: string): boolean {
  return scenario === 'tickets' || scenario === 'inventory';
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
