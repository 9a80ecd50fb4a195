import { evaluateProperty } from '../../properties/properties.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { pgConnector } from '../database/pg-connector.ts';
import { type DatabaseChoice, startDatabase } from '../database/start-database.ts';
import { ScheduleError, StrategyError } from '../engine/errors.ts';
import { IsolatedBuyers } from '../engine/isolated-buyers.ts';
import { Lab } from '../engine/lab.ts';
import { type CaseRun, runCase } from '../engine/run-case.ts';
import type { TraceEvent } from '../engine/trace.ts';
import { Workspace } from '../engine/workspace.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { findScenario } from '../scenarios/scenario-registry.ts';
import { installStrategySql } from '../strategy/install-strategy-sql.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import { loadStrategyIsolated } from '../strategy/load-strategy-isolated.ts';
import { isolatedStrategy } from './check-strategy.ts';
import { counterexampleOf } from './counterexample.ts';
import type { CheckReport, PropertyReport } from './report-model.ts';
import { loadFailure } from './run-check.ts';
import { describeEvent, firstDivergence } from './trace-divergence.ts';

export interface RunReplayOptions {
  readonly file: string;
  readonly schedule: readonly number[];
  readonly capacity: number;
  readonly buyers: number;
  readonly quantities: readonly number[];
  /** The whole case as JSON (`--case`), for scenarios with more than one stock; replaces the three above. */
  readonly case?: unknown;
  readonly database: DatabaseChoice;
  readonly properties: readonly PropertyName[];
  readonly timeoutMs: number;
  /** Run each buyer's code in a child process of its own, as `check --isolate` does. */
  readonly isolate?: boolean;
  /** The trace a check recorded for this case and schedule (`--compare`): the run must repeat it. */
  readonly recorded?: readonly TraceEvent[];
}

export interface ReplayResult {
  readonly report: CheckReport;
  /** The run, when the strategy could be evaluated. */
  readonly run: CaseRun | null;
  /** What ran before the schedule could not be followed, for the timeline of a diverged replay. */
  readonly partialTrace?: readonly TraceEvent[];
}

/** `oversold replay`: one interleaving, exactly as the schedule says. */
export async function runReplay(options: RunReplayOptions): Promise<ReplayResult> {
  const loaded = options.isolate
    ? await loadStrategyIsolated(options.file, { timeoutMs: options.timeoutMs })
    : await loadStrategy(options.file);
  await using database = await startDatabase(options.database);
  await using lab = await Lab.open(database, pgConnector);
  const about = { source: database.source, serverVersion: lab.info.serverVersion };
  if ('error' in loaded) {
    return {
      report: {
        passed: false,
        seed: null,
        database: about,
        strategies: [loadFailure(loaded.file, loaded.error.message)],
      },
      run: null,
    };
  }
  const strategy = loaded.strategy;
  const scenario = findScenario(strategy.scenario) as Scenario<ScenarioCase>;
  const kase = options.case === undefined ? scenario.replayCase(options) : parseCase(scenario, options.case);
  const started = performance.now();
  await using workspace = await Workspace.open(lab, strategy.name, scenario);
  await using isolated = new IsolatedBuyers(strategy.file, { timeoutMs: options.timeoutMs });
  let run: CaseRun;
  try {
    await installStrategySql(workspace, strategy, scenario);
    if (options.isolate) await isolated.prepare(kase.buyers.map((buyer) => buyer.id));
    run = await runCase({
      workspace,
      strategy: isolatedStrategy(strategy, options.isolate ? isolated : undefined),
      scenario,
      kase,
      choose: replayChooser(options.schedule),
      timeoutMs: options.timeoutMs,
      ...(options.isolate ? { purchaseFor: (id, request) => isolated.purchaseFor(id, request) } : {}),
    });
    if (run.decisions.length < options.schedule.length) {
      throw new ScheduleError(
        `the run ended after ${run.decisions.length} decisions but --schedule lists ${options.schedule.length}: drop the extra entries`,
      );
    }
    const divergence = options.recorded ? firstDivergence(options.recorded, run.trace) : null;
    if (divergence) {
      throw new ScheduleError(
        `the replay diverged from the recorded run at event ${divergence.event}: recorded ${describeEvent(divergence.recorded)}; replayed ${describeEvent(divergence.replayed)}`,
      );
    }
  } catch (error) {
    if (!(error instanceof StrategyError) && !(error instanceof Error && error.name === 'StatementError'))
      throw error;
    const message =
      error instanceof DivergedScheduleError ? divergedMessage(error) : (error as Error).message;
    const failure = loadFailure(strategy.file, `${strategy.file}: ${message}`);
    return {
      report: {
        passed: false,
        seed: null,
        database: about,
        strategies: [{ ...failure, name: strategy.name }],
      },
      run: null,
      ...(error instanceof ScheduleError && error.partialTrace.length > 0
        ? { partialTrace: error.partialTrace }
        : {}),
    };
  }
  const properties: PropertyReport[] = options.properties.map((name) => {
    const verdict = evaluateProperty(name, run.facts);
    const expected = strategy.expect[name];
    return {
      name,
      passed: verdict.holds,
      ...(expected !== undefined ? { expected } : {}),
      asExpected: verdict.holds === (expected ?? true),
      counterexample: verdict.holds ? null : counterexampleOf(strategy, scenario, run, verdict.why, 0),
    };
  });
  // A replay reports what happened on this run: any failing property fails it.
  const passed = properties.every((property) => property.passed);
  return {
    report: {
      passed,
      seed: null,
      database: about,
      strategies: [
        {
          name: strategy.name,
          file: strategy.file,
          description: strategy.description ?? null,
          scenario: strategy.scenario,
          passed,
          error: null,
          interleavings: 1,
          durationMs: performance.now() - started,
          properties,
        },
      ],
    },
    run,
  };
}

function parseCase(scenario: Scenario<ScenarioCase>, value: unknown): ScenarioCase {
  if (!scenario.parseCase) {
    throw new Error(
      `--case is for scenarios with several stocks; the ${scenario.name} scenario replays with --capacity, --buyers and --quantity`,
    );
  }
  return scenario.parseCase(value);
}

function replayChooser(schedule: readonly number[]) {
  return (index: number, ready: readonly number[]): number => {
    const id = schedule[index];
    if (id === undefined) return ready[0]!;
    if (!ready.includes(id)) throw new DivergedScheduleError(index, id, ready);
    return id;
  };
}

/** The schedule cannot be followed: the engine adds what each buyer was doing. */
class DivergedScheduleError extends ScheduleError {
  readonly decision: number;
  readonly id: number;
  readonly ready: readonly number[];
  constructor(index: number, id: number, ready: readonly number[]) {
    super(`--schedule entry ${index + 1} releases buyer ${id}, but only buyer ${ready.join(', ')} can move`);
    this.decision = index + 1;
    this.id = id;
    this.ready = ready;
  }
}

/**
 * If the schedule came from a counterexample, the run went differently from
 * the recorded one before this decision: say so, and what the buyer was doing,
 * rather than blame the schedule string.
 */
function divergedMessage(error: DivergedScheduleError): string {
  const state = error.buyerStates[error.id] ?? 'cannot move';
  return `the replay diverged at decision ${error.decision}: --schedule releases buyer ${error.id} there, but here buyer ${error.id} ${state} and only buyer ${error.ready.join(', ')} can move; if the schedule came from a counterexample, this run went differently from the recorded one before that point (its timeline so far is printed above), otherwise check the schedule string`;
}
