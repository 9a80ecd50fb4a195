import fc from 'fast-check';
import { type CaseRanges, chooserFromChoices, scheduleArbitrary } from '../../properties/case-arbitrary.ts';
import { evaluateProperty } from '../../properties/properties.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { StrategyError, StrategyLoadError, StrategyMistakeError } from '../engine/errors.ts';
import { IsolatedBuyers, type IsolatedBuyersOptions } from '../engine/isolated-buyers.ts';
import type { LabHandle } from '../engine/lab.ts';
import { type CaseRun, runCase } from '../engine/run-case.ts';
import { Workspace } from '../engine/workspace.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { findScenario } from '../scenarios/scenario-registry.ts';
import { installStrategySql } from '../strategy/install-strategy-sql.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { counterexampleOf } from './counterexample.ts';
import type { PropertyReport, StrategyReport } from './report-model.ts';
import { type CaseRunner, SmallestCaseSearch } from './smallest-case.ts';

export interface CheckStrategyOptions {
  /** Generated cases per property (fast-check's numRuns). */
  readonly runs: number;
  readonly seed: number;
  readonly ranges: CaseRanges;
  readonly properties: readonly PropertyName[];
  readonly timeoutMs: number;
  /** Run each buyer's code in a child process of its own (untrusted strategies). */
  readonly isolate?: boolean;
  /** How isolated buyers' processes start (a sandbox, memory limit); with `isolate` only. */
  readonly isolation?: Omit<IsolatedBuyersOptions, 'timeoutMs'>;
  /** The buyers' processes to use under `isolate`, kept by the caller across checks (grading); made and closed here when absent. */
  readonly children?: IsolatedBuyers;
  /** Called after every fresh interleaving (for progress bars). */
  readonly onInterleaving?: () => void;
  readonly now?: () => number;
}

/**
 * Checks one strategy: fast-check draws cases and schedules, the engine runs
 * them, and each property's first failure is shrunk by fast-check, then
 * searched for a smaller failing case (smallest-case.ts). Runs are memoised
 * so the properties share the interleavings they have in common.
 */
export async function checkStrategy(
  lab: LabHandle,
  strategy: LoadedStrategy,
  options: CheckStrategyOptions,
): Promise<StrategyReport> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const scenario = findScenario(strategy.scenario) as Scenario<ScenarioCase> | undefined;
  const base = {
    name: strategy.name,
    file: strategy.file,
    description: strategy.description ?? null,
    scenario: strategy.scenario,
  };
  if (!scenario) throw new Error(`unknown scenario ${strategy.scenario}`);
  let workspace: Workspace | undefined;
  const runs = new Map<string, CaseRun>();
  let interleavings = 0;
  const isolated = options.isolate
    ? (options.children ??
      new IsolatedBuyers(strategy.file, { ...options.isolation, timeoutMs: options.timeoutMs }))
    : undefined;
  // Under --isolate, setup() runs in a child of its own too.
  const runnable = isolatedStrategy(strategy, isolated);
  try {
    workspace = await Workspace.open(lab, strategy.name, scenario);
    await installStrategySql(workspace, strategy, scenario);
    const properties: PropertyReport[] = [];
    let fatal: unknown = null;
    // Runs that follow fixed choices are memoised under the case and a key for the choices.
    const run: CaseRunner = async (kase, choose, key) => {
      const memo = key === null ? null : `${JSON.stringify(kase)} ${key}`;
      const cached = memo === null ? undefined : runs.get(memo);
      if (cached) return cached;
      let result: CaseRun;
      await isolated?.prepare(kase.buyers.map((buyer) => buyer.id));
      try {
        result = await runCase({
          workspace: workspace!,
          strategy: runnable,
          scenario,
          kase,
          choose,
          timeoutMs: options.timeoutMs,
          ...(isolated ? { purchaseFor: (id, request) => isolated.purchaseFor(id, request) } : {}),
        });
      } catch (error) {
        // A hung child may be spinning: replace it.
        isolated?.discard(kase.buyers.map((buyer) => buyer.id));
        throw error;
      }
      if (memo !== null) runs.set(memo, result);
      interleavings += 1;
      options.onInterleaving?.();
      return result;
    };
    const drawn = (kase: ScenarioCase, choices: number[]): Promise<CaseRun> =>
      run(kase, chooserFromChoices(choices), JSON.stringify(choices));
    const smallest = new SmallestCaseSearch({ scenario, ranges: options.ranges, seed: options.seed, run });
    const arbitrary = fc.record({
      kase: scenario.caseArbitrary(options.ranges),
      choices: scheduleArbitrary(options.ranges.buyers.max),
    });
    for (const name of options.properties) {
      const propertyStarted = now();
      const details = await fc.check(
        fc.asyncProperty(arbitrary, async ({ kase, choices }) => {
          if (fatal !== null) return true;
          try {
            return evaluateProperty(name, (await drawn(kase, choices)).facts).holds;
          } catch (error) {
            // Not a property failure: the strategy cannot be evaluated. Stop
            // here rather than let fast-check shrink an error.
            fatal = error;
            return true;
          }
        }),
        { numRuns: options.runs, seed: options.seed },
      );
      if (fatal !== null) break;
      const expected = strategy.expect[name];
      const failing = details.failed ? details.counterexample?.[0] : undefined;
      const shrunk = failing ? await drawn(failing.kase, failing.choices) : undefined;
      const failure = shrunk
        ? await smallest.smallest(shrunk, (candidate) => !evaluateProperty(name, candidate.facts).holds)
        : undefined;
      const passed = !details.failed;
      const verdict = evaluateProperty(
        name,
        failure?.facts ?? {
          outcomes: new Map(),
          measurement: { stock: [], holdings: new Map(), strayChanges: [] },
          wants: new Map(),
        },
      );
      properties.push({
        name,
        passed,
        ...(expected !== undefined ? { expected } : {}),
        asExpected: passed === (expected ?? true),
        durationMs: now() - propertyStarted,
        counterexample:
          failure && !verdict.holds
            ? counterexampleOf(strategy, scenario, failure, verdict.why, details.numShrinks)
            : null,
      });
    }
    if (fatal !== null) throw fatal;
    const tampered = await workspace.verifyHarness();
    if (tampered) throw new StrategyMistakeError(tampered);
    return {
      ...base,
      passed: properties.every((property) => property.asExpected),
      error: null,
      interleavings,
      durationMs: now() - started,
      properties,
    };
  } catch (error) {
    if (!(error instanceof StrategyError) && !isStatementError(error)) throw error;
    return {
      ...base,
      passed: false,
      error: oneLine(
        error instanceof StrategyLoadError ? error.message : `${strategy.file}: ${(error as Error).message}`,
      ),
      interleavings,
      durationMs: now() - started,
      properties: [],
    };
  } finally {
    if (!options.children) await isolated?.close();
    await workspace?.close();
  }
}

/** The strategy as run under --isolate: setup() goes to its own child process. */
export function isolatedStrategy(
  strategy: LoadedStrategy,
  isolated: IsolatedBuyers | undefined,
): LoadedStrategy {
  if (!isolated || !strategy.setup) return strategy;
  return { ...strategy, setup: (db, context) => isolated.setup(db, context as Record<string, unknown>) };
}

/** A PostgreSQL error from the harness's own statements (setup(), seeding) also ends the strategy. */
function isStatementError(error: unknown): boolean {
  return error instanceof Error && error.name === 'StatementError';
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
