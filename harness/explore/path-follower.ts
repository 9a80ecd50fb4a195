import { StrategyMistakeError } from '../engine/errors.ts';
import type { Step } from '../engine/interleaving.ts';
import { type Dependence, independent, type SessionFacts, SessionModel } from './session-model.ts';
import type { LaterPositions, WorkItem } from './work-item.ts';

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
   * The job calls {@link PathFollower.buyerFinished} when a buyer's purchase
   * returns or throws, so a blocked buyer can be told from a finished one,
   * which lets a blocked locking read commute (see LaterPositions).
   */
  readonly reportsFinishedBuyers?: boolean;
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
 * sibling that took it first. Only without a preemption bound: the order
 * run first may have more preemptions than the one skipped.
 *
 * Blocked locking reads: when the same locking read of a buyer is an
 * alternative at consecutive decisions, only its first position becomes a
 * work item, carrying the later ones (LaterPositions); that item's run
 * covers them if its read blocks and the steps the first run took meanwhile
 * complete, one by one, without blocking or waking anyone, and hands on the
 * ones it cannot cover.
 *
 * Everything a run decides depends on its own work item and what it saw, and
 * sibling orders are fixed (the default choice, then ascending buyer ids), so
 * which runs happen does not depend on the number of jobs.
 */
export class PathFollower {
  readonly children: WorkItem[] = [];
  readonly tally: FollowerTally = { pruned: 0, symmetric: 0, bounded: 0 };
  readonly #item: WorkItem;
  readonly #settings: FollowerSettings;
  readonly #decisions: number[] = [];
  readonly #sessions = new Map<number, SessionModel>();
  readonly #moved = new Set<number>();
  readonly #finished = new Set<number>();
  #sleeping = new Set<number>();
  /** Every move left was asleep: the rest of this run ends like a run already made, so it adds no branches. */
  #covered = false;
  #last: number | null = null;
  #preemptions = 0;
  /** Buyers waiting inside PostgreSQL at the previous decision. */
  #blocked = new Set<number>();
  /** The step taken at the previous decision: whose, and whether it kept its buyer's locks. */
  #previous: { readonly buyer: number; readonly keepsLocks: boolean } | null = null;
  /** Later positions of locking reads recorded by this run: buyer → the chain, and the decision that last extended it. */
  readonly #chains = new Map<number, { later: { steps: number[]; items: WorkItem[] }; index: number }>();
  /** The later positions of this item's own release that this run is covering, and how many of their steps it took. */
  #covering: { readonly buyer: number; readonly later: LaterPositions; taken: number } | null = null;

  constructor(item: WorkItem, settings: FollowerSettings) {
    this.#item = item;
    this.#settings = settings;
  }

  /** Preemptions of the run so far. */
  get preemptions(): number {
    return this.#preemptions;
  }

  /** The buyer's purchase returned or threw (see FollowerSettings.reportsFinishedBuyers). */
  buyerFinished(id: number): void {
    this.#finished.add(id);
  }

  /** Hands on, as work items, the later positions this run did not cover; call once after the run. */
  finish(): void {
    if (this.#covering) this.#handOn(Math.max(this.#covering.taken - 1, 0));
  }

  readonly choose = (index: number, ready: readonly number[], steps: readonly (Step | null)[]): number => {
    const { reduction, preemptionBound } = this.#settings;
    const fresh = index >= this.#item.prefix.length;
    const blocked = new Set([...this.#moved].filter((id) => !ready.includes(id) && !this.#finished.has(id)));
    if (index === this.#item.prefix.length) {
      this.#sleeping = new Set(this.#item.sleeping);
      const later = this.#item.later;
      if (later && later.items.length > 0)
        this.#covering = { buyer: this.#item.prefix.at(-1)!, later, taken: 0 };
    }
    const stepOf = (id: number): Step | null => steps[ready.indexOf(id)] ?? null;
    const kinds = new Map(ready.map((id) => [id, this.#session(id).classify(stepOf(id))]));
    const kindOf = (id: number): Dependence => kinds.get(id) ?? 'shared';
    // Brute force keeps no sleep sets, nor does a bounded search (see above).
    const sleepSets = reduction && preemptionBound === null;
    const commute = (a: number, b: number): boolean => sleepSets && independent(kindOf(a), kindOf(b));
    const local = reduction ? ready.find((id) => kindOf(id) === 'local') : undefined;
    const wanted = fresh ? this.#coverNext(ready, blocked) : null;
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
      choice = this.#branch(index, ready, stepOf, commute, wanted);
    }
    if (wanted !== null) {
      if (choice === wanted) this.#covering!.taken += 1;
      else this.#handOn(this.#covering!.taken);
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
    const session = this.#session(choice);
    this.#previous = { buyer: choice, keepsLocks: session.keepsLocks(stepOf(choice)) };
    this.#blocked = blocked;
    session.advance(stepOf(choice));
    this.#moved.add(choice);
    this.#decisions.push(choice);
    return choice;
  };

  /**
   * A fresh decision: the choice (the step that goes on covering later
   * positions, else the buyer released last if it can go on, else the
   * lowest), and every other awake option as a new work item.
   */
  #branch(
    index: number,
    ready: readonly number[],
    stepOf: (id: number) => Step | null,
    commute: (a: number, b: number) => boolean,
    wanted: number | null,
  ): number {
    const options = this.#options(ready);
    const awake = options.filter((id) => !this.#sleeping.has(id));
    this.tally.symmetric += ready.length - options.length;
    if (awake.length === 0) this.#covered = true;
    const candidates = this.#covered ? options : awake;
    const choice =
      wanted !== null && candidates.includes(wanted) && this.#session(wanted).keepsLocks(stepOf(wanted))
        ? wanted
        : this.#last !== null && candidates.includes(this.#last)
          ? this.#last
          : candidates[0]!;
    if (this.#covered) return choice;
    this.tally.pruned += options.length - awake.length;
    const explored = [choice];
    for (const other of awake) {
      if (other === choice) continue;
      const preemptions = this.#preemptions + this.#cost(other, ready);
      if (this.#settings.preemptionBound !== null && preemptions > this.#settings.preemptionBound) {
        this.tally.bounded += 1;
        continue;
      }
      const sleeping = [...this.#sleeping, ...explored].filter((id) => commute(id, other));
      const item = { prefix: [...this.#decisions, other], preemptions, sleeping };
      this.#record(index, ready, other, item, stepOf(other));
      explored.push(other);
    }
    return choice;
  }

  /**
   * Checks what the last step did while covering later positions (the read
   * must wait; every step since must have completed without blocking or
   * waking anyone), counts the position that proves covered, and says whose
   * step to take next to go on covering; null when done or it failed.
   */
  #coverNext(ready: readonly number[], blocked: ReadonlySet<number>): number | null {
    if (this.#covering === null) return null;
    const { buyer, later, taken } = this.#covering;
    const quiet =
      taken === 0 ||
      (ready.includes(later.steps[taken - 1]!) && [...this.#blocked].every((id) => blocked.has(id)));
    if (!blocked.has(buyer) || !quiet) {
      this.#handOn(Math.max(taken - 1, 0));
      return null;
    }
    // items[taken - 1] is this run so far with the read moved earlier: an equivalent order.
    if (taken > 0) this.tally.pruned += 1;
    if (taken === later.steps.length) {
      this.#covering = null;
      return null;
    }
    return later.steps[taken]!;
  }

  /** Makes later position `from` a work item again, carrying the positions after it. */
  #handOn(from: number): void {
    const { later } = this.#covering!;
    this.#covering = null;
    const item = later.items[from];
    if (!item) return;
    this.children.push({
      ...item,
      later: { steps: later.steps.slice(from + 1), items: later.items.slice(from + 1) },
    });
  }

  /**
   * Records an alternative. A locking read that was an alternative at the
   * previous decision too, with a step between that kept its buyer's locks,
   * joins that decision's item as a later position instead of becoming one.
   */
  #record(index: number, ready: readonly number[], buyer: number, item: WorkItem, step: Step | null): void {
    const chain = this.#chains.get(buyer);
    const previous = this.#previous;
    // The step between must have kept its locks and not blocked here either:
    // then no later position has fewer preemptions than the first.
    if (
      chain?.index === index - 1 &&
      previous?.keepsLocks &&
      previous.buyer !== buyer &&
      ready.includes(previous.buyer)
    ) {
      chain.later.steps.push(previous.buyer);
      chain.later.items.push(item);
      chain.index = index;
      return;
    }
    if (this.#settings.reportsFinishedBuyers && this.#session(buyer).isBlockingReadCandidate(step)) {
      const later = { steps: [] as number[], items: [] as WorkItem[] };
      this.children.push({ ...item, later });
      this.#chains.set(buyer, { later, index });
      return;
    }
    this.children.push(item);
  }

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
