import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pgConnector } from '../database/pg-connector.ts';
import { type DatabaseChoice, startDatabase } from '../database/start-database.ts';
import { DatabaseUnavailableError } from '../database/started-database.ts';
import { Lab } from '../engine/lab.ts';
import { ownModuleUrl } from '../package-files.ts';
import { findStrategyFiles, loadStrategy } from '../strategy/load-strategy.ts';
import type { BenchReport, BenchResult, StrategyBenchSummary } from './bench-report.ts';
import { type BenchSettings, benchSettings } from './bench-settings.ts';
import { benchStrategy } from './bench-strategy.ts';
import { findPgbench } from './find-pgbench.ts';
import { comparePgbench, type PgbenchComparison } from './pgbench-comparison.ts';

export interface RunBenchOptions {
  /** Strategy files or folders; defaults to the bundled strategies that answer "which correct one scales". */
  readonly paths?: readonly string[];
  readonly database: DatabaseChoice;
  readonly settings?: Partial<BenchSettings>;
  /** A pgbench binary; `false` skips the comparison; undefined looks on PATH and in /usr/lib/postgresql. */
  readonly pgbench?: string | false;
  /** Before each level of each strategy (for progress output). */
  readonly onLevel?: (strategy: string, concurrency: number) => void;
  /** Once PostgreSQL answers, before the first measurement (to print an estimate). */
  readonly onStart?: (files: readonly string[], settings: BenchSettings) => void;
}

/** The correct strategies the benchmark compares when no path is given. */
export const defaultBenchStrategies: readonly string[] = [
  'guarded-update',
  'select-for-update',
  'serializable-retry',
  'seat-rows-skip-locked',
  'bucketed-stock',
]
  .map((name) => fileURLToPath(ownModuleUrl(`../../strategies/${name}`, import.meta.url)))
  .filter((file) => existsSync(file));

/** `oversold bench`: starts (or adopts) PostgreSQL, measures every strategy, compares with pgbench. */
export async function runBench(options: RunBenchOptions): Promise<BenchReport> {
  const settings = benchSettings(options.settings);
  const files = await findStrategyFiles(options.paths ?? defaultBenchStrategies);
  await using database = await startDatabase(options.database);
  await using lab = await Lab.open(database, pgConnector);
  options.onStart?.(files, settings);
  // `return await`: the lab must outlive the benchmark, not just the call.
  return await benchOnLab(lab, files, settings, options);
}

/** The benchmark on a lab that the caller owns (tests open their own). */
export async function benchOnLab(
  lab: Lab,
  files: readonly string[],
  settings: BenchSettings,
  options: Pick<RunBenchOptions, 'pgbench' | 'onLevel'> = {},
): Promise<BenchReport> {
  await checkConnectionRoom(lab, Math.max(...settings.levels));
  const strategies: StrategyBenchSummary[] = [];
  const results: BenchResult[] = [];
  for (const file of files) {
    const loaded = await loadStrategy(file);
    if ('error' in loaded) {
      strategies.push({
        name: nameOf(loaded.file),
        file: loaded.file,
        error: loaded.error.message,
        expectsOversell: false,
      });
      continue;
    }
    const measured = await benchStrategy(lab, loaded.strategy, settings, options.onLevel);
    strategies.push(measured.summary);
    results.push(...measured.results);
  }
  let pgbench: PgbenchComparison | null = null;
  if (options.pgbench !== false) {
    const found = await findPgbench(options.pgbench);
    pgbench =
      found.path === null
        ? {
            available: false,
            reason: `no pgbench found (looked in ${found.looked.join(', ')}): install PostgreSQL's client programs (Debian: postgresql-client) or pass --pgbench PATH`,
          }
        : // At the highest concurrency asked for, not more: the comparison stays the size of the bench.
          await comparePgbench(lab, found, settings, Math.max(...settings.levels));
  }
  return {
    database: { source: lab.info.source, serverVersion: lab.info.serverVersion },
    settings,
    strategies,
    results,
    pgbench,
  };
}

/** Refuses, before opening any, more buyer sessions than the server will accept. */
async function checkConnectionRoom(lab: Lab, buyers: number): Promise<void> {
  const session = await lab.connector.connect({ applicationName: 'oversold bench check' });
  try {
    const result = await session.query(
      `SELECT current_setting('max_connections')::int
              - current_setting('superuser_reserved_connections')::int
              - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS room`,
    );
    // This session closes before the buyers open; each strategy also keeps a control and a barrier session.
    const free = Number(result.rows[0]?.room ?? 0) + 1 - 2;
    if (buyers > free) {
      throw new DatabaseUnavailableError(
        `--concurrency ${buyers} needs ${buyers} buyer sessions, but the server has room for ${Math.max(0, free)}: lower --concurrency or raise max_connections`,
      );
    }
  } finally {
    await session.close();
  }
}

function nameOf(file: string): string {
  return file.replace(/^.*[/\\]/, '').replace(/\.[^.]+$/, '');
}
