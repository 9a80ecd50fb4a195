import type { PropertyName } from '../../properties/property-names.ts';
import { identityOfFile, loadFailure } from '../check/failed-report.ts';
import type { CheckReport } from '../check/report-model.ts';
import { pgConnector } from '../database/pg-connector.ts';
import { type DatabaseChoice, startDatabase } from '../database/start-database.ts';
import type { ChildLauncher } from '../engine/child-launcher.ts';
import { StrategyLoadError } from '../engine/errors.ts';
import { Lab } from '../engine/lab.ts';
import { Sandbox } from '../grade/sandbox.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { findScenario } from '../scenarios/scenario-registry.ts';
import { findStrategyFiles, loadStrategy } from '../strategy/load-strategy.ts';
import { loadStrategyIsolated } from '../strategy/load-strategy-isolated.ts';
import { type ExploreSettings, type ExploreStrategyReport, exploreStrategy } from './explore-strategy.ts';

export interface RunExploreOptions extends ExploreSettings {
  readonly paths: readonly string[];
  readonly database: DatabaseChoice;
  /** The case as --capacity, --buyers and --quantity give it (tickets scenario). */
  readonly capacity: number;
  readonly buyers: number;
  readonly quantities: readonly number[];
  /** The whole case as JSON (`--case`), for scenarios with several stocks; replaces the three above. */
  readonly case?: unknown;
  readonly properties: readonly PropertyName[];
  readonly onStrategy?: (file: string) => void;
  /** Untrusted strategies: buyers' code in sandboxed processes, their SQL as a confined role (as check --isolate). */
  readonly isolate?: boolean;
  /** Under `isolate`: the processes run without bubblewrap, with the user's rights. */
  readonly unsafeNoSandbox?: boolean;
}

export interface ExploreReport extends CheckReport {
  readonly strategies: readonly ExploreStrategyReport[];
}

/** Each sandboxed strategy process under explore --isolate: its heap (MB), and CPU seconds over its life. */
const SANDBOX_LIMITS = { memoryMb: 256, cpuSeconds: 600 };

/** `oversold explore`: every strategy under the paths, one case each, on one PostgreSQL. */
export async function runExplore(options: RunExploreOptions): Promise<ExploreReport> {
  const files = await findStrategyFiles(options.paths);
  await using sandbox =
    options.isolate && !options.unsafeNoSandbox ? await Sandbox.open(SANDBOX_LIMITS) : undefined;
  await using database = await startDatabase(options.database);
  const buyers = options.case === undefined ? options.buyers : 32;
  await using lab = await Lab.open(
    database,
    pgConnector,
    options.isolate
      ? { confine: { timeoutMs: options.timeoutMs, connectionLimit: options.jobs * (buyers + 2) + 2 } }
      : {},
  );
  const strategies: ExploreStrategyReport[] = [];
  for (const file of files) {
    options.onStrategy?.(file);
    // Only JavaScript and TypeScript run in processes; a .sql strategy runs in PostgreSQL alone.
    const inProcesses = options.isolate === true && /\.[cm]?[jt]s$/.test(file);
    let launcher: ChildLauncher | undefined;
    if (inProcesses && sandbox) {
      try {
        launcher = await sandbox.launcherFor(file);
      } catch (error) {
        if (!(error instanceof StrategyLoadError)) throw error;
        strategies.push({ ...loadFailure(file, error.message), exploration: null });
        continue;
      }
    }
    const loaded = inProcesses
      ? await loadStrategyIsolated(file, { timeoutMs: options.timeoutMs, ...(launcher ? { launcher } : {}) })
      : await loadStrategy(file);
    if ('error' in loaded) {
      strategies.push({ ...loadFailure(file, loaded.error.message), exploration: null });
      continue;
    }
    const strategy = loaded.strategy;
    const scenario = findScenario(strategy.scenario) as Scenario<ScenarioCase> | undefined;
    let kase: ScenarioCase;
    try {
      if (!scenario) throw new Error(`unknown scenario ${strategy.scenario}`);
      kase = caseOf(scenario, options);
    } catch (error) {
      const identity = { ...identityOfFile(file), name: strategy.name, scenario: strategy.scenario };
      strategies.push({
        ...identity,
        passed: false,
        error: `${file}: ${(error as Error).message}`,
        interleavings: 0,
        durationMs: 0,
        properties: [],
        exploration: null,
      });
      continue;
    }
    strategies.push(
      await exploreStrategy(lab, strategy, scenario, kase, {
        ...options,
        ...(inProcesses ? { isolation: launcher ? { launcher } : {} } : {}),
      }),
    );
  }
  return {
    passed: strategies.length > 0 && strategies.every((strategy) => strategy.passed),
    seed: null,
    database: { source: database.source, serverVersion: lab.info.serverVersion },
    strategies,
  };
}

function caseOf(scenario: Scenario<ScenarioCase>, options: RunExploreOptions): ScenarioCase {
  if (options.case !== undefined) {
    if (!scenario.parseCase) {
      throw new Error(
        `--case is for scenarios with several stocks; the ${scenario.name} scenario explores with --capacity, --buyers and --quantity`,
      );
    }
    return scenario.parseCase(options.case);
  }
  return scenario.replayCase(options);
}
