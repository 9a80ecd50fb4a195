import { build, type Histogram } from 'hdr-histogram-js';

/** Latencies are recorded in microseconds; one hour is far beyond any purchase. */
const HIGHEST_MICROS = 3_600_000_000;

/**
 * What one phase of a benchmark counted: outcomes, latencies of finished
 * purchases, retries and failed statements. Only the buyer loops write to it.
 */
export class LoadTally {
  purchased = 0;
  soldOut = 0;
  /** Purchases that threw. */
  failed = 0;
  /** Extra `BEGIN`s within one purchase (see BenchDb). */
  retries = 0;
  /** The first purchase failure, as one line, for error messages. */
  firstFailure: string | null = null;
  /** The first value a purchase returned that is neither 'purchased' nor 'sold-out'. */
  mistake: string | null = null;
  readonly #errors = new Map<string, number>();
  readonly #latency: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: 3,
  });

  /** A statement failed with this SQLSTATE (caught by the strategy or not). */
  statementError(code: string): void {
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }

  /** One purchase that returned or threw, and how long it took. */
  finished(outcome: unknown, micros: number): void {
    if (outcome === 'purchased') this.purchased += 1;
    else if (outcome === 'sold-out') this.soldOut += 1;
    else {
      this.mistake ??= `purchase() returned ${describe(outcome)}: return 'purchased' or 'sold-out'`;
      return;
    }
    this.#latency.recordValue(Math.max(1, Math.round(micros)));
  }

  failedWith(error: unknown): void {
    this.failed += 1;
    if (this.firstFailure === null) {
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: unknown } | null)?.code;
      const prefix = typeof code === 'string' ? `SQLSTATE ${code}: ` : '';
      this.firstFailure = `${prefix}${message}`.replace(/\s*\n\s*/g, ' ').trim();
    }
  }

  /** Failed statements by SQLSTATE, sorted by code. */
  errors(): Record<string, number> {
    return Object.fromEntries([...this.#errors.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Latency at a percentile, in milliseconds; null when nothing finished. */
  percentileMs(percentile: number): number | null {
    if (this.#latency.totalCount === 0) return null;
    return this.#latency.getValueAtPercentile(percentile) / 1000;
  }

  /** Frees the histogram's memory. */
  close(): void {
    this.#latency.destroy();
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
