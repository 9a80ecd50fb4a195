import type { CaseRanges } from '../../properties/case-arbitrary.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { pgConnector } from '../database/pg-connector.ts';
import { type DatabaseChoice, startDatabase } from '../database/start-database.ts';
import { Lab } from '../engine/lab.ts';
import { findStrategyFiles, loadStrategy } from '../strategy/load-strategy.ts';
import { checkStrategy } from './check-strategy.ts';
import type { CheckReport, StrategyReport } from './report-model.ts';

export interface RunCheckOptions {
  readonly paths: readonly string[];
  readonly database: DatabaseChoice;
  readonly runs: number;
  readonly seed: number;
  readonly ranges: CaseRanges;
  readonly properties: readonly PropertyName[];
  readonly timeoutMs: number;
  readonly isolate?: boolean;
  readonly onStrategy?: (file: string, index: number, total: number) => void;
  readonly onInterleaving?: () => void;
}

/** `oversold check`: every strategy under the paths, on one PostgreSQL. */
export async function runCheck(options: RunCheckOptions): Promise<CheckReport> {
  const files = await findStrategyFiles(options.paths);
  await using database = await startDatabase(options.database);
  await using lab = await Lab.open(database, pgConnector);
  const strategies: StrategyReport[] = [];
  for (const [index, file] of files.entries()) {
    options.onStrategy?.(file, index, files.length);
    const loaded = await loadStrategy(file);
    if ('error' in loaded) {
      strategies.push(loadFailure(loaded.file, loaded.error.message));
      continue;
    }
    strategies.push(
      await checkStrategy(lab, loaded.strategy, {
        runs: options.runs,
        seed: options.seed,
        ranges: options.ranges,
        properties: options.properties,
        timeoutMs: options.timeoutMs,
        ...(options.isolate ? { isolate: true } : {}),
        ...(options.onInterleaving ? { onInterleaving: options.onInterleaving } : {}),
      }),
    );
  }
  return {
    passed: strategies.length > 0 && strategies.every((strategy) => strategy.passed),
    seed: options.seed,
    database: { source: database.source, serverVersion: lab.info.serverVersion },
    strategies,
  };
}

export function loadFailure(file: string, message: string): StrategyReport {
  return {
    name: file.replace(/^.*[/\\]/, '').replace(/\.[^.]+$/, ''),
    file,
    description: null,
    scenario: 'tickets',
    passed: false,
    error: message,
    interleavings: 0,
    durationMs: 0,
    properties: [],
  };
}
