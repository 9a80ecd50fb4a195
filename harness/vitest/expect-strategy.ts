import pc from 'picocolors';
import { type CaseRanges, defaultCaseRanges, type Range } from '../../properties/case-arbitrary.ts';
import { isPropertyName, PROPERTY_NAMES, type PropertyName } from '../../properties/property-names.ts';
import { counterexampleLines } from '../../reports/console-report.ts';
import { checkStrategy } from '../check/check-strategy.ts';
import type { StrategyReport } from '../check/report-model.ts';
import { pgConnector } from '../database/pg-connector.ts';
import { Lab } from '../engine/lab.ts';
import { openTestDatabase } from './test-database.ts';
import { loadTestStrategy, type StrategyFile } from './test-strategy.ts';

/** How many cases, from which ranges, on which PostgreSQL. Every field is optional. */
export interface StrategyTestOptions {
  /** Generated cases per property (default 100). */
  readonly runs?: number;
  /** fast-check seed; the same seed gives the same cases (default: a fresh one, printed on failure). */
  readonly seed?: number;
  /** Initial stock, buyers per case and units per buyer (defaults 1..3, 2..4, 1..1). */
  readonly capacity?: Range;
  readonly buyers?: Range;
  readonly quantity?: Range;
  /** Longest one buyer may take on one step before the run fails as hung (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Defaults to the global setup's server, then DATABASE_URL, then an embedded server. */
  readonly databaseUrl?: string;
}

export interface StrategyHoldsOptions extends StrategyTestOptions {
  /** Which properties must hold (default: all four). */
  readonly properties?: readonly PropertyName[];
}

/**
 * A property failed: the message carries, as `oversold check` prints it, the
 * case, the timeline, the units sold, why, the replay command and the seed.
 */
export class OversoldAssertionError extends Error {
  readonly report: StrategyReport;
  constructor(message: string, report: StrategyReport) {
    super(message);
    this.name = 'OversoldAssertionError';
    this.report = report;
  }
}

/**
 * Asserts that no generated interleaving of the strategy sells more units
 * than exist. Resolves to the strategy's report; rejects with an
 * OversoldAssertionError whose message shows the smallest failing
 * interleaving. The strategy's own `expect` is not consulted: this asserts.
 *
 *   await expectNoOversell('strategies/checkout.ts', { runs: 50, seed: 42 });
 */
export function expectNoOversell(
  strategy: StrategyFile,
  options: StrategyTestOptions = {},
): Promise<StrategyReport> {
  return expectStrategyHolds(strategy, { ...options, properties: ['no-oversell'] });
}

/** Asserts that every chosen property (default: all four) holds in every generated interleaving. */
export async function expectStrategyHolds(
  strategy: StrategyFile,
  options: StrategyHoldsOptions = {},
): Promise<StrategyReport> {
  const settings = validate(options);
  const loaded = await loadTestStrategy(strategy);
  await using database = await openTestDatabase(options.databaseUrl);
  await using lab = await Lab.open(database, pgConnector);
  const report = await checkStrategy(lab, loaded, settings);
  if (report.error !== null) {
    throw new OversoldAssertionError(`${report.name} could not be evaluated: ${report.error}`, report);
  }
  const failures = report.properties.filter((property) => !property.passed);
  if (failures.length > 0) throw new OversoldAssertionError(failureMessage(report, settings), report);
  return report;
}

interface Settings {
  readonly runs: number;
  readonly seed: number;
  readonly ranges: CaseRanges;
  readonly properties: readonly PropertyName[];
  readonly timeoutMs: number;
}

const plain = pc.createColors(false);

function failureMessage(report: StrategyReport, settings: Settings): string {
  const lines: string[] = [];
  for (const property of report.properties) {
    if (property.passed || !property.counterexample) continue;
    if (lines.length > 0) lines.push('');
    lines.push(...counterexampleLines(report, property, property.counterexample, plain, 120, true));
  }
  const failed = report.properties.filter((property) => !property.passed);
  const first = failed[0]?.counterexample;
  const headline = `${report.name} (${report.file}) breaks ${failed.map((property) => property.name).join(', ')}${first ? `: ${first.why}` : ''}`;
  return [
    headline,
    '',
    ...lines,
    '',
    `seed ${settings.seed}, ${settings.runs} runs: pass { seed: ${settings.seed} } to check the same cases again`,
  ].join('\n');
}

/** Public entry point: reject bad options with what to pass instead. */
function validate(options: StrategyHoldsOptions): Settings {
  const runs = options.runs ?? 100;
  if (!Number.isInteger(runs) || runs < 1) {
    throw new RangeError(`oversold: runs must be a whole number ≥ 1, got ${String(options.runs)}`);
  }
  // The one place randomness enters, as in the CLI: a fresh seed unless given, always printed on failure.
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed))
    throw new RangeError(`oversold: seed must be a whole number, got ${String(seed)}`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new RangeError(`oversold: timeoutMs must be > 0, got ${String(timeoutMs)}`);
  const properties = options.properties ?? PROPERTY_NAMES;
  const unknown = properties.find((name) => !isPropertyName(name));
  if (unknown !== undefined || properties.length === 0) {
    throw new RangeError(
      `oversold: properties must name some of ${PROPERTY_NAMES.join(', ')}${unknown !== undefined ? `, not '${unknown}'` : ''}`,
    );
  }
  return {
    runs,
    seed,
    timeoutMs,
    properties,
    ranges: {
      capacity: range('capacity', options.capacity ?? defaultCaseRanges.capacity, 0),
      buyers: range('buyers', options.buyers ?? defaultCaseRanges.buyers, 1),
      quantity: range('quantity', options.quantity ?? defaultCaseRanges.quantity, 1),
    },
  };
}

function range(name: string, value: Range, least: number): Range {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    Number.isInteger(value.min) &&
    Number.isInteger(value.max) &&
    value.min >= least &&
    value.max >= value.min;
  if (!ok) {
    throw new RangeError(
      `oversold: ${name} must be { min, max } with whole numbers, ${least} ≤ min ≤ max, got ${JSON.stringify(value)}`,
    );
  }
  return { min: value.min, max: value.max };
}
