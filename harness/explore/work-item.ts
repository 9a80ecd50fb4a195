/** A subtree still to explore: follow `prefix`, then the default choices. */
export interface WorkItem {
  /** The buyer released at each decision so far; the last entry is this subtree's own choice. */
  readonly prefix: readonly number[];
  /** Preemptions along `prefix` (see PathFollower). */
  readonly preemptions: number;
  /**
   * Sleep set after `prefix`: buyers whose next step (a plain read) an
   * earlier sibling subtree took first and that no dependent step has woken since.
   */
  readonly sleeping: readonly number[];
  /** When the last release is a locking read: its later positions, left to this run (see {@link LaterPositions}). */
  readonly later?: LaterPositions;
}

/**
 * The same release (a buyer's locking read) at later decisions of the run
 * that found this item: `items[j]` takes it after the steps of
 * `steps[0..j]` (their buyers, in order) instead of before them. The item's
 * run covers `items[j]` when its read blocks and it then takes those steps
 * and each completes without blocking or waking anyone (a blocked locking
 * read commutes with them); it hands on every item it cannot cover.
 */
export interface LaterPositions {
  readonly steps: readonly number[];
  readonly items: readonly WorkItem[];
}
