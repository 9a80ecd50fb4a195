import { chooserFromChoices } from '../../properties/case-arbitrary.ts';
import { evaluateProperty, type RunFacts, type Verdict } from '../../properties/properties.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { renderTimeline } from '../../reports/timeline.ts';
import { counterexampleOf } from '../check/counterexample.ts';
import { pgConnector } from '../database/pg-connector.ts';
import type { StartedDatabase } from '../database/started-database.ts';
import { Lab } from '../engine/lab.ts';
import { runCase } from '../engine/run-case.ts';
import type { TraceEvent } from '../engine/trace.ts';
import { Workspace } from '../engine/workspace.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { findScenario } from '../scenarios/scenario-registry.ts';
import { installStrategySql } from '../strategy/install-strategy-sql.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { openTestDatabase } from './test-database.ts';
import { loadTestStrategy, type StrategyFile } from './test-strategy.ts';

/** What one interleaving of one case did, for a property written in a test. */
export interface CaseResult<Case extends ScenarioCase = ScenarioCase> {
  readonly kase: Case;
  /** Buyer ids in release order, as `--schedule` takes them. */
  readonly schedule: string;
  /** Units sold, and the initial stock (summed over keys in scenarios with several). */
  readonly sold: number;
  readonly capacity: number;
  readonly stock: readonly { readonly key: string; readonly capacity: number; readonly sold: number }[];
  /** Each buyer's outcome: 'purchased', 'sold-out', or 'threw CODE: message'. */
  readonly outcomes: Readonly<Record<string, string>>;
  readonly trace: readonly TraceEvent[];
  /** The exact `oversold replay …` command for this run. */
  readonly replay: string;
  /** What the built-in properties look at. */
  readonly facts: RunFacts;
  /** A built-in property's verdict on this run. */
  check(property: PropertyName): Verdict;
  /** The timeline (one column per buyer), units sold and replay command, for an assertion message. */
  explain(): string;
}

/**
 * Runs chosen interleavings of one strategy, keeping its database and buyer
 * sessions open between runs. Pair it with `ticketCaseArbitrary()` and
 * `scheduleArbitrary()` to write properties with `@fast-check/vitest`.
 */
export interface StrategyRunner extends AsyncDisposable {
  readonly strategy: { readonly name: string; readonly file: string; readonly scenario: string };
  /** Runs the case with the schedule given as choices among the ready buyers (see scheduleArbitrary). */
  run<Case extends ScenarioCase>(kase: Case, choices?: readonly number[]): Promise<CaseResult<Case>>;
  close(): Promise<void>;
}

export interface StrategyRunnerOptions {
  /** Longest one buyer may take on one step (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Defaults to the global setup's server, then DATABASE_URL, then an embedded server. */
  readonly databaseUrl?: string;
}

/** Opens a runner for one strategy file; close it (or `await using`) when done. */
export async function openStrategyRunner(
  strategy: StrategyFile,
  options: StrategyRunnerOptions = {},
): Promise<StrategyRunner> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new RangeError(`oversold: timeoutMs must be > 0, got ${String(timeoutMs)}`);
  const loaded = await loadTestStrategy(strategy);
  const scenario = findScenario(loaded.scenario) as Scenario<ScenarioCase>;
  const database = await openTestDatabase(options.databaseUrl);
  let lab: Lab | undefined;
  let workspace: Workspace | undefined;
  try {
    lab = await Lab.open(database, pgConnector);
    workspace = await Workspace.open(lab, loaded.name, scenario);
    await installStrategySql(workspace, loaded, scenario);
  } catch (error) {
    await workspace?.close();
    await lab?.close();
    await database.stop();
    throw error;
  }
  return new Runner(loaded, scenario, database, lab, workspace, timeoutMs);
}

class Runner implements StrategyRunner {
  readonly strategy: StrategyRunner['strategy'];
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly loaded: LoadedStrategy,
    private readonly scenario: Scenario<ScenarioCase>,
    private readonly database: StartedDatabase,
    private readonly lab: Lab,
    private readonly workspace: Workspace,
    private readonly timeoutMs: number,
  ) {
    this.strategy = { name: loaded.name, file: loaded.file, scenario: loaded.scenario };
  }

  run<Case extends ScenarioCase>(kase: Case, choices: readonly number[] = []): Promise<CaseResult<Case>> {
    if (this.#closed)
      return Promise.reject(new Error(`oversold: the runner for ${this.strategy.file} is closed`));
    // One workspace runs one interleaving at a time; concurrent callers queue.
    const result = this.#queue.then(() => this.#run(kase, choices));
    this.#queue = result.catch(() => {});
    return result;
  }

  async #run<Case extends ScenarioCase>(kase: Case, choices: readonly number[]): Promise<CaseResult<Case>> {
    const run = await runCase({
      workspace: this.workspace,
      strategy: this.loaded,
      scenario: this.scenario,
      kase,
      choose: chooserFromChoices(choices),
      timeoutMs: this.timeoutMs,
    });
    const example = counterexampleOf(this.loaded, this.scenario, run, '', 0);
    const buyers = example.buyers.map((buyer) => buyer.id);
    return {
      kase,
      schedule: example.schedule,
      sold: example.sold,
      capacity: example.capacity,
      stock: example.stock,
      outcomes: example.outcomes,
      trace: example.trace,
      replay: example.replay,
      facts: run.facts,
      check: (property) => evaluateProperty(property, run.facts),
      explain: () =>
        [
          `${this.strategy.name}: ${this.scenario.describe(kase)}; schedule "${example.schedule}"`,
          '',
          ...renderTimeline(example.trace, buyers, 120),
          '',
          `sold ${example.sold} of ${example.capacity}: ${Object.entries(example.outcomes)
            .map(([id, outcome]) => `buyer ${id} ${outcome}`)
            .join('; ')}`,
          `replay: ${example.replay}`,
        ].join('\n'),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await this.workspace.close();
    await this.lab.close();
    await this.database.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
