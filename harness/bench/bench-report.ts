import type { DatabaseSource } from '../database/started-database.ts';
import type { BenchSettings } from './bench-settings.ts';
import type { PgbenchComparison } from './pgbench-comparison.ts';

/** One strategy at one concurrency level. Field names are the JSON report's (`results[]`). */
export interface BenchResult {
  readonly strategy: string;
  readonly file: string;
  readonly concurrency: number;
  /** Purchases that returned 'purchased', per second, on the one hot event. */
  readonly throughput: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly purchased: number;
  /** 'sold-out' answers while stock was plentiful: the sale ended early (raise --stock). */
  readonly soldOut: number;
  /** Purchases that threw. */
  readonly failed: number;
  /** Extra BEGINs within one purchase: the strategy started its transaction over. */
  readonly retries: number;
  /** Failed statements by SQLSTATE, including those the strategy caught and retried. */
  readonly errors: Readonly<Record<string, number>>;
  /** Units sold beyond the capacity, summed over the hot-event level and its "last tickets" bursts. */
  readonly oversold: number;
  readonly elapsedMs: number;
  readonly lastTickets: LastTicketsResult;
  /** The same strategy with every buyer on its own event, at the same level; null when not measured. */
  readonly ceiling: { readonly throughput: number; readonly fraction: number | null } | null;
}

/** Bursts in which every buyer tries once for a few units. */
export interface LastTicketsResult {
  /** Units per burst. */
  readonly capacity: number;
  readonly bursts: number;
  /** Units sold over all bursts. */
  readonly sold: number;
  /** Units sold beyond the capacity, over all bursts. */
  readonly oversold: number;
  readonly failed: number;
}

export interface StrategyBenchSummary {
  readonly name: string;
  readonly file: string;
  /** One line when the strategy could not be measured (load error, hang, every purchase failing). */
  readonly error: string | null;
  /** The strategy's `expect['no-oversell']`, when it says. */
  readonly expectsOversell: boolean;
}

export interface BenchReport {
  readonly database: { readonly source: DatabaseSource; readonly serverVersion: string };
  readonly settings: BenchSettings;
  readonly strategies: readonly StrategyBenchSummary[];
  readonly results: readonly BenchResult[];
  readonly pgbench: PgbenchComparison | null;
}

/**
 * 2 when a strategy could not be measured; 1 when a strategy oversold under
 * real concurrency and does not declare `expect: { 'no-oversell': false }`; else 0.
 */
export function benchExitCode(report: BenchReport): number {
  if (report.strategies.length === 0 || report.strategies.some((strategy) => strategy.error !== null)) {
    return 2;
  }
  const surprise = report.results.some((result) => {
    const strategy = report.strategies.find((candidate) => candidate.file === result.file);
    return result.oversold > 0 && !strategy?.expectsOversell;
  });
  return surprise ? 1 : 0;
}
