/** How `oversold bench` measures; every field has a default (see defaultBenchSettings). */
export interface BenchSettings {
  /** Concurrent buyer sessions, one level after another. */
  readonly levels: readonly number[];
  /** How long each level runs (ignored when `purchases` is set). */
  readonly durationMs: number;
  /** Instead of a duration: this many purchases per level, over all buyers. */
  readonly purchases?: number;
  /** Units of the hot event at the start of each level: large, so the sale does not end. */
  readonly stock: number;
  /** Units in each "last tickets" burst (fewer when there are fewer buyers, so that they race). */
  readonly lastTickets: number;
  /** Bursts per level. */
  readonly bursts: number;
  /** Also measure each strategy without contention (each buyer on its own event). */
  readonly ceiling: boolean;
  /** Longest one purchase may take before the strategy is declared hung. */
  readonly timeoutMs: number;
}

export const defaultBenchSettings: BenchSettings = {
  levels: [1, 8, 32, 128],
  durationMs: 5000,
  stock: 500_000,
  lastTickets: 4,
  bursts: 10,
  ceiling: true,
  timeoutMs: 10_000,
};

/** A benchmark setting that cannot work; the message names the value and the fix. */
export class BenchSettingsError extends Error {
  readonly code = 'BENCH_SETTINGS';
  constructor(message: string) {
    super(message);
    this.name = 'BenchSettingsError';
  }
}

/** Fills in defaults and refuses impossible values, for callers of the API (the CLI parses its own). */
export function benchSettings(given: Partial<BenchSettings> = {}): BenchSettings {
  const settings: BenchSettings = { ...defaultBenchSettings, ...given };
  if (settings.levels.length === 0) {
    throw new BenchSettingsError('no concurrency levels: give at least one, as in --concurrency 1,8,32');
  }
  for (const level of settings.levels) {
    if (!Number.isInteger(level) || level < 1) {
      throw new BenchSettingsError(
        `concurrency ${level} is not a number of buyers: use whole numbers from 1 up, as in --concurrency 1,8,32`,
      );
    }
  }
  positive('durationMs', settings.durationMs);
  positive('stock', settings.stock);
  positive('lastTickets', settings.lastTickets);
  positive('bursts', settings.bursts);
  positive('timeoutMs', settings.timeoutMs);
  if (settings.purchases !== undefined) positive('purchases', settings.purchases);
  return settings;
}

function positive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new BenchSettingsError(`${name} must be a positive number, not ${value}`);
  }
}
