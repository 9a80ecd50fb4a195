import type fc from 'fast-check';
import type { CaseRanges } from '../../properties/case-arbitrary.ts';
import type { SqlSession } from '../engine/sql-session.ts';

/** A generated case: who buys what, against how much stock. The schedule is separate. */
export interface ScenarioCase {
  readonly buyers: readonly { readonly id: number }[];
}

/** What the properties look at after a run. */
export interface Measurement {
  /** Per unit of stock (an event, an item): its initial stock and the units sold. */
  readonly stock: readonly { readonly key: string; readonly capacity: number; readonly sold: number }[];
  /** Units each buyer holds at the end, per key. */
  readonly holdings: ReadonlyMap<number, ReadonlyMap<string, number>>;
  /** Changes to stock that no buyer asked for, one sentence each. */
  readonly strayChanges: readonly string[];
}

/**
 * The tables a strategy runs against, and how a generated case becomes rows,
 * requests and measurements. `tickets` is the default; see SPEC.md.
 */
export interface Scenario<Case extends ScenarioCase = ScenarioCase, Request = unknown> {
  readonly name: string;
  /** DDL run once in every strategy's schema (with search_path set to it). */
  readonly schemaSql: string;
  /** Puts the tables in the case's initial state; runs before every interleaving. */
  seed(session: SqlSession, kase: Case): Promise<void>;
  /** The second argument of purchase() for this buyer. */
  request(kase: Case, buyerId: number): Request;
  /** What setup() receives as its second argument. */
  setupContext(kase: Case): Record<string, unknown>;
  /** What the buyer asks for, per key, in units. */
  wants(kase: Case, buyerId: number): ReadonlyMap<string, number>;
  measure(session: SqlSession, kase: Case): Promise<Measurement>;
  /**
   * Optional: {@link measure}, then {@link seed} for the next run of the same
   * case, in one round trip (one statement whose parts all read the tables as
   * the run left them). A statement that fails changes nothing.
   */
  measureAndSeed?(session: SqlSession, kase: Case): Promise<Measurement>;
  /** How a buyer calls a SQL strategy's purchase function. */
  sqlCall(request: Request): { readonly text: string; readonly params: readonly unknown[] };
  /** The SQL function a `.sql` strategy must create, as the error message names it. */
  readonly sqlSignature: string;
  /** `to_regprocedure` argument that checks that function exists. */
  readonly sqlProcedure: string;
  /** Generated cases within the check's ranges; shrinking should remove buyers first. */
  caseArbitrary(ranges: CaseRanges): fc.Arbitrary<Case>;
  /** The case `oversold replay` runs, from its --capacity, --buyers and --quantity. */
  replayCase(args: { capacity: number; buyers: number; quantities: readonly number[] }): Case;
  /**
   * The case `oversold replay --case '<json>'` runs, checked; throws one line
   * naming what is wrong. Scenarios whose case does not fit --capacity,
   * --buyers and --quantity (inventory, your own schema) provide it.
   */
  parseCase?(value: unknown): Case;
  /** Command-line words that recreate this case for `oversold replay`. */
  replayArgs(kase: Case): string[];
  /** One line for reports: "capacity 1, buyers 1×1 2×1". */
  describe(kase: Case): string;
}
