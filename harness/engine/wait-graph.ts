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
