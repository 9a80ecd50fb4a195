import { StrategyMistakeError } from '../engine/errors.ts';
import type { Step } from '../engine/interleaving.ts';
import { classifyStep, transactionBlockAfter } from './step-class.ts';

/** A subtree still to explore: follow `prefix`, then the default choices. */
export interface WorkItem {
  /** The buyer released at each decision so far; the last entry is this subtree's own choice. */
  readonly prefix: readonly number[];
  /** Preemptions along `prefix` (see {@link PathFollower}). */
  readonly preemptions: number;
}

export interface FollowerSettings {
  /** Take steps that are independent of every other step at once, without branching. */
  readonly reduction: boolean;
  /**
   * Buyer id → its request with the buyer's id left out, for buyers that may
   * be swapped for one another (symmetry reduction); empty to keep every buyer distinct.
   */
  readonly interchangeable: ReadonlyMap<number, string>;
  /** Most preemptions along one interleaving; null for no bound. */
  readonly preemptionBound: number | null;
}

/** What one run added to the search besides its own outcome. */
export interface FollowerTally {
  /** Alternatives left out because they are equivalent to one explored (independent steps). */
  pruned: number;
  /** Alternatives left out because an interchangeable buyer with a lower id makes the same move. */
  symmetric: number;
  /** Alternatives left out because they would exceed the preemption bound. */
  bounded: number;
}

/**
 * The Chooser of one stateless run: it follows the work item's prefix, then
 * at every later decision takes the default choice and records each
 * alternative as a new work item. A preemption is a switch away from the
 * buyer whose shared step was released last while that buyer could still go
 * on; local steps are not counted (with reduction they are taken eagerly).
 */
export class PathFollower {
  readonly children: WorkItem[] = [];
  readonly tally: FollowerTally = { pruned: 0, symmetric: 0, bounded: 0 };
  readonly #item: WorkItem;
  readonly #settings: FollowerSettings;
  readonly #decisions: number[] = [];
  readonly #inBlock = new Map<number, boolean>();
  readonly #moved = new Set<number>();
  #last: number | null = null;
  #preemptions = 0;

  constructor(item: WorkItem, settings: FollowerSettings) {
    this.#item = item;
    this.#settings = settings;
  }

  /** Preemptions of the run so far. */
  get preemptions(): number {
    return this.#preemptions;
  }

  readonly choose = (index: number, ready: readonly number[], steps: readonly (Step | null)[]): number => {
    const { reduction, preemptionBound } = this.#settings;
    const local = reduction
      ? ready.find((id, at) => classifyStep(steps[at] ?? null, this.#inBlock.get(id) ?? false) === 'local')
      : undefined;
    let choice: number;
    if (local !== undefined) {
      // A step independent of every other buyer's steps that stays enabled
      // until taken: alone it is a persistent set, so taking it first loses
      // no outcome, and branching on the others here would only repeat runs.
      choice = local;
      if (index >= this.#item.prefix.length) this.tally.pruned += ready.length - 1;
    } else {
      const options = this.#options(ready);
      const fallback = this.#last !== null && options.includes(this.#last) ? this.#last : options[0]!;
      if (index < this.#item.prefix.length) {
        choice = this.#item.prefix[index]!;
      } else {
        choice = fallback;
        this.tally.symmetric += ready.length - options.length;
        for (const other of options) {
          if (other === choice) continue;
          const preemptions = this.#preemptions + this.#cost(other, ready);
          if (preemptionBound !== null && preemptions > preemptionBound) {
            this.tally.bounded += 1;
            continue;
          }
          this.children.push({ prefix: [...this.#decisions, other], preemptions });
        }
      }
      if (!ready.includes(choice)) throw this.#diverged(index, choice, ready);
      this.#preemptions += this.#cost(choice, ready);
      this.#last = choice;
    }
    if (index < this.#item.prefix.length && this.#item.prefix[index] !== choice) {
      throw this.#diverged(index, this.#item.prefix[index]!, ready);
    }
    const at = ready.indexOf(choice);
    this.#inBlock.set(choice, transactionBlockAfter(steps[at] ?? null, this.#inBlock.get(choice) ?? false));
    this.#moved.add(choice);
    this.#decisions.push(choice);
    return choice;
  };

  /** The ready buyers worth branching on: of interchangeable buyers that have not moved yet, the lowest. */
  #options(ready: readonly number[]): number[] {
    const { interchangeable } = this.#settings;
    if (interchangeable.size === 0) return [...ready];
    const seen = new Set<string>();
    return ready.filter((id) => {
      const request = interchangeable.get(id);
      if (this.#moved.has(id) || request === undefined) return true;
      if (seen.has(request)) return false;
      seen.add(request);
      return true;
    });
  }

  #cost(choice: number, ready: readonly number[]): number {
    return this.#last !== null && this.#last !== choice && ready.includes(this.#last) ? 1 : 0;
  }

  #diverged(index: number, id: number, ready: readonly number[]): StrategyMistakeError {
    return new StrategyMistakeError(
      `the same schedule went differently on a second run: at decision ${index + 1} buyer ${id} was expected to be ready, but only buyer ${ready.join(', ')} could move; explore needs purchase code whose statements depend only on what PostgreSQL answers (no clocks, randomness or state shared between buyers in JavaScript)`,
    );
  }
}
