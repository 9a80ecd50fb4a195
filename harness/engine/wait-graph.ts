/**
 * The waits-for graph between buyers, as PostgreSQL reports it at one moment:
 * each blocked buyer and the buyers it waits for.
 */
export type WaitGraph = ReadonlyMap<number, readonly number[]>;

/**
 * Buyers whose state may still change on its own: the moving ones (running a
 * statement, or running their own code) and every buyer that waits for one of
 * them, directly or through other blocked buyers. Only the others' blocks are
 * stable, and only stable blocks are recorded, so that a trace does not depend
 * on how fast anything ran.
 */
export function unstableBuyers(waits: WaitGraph, moving: Iterable<number>): Set<number> {
  const unstable = new Set(moving);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [buyer, blockers] of waits) {
      if (!unstable.has(buyer) && blockers.some((id) => unstable.has(id))) {
        unstable.add(buyer);
        grew = true;
      }
    }
  }
  return unstable;
}

/** A cycle among blocked buyers (a deadlock PostgreSQL will break), as ids; empty when none. */
export function waitCycle(waits: WaitGraph): number[] {
  for (const start of waits.keys()) {
    const path: number[] = [];
    let current: number | undefined = start;
    while (current !== undefined && !path.includes(current)) {
      path.push(current);
      current = waits.get(current)?.find((id) => waits.has(id));
    }
    if (current !== undefined) return path.slice(path.indexOf(current));
  }
  return [];
}

export function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

/**
 * A buyer that got ahead of one that had waited longer, comparing the stable
 * wait graphs before and after one step: `[waiter, overtaker]` when `waiter`
 * now waits for `overtaker` and did not before the step, while `overtaker`
 * was itself waiting before the step (the step woke both) but its statement
 * began to wait later than `waiter`'s (`waitingSince`, smaller is earlier);
 * null when no buyer overtook another.
 *
 * PostgreSQL decides such a race by CPU scheduling, not by its lock queue:
 * when a row's holder updated it and commits, the waiter holding the row's
 * tuple lock releases that lock before it locks the new row version, and the
 * others chase that version waiting on its locker's transaction, where no
 * queue keeps their order (heap_lock_tuple, heapam_tuple_lock). Idle,
 * the longest waiter wins; on a loaded machine another one can.
 */
export function overtaking(
  before: WaitGraph,
  after: WaitGraph,
  waitingSince: ReadonlyMap<number, number>,
): [number, number] | null {
  for (const [waiter, blockers] of after) {
    for (const overtaker of blockers) {
      if (before.get(waiter)?.includes(overtaker) || !before.has(overtaker)) continue;
      if (after.get(overtaker)?.includes(waiter)) continue;
      const waiterSince = waitingSince.get(waiter) ?? Number.POSITIVE_INFINITY;
      const overtakerSince = waitingSince.get(overtaker) ?? Number.POSITIVE_INFINITY;
      if (waiterSince < overtakerSince) return [waiter, overtaker];
    }
  }
  return null;
}
