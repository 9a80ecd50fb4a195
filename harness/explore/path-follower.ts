import { StrategyMistakeError } from '../engine/errors.ts';
import type { Step } from '../engine/interleaving.ts';
import { type Dependence, independent, type SessionFacts, SessionModel } from './session-model.ts';

/** A subtree still to explore: follow `prefix`, then the default choices. */
export interface WorkItem {
  /** The buyer released at each decision so far; the last entry is this subtree's own choice. */
  readonly prefix: readonly number[];
  /** Preemptions along `prefix` (see {@link PathFollower}). */
  readonly preemptions: number;
  /**
   * Sleep set after `prefix`: buyers whose next step (a plain read) an
   * earlier sibling subtree took first and that no dependent step has woken since.
   */
  readonly sleeping: readonly number[];
}

export interface FollowerSettings {
  /** Take steps that are independent of every other step at once, without branching. */
  readonly reduction: boolean;
  /**
   * With reduction: what the server said of the buyers' sessions, which lets
   * plain reads commute with each other and sleep sets skip the orders of
   * reads that end the same; null or absent for none (only local steps are independent).
   */
  readonly sessions?: SessionFacts | null;
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
 *
 * Sleep sets (Godefroid; Flanagan and Godefroid's DPOR keeps them too): when
 * a decision branches, the i-th alternative's subtree starts with the steps
 * of alternatives 0..i-1 asleep, as far as they are independent of its own
 * step; a sleeping step is not taken, and wakes (leaves the set) when a step
 * dependent with it is taken. Every order it would start was run from the
 * sibling that took it first. The siblings' order is fixed (the default
 * choice, then ascending buyer ids), and a sleep set travels with its work
 * item, so which runs happen does not depend on the number of jobs.
 */
export class PathFollower {
  readonly children: WorkItem[] = [];
  readonly tally: FollowerTally = { pruned: 0, symmetric: 0, bounded: 0 };
  readonly #item: WorkItem;
  readonly #settings: FollowerSettings;
  readonly #decisions: number[] = [];
  readonly #sessions = new Map<number, SessionModel>();
  readonly #moved = new Set<number>();
  #sleeping = new Set<number>();
  /** Every move left was asleep: the rest of this run ends like a run already made, so it adds no branches. */
  #covered = false;
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
    const fresh = index >= this.#item.prefix.length;
    if (index === this.#item.prefix.length) this.#sleeping = new Set(this.#item.sleeping);
    const kinds = new Map(ready.map((id, at) => [id, this.#session(id).classify(steps[at] ?? null)]));
    const kindOf = (id: number): Dependence => kinds.get(id) ?? 'shared';
    // Brute force (no reduction) keeps no sleep sets: it branches on every ready buyer.
    const commute = (a: number, b: number): boolean => reduction && independent(kindOf(a), kindOf(b));
    const local = reduction ? ready.find((id) => kindOf(id) === 'local') : undefined;
    let choice: number;
    if (local !== undefined) {
      // A step independent of every other buyer's steps that stays enabled
      // until taken: alone it is a persistent set, so taking it first loses
      // no outcome, and branching on the others here would only repeat runs.
      choice = local;
      if (fresh) this.tally.pruned += ready.length - 1;
    } else if (!fresh) {
      choice = this.#item.prefix[index]!;
    } else {
      const options = this.#options(ready);
      const awake = options.filter((id) => !this.#sleeping.has(id));
      this.tally.symmetric += ready.length - options.length;
      if (awake.length === 0) this.#covered = true;
      const candidates = this.#covered ? options : awake;
      choice = this.#last !== null && candidates.includes(this.#last) ? this.#last : candidates[0]!;
      if (!this.#covered) {
        this.tally.pruned += options.length - awake.length;
        const explored = [choice];
        for (const other of awake) {
          if (other === choice) continue;
          const preemptions = this.#preemptions + this.#cost(other, ready);
          if (preemptionBound !== null && preemptions > preemptionBound) {
            this.tally.bounded += 1;
            continue;
          }
          const sleeping = [...this.#sleeping, ...explored].filter((id) => commute(id, other));
          this.children.push({ prefix: [...this.#decisions, other], preemptions, sleeping });
          explored.push(other);
        }
      }
    }
    if (!ready.includes(choice)) throw this.#diverged(index, choice, ready);
    if (index < this.#item.prefix.length && this.#item.prefix[index] !== choice) {
      throw this.#diverged(index, this.#item.prefix[index]!, ready);
    }
    if (local === undefined) {
      this.#preemptions += this.#cost(choice, ready);
      this.#last = choice;
    }
    // Asleep stays only what commutes with the step taken (and is still ready to be taken).
    this.#sleeping = new Set([...this.#sleeping].filter((id) => id !== choice && commute(id, choice)));
    this.#session(choice).advance(steps[ready.indexOf(choice)] ?? null);
    this.#moved.add(choice);
    this.#decisions.push(choice);
    return choice;
  };

  #session(id: number): SessionModel {
    let session = this.#sessions.get(id);
    if (!session) {
      const { reduction, sessions } = this.#settings;
      session = new SessionModel(reduction ? (sessions ?? null) : null);
      this.#sessions.set(id, session);
    }
    return session;
  }

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
