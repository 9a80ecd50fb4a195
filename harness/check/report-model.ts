import type { Range } from '../../properties/case-ranges.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import type { DatabaseSource } from '../database/started-database.ts';
import type { BuyerOutcome, TraceEvent } from '../engine/trace.ts';

/** The smallest failing interleaving found for one property. */
export interface Counterexample {
  /**
   * Initial stock of the event under test. With several stocks (inventory,
   * your own schema): of the one named by `stockKey`, the stock oversold most;
   * `stock` lists them all.
   */
  readonly capacity: number;
  /** Units each buyer asks for of that same stock (0 when its cart does not hold it). */
  readonly buyers: readonly { readonly id: number; readonly quantity: number }[];
  /** Which stock `capacity`, `sold` and the buyers' `quantity` describe: an event or item id. */
  readonly stockKey?: string;
  /** The scenario's whole case, for scenarios with more than one stock (inventory). */
  readonly case: unknown;
  /**
   * The case in one line, as the scenario words it: `capacity 1; buyer 1 wants 1, …`,
   * or for inventory `item 201 stock 1, item 202 stock 1; buyer 1 buys 201×1 then 202×1, …`.
   */
  readonly caseSummary?: string;
  /** Buyer ids in release order, space-separated: `--schedule` for replay. */
  readonly schedule: string;
  /** The exact command that reproduces this run. */
  readonly replay: string;
  /** Units sold of the stock named by `stockKey`. */
  readonly sold: number;
  readonly stock: readonly { readonly key: string; readonly capacity: number; readonly sold: number }[];
  readonly outcomes: Record<string, string>;
  readonly trace: readonly TraceEvent[];
  /** One sentence: why the property broke. */
  readonly why: string;
  /** One sentence naming the anomaly the trace shows (lost update, write skew, …), when one is recognised. */
  readonly anomaly?: string;
  /** How many smaller cases fast-check tried while shrinking. */
  readonly shrinks: number;
}

export interface PropertyReport {
  readonly name: PropertyName;
  /** Whether the property held in every interleaving tried. */
  readonly passed: boolean;
  /** What the strategy's `expect` says, when it names this property. */
  readonly expected?: boolean;
  /** The verdict matches `expected` (or, with no expectation, the property held). */
  readonly asExpected: boolean;
  /**
   * Time spent on this property, shrinking included. Interleavings run for an
   * earlier property are reused, so the first property usually takes longest.
   */
  readonly durationMs?: number;
  readonly counterexample: Counterexample | null;
}

export interface StrategyReport {
  readonly name: string;
  readonly file: string;
  readonly description: string | null;
  readonly scenario: string;
  /** Every verdict as expected and no error. */
  readonly passed: boolean;
  /** One line when the strategy could not be evaluated (load error, hang, bad return value). */
  readonly error: string | null;
  /** Distinct interleavings run, shrinking included. */
  readonly interleavings: number;
  readonly durationMs: number;
  readonly properties: readonly PropertyReport[];
}

/** What a check tried, so that "holds" never hides what was not: the ranges cases came from and how many. */
export interface Searched {
  readonly capacity: Range;
  readonly buyers: Range;
  readonly quantity: Range;
  /** Generated cases per strategy and property. */
  readonly runs: number;
  readonly seed: number;
}

export interface CheckReport {
  readonly passed: boolean;
  /** fast-check's seed; null for a replay, which draws nothing. */
  readonly seed: number | null;
  /** The generated search of `oversold check`; absent for a replay or an exploration of one case. */
  readonly searched?: Searched;
  readonly database: { readonly source: DatabaseSource; readonly serverVersion: string };
  readonly strategies: readonly StrategyReport[];
}

/** Exit status per SPEC: 2 wins over 1. */
export function exitCodeOf(report: CheckReport): 0 | 1 | 2 {
  if (report.strategies.some((strategy) => strategy.error !== null)) return 2;
  return report.passed ? 0 : 1;
}

export function outcomeText(outcome: BuyerOutcome): string {
  if (outcome.kind === 'returned') return outcome.value;
  return outcome.code ? `threw ${outcome.code}: ${outcome.message}` : `threw: ${outcome.message}`;
}
