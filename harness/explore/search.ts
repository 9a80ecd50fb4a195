import { deferred } from '../engine/deferred.ts';
import { type FollowerSettings, type FollowerTally, PathFollower } from './path-follower.ts';
import type { WorkItem } from './work-item.ts';

/** Why a search ended. */
export type SearchEnd = 'exhausted' | 'max-interleavings' | 'time-limit' | 'enough';

export interface SearchOptions extends FollowerSettings {
  /** Runs one interleaving with this Chooser; one function per parallel job (its own workspace). */
  readonly jobs: readonly ((follower: PathFollower) => Promise<void>)[];
  readonly maxInterleavings: number | null;
  /** Time (of `now`) after which no new run starts; null for none. */
  readonly deadline: number | null;
  readonly now: () => number;
  /**
   * Asked before the first run with `preemptions`: true to stop (every
   * property already failed with fewer preemptions, so later runs cannot give
   * a smaller counterexample).
   */
  readonly enough: (preemptions: number) => boolean;
}

export interface SearchResult extends FollowerTally {
  readonly end: SearchEnd;
  readonly interleavings: number;
}

/**
 * Stateless search: every interleaving is a fresh run from the start that
 * follows a prefix of decisions and then the default choices, recording the
 * alternatives it passed as new subtrees. Subtrees are taken fewest
 * preemptions first (iterative preemption bounding, as CHESS does, without
 * re-running the smaller bounds), depth-first within one count. With several
 * jobs, a subtree with k preemptions starts only when no run with fewer is
 * still going, so which interleavings run, and the report, do not depend on
 * the number of jobs (unless a time or count limit cuts the search short).
 */
export async function search(options: SearchOptions): Promise<SearchResult> {
  const pending = new Map<number, WorkItem[]>([[0, [{ prefix: [], preemptions: 0, sleeping: [] }]]]);
  const running: number[] = [];
  const tally: FollowerTally = { pruned: 0, symmetric: 0, bounded: 0 };
  let interleavings = 0;
  let end: SearchEnd | null = null;
  let failure: { error: unknown } | null = null;
  let changed = deferred<void>();
  const signal = (): void => {
    const previous = changed;
    changed = deferred();
    previous.resolve();
  };

  const next = (): WorkItem | 'wait' | 'none' => {
    const levels = [...pending.keys()]
      .filter((level) => pending.get(level)!.length > 0)
      .sort((a, b) => a - b);
    const lowest = levels[0];
    if (lowest === undefined) return running.length > 0 ? 'wait' : 'none';
    if (running.some((level) => level < lowest)) return 'wait';
    return pending.get(lowest)!.pop()!;
  };

  const worker = async (job: (follower: PathFollower) => Promise<void>): Promise<void> => {
    for (;;) {
      if (end !== null || failure !== null) return;
      const item = next();
      if (item === 'none') return;
      if (item === 'wait') {
        await changed.promise;
        continue;
      }
      const stop = stopBefore(item);
      if (stop !== null) {
        pending.get(item.preemptions)!.push(item);
        end ??= stop;
        signal();
        return;
      }
      running.push(item.preemptions);
      const follower = new PathFollower(item, options);
      try {
        await job(follower);
        follower.finish();
        interleavings += 1;
        tally.pruned += follower.tally.pruned;
        tally.symmetric += follower.tally.symmetric;
        tally.bounded += follower.tally.bounded;
        for (const child of follower.children) {
          const level = pending.get(child.preemptions) ?? [];
          level.push(child);
          pending.set(child.preemptions, level);
        }
      } catch (error) {
        failure ??= { error };
      } finally {
        running.splice(running.indexOf(item.preemptions), 1);
        signal();
      }
    }
  };

  const stopBefore = (item: WorkItem): SearchEnd | null => {
    if (options.enough(item.preemptions)) return 'enough';
    if (options.maxInterleavings !== null && interleavings + running.length >= options.maxInterleavings)
      return 'max-interleavings';
    if (options.deadline !== null && options.now() >= options.deadline) return 'time-limit';
    return null;
  };

  await Promise.all(options.jobs.map((job) => worker(job)));
  if (failure !== null) throw (failure as { error: unknown }).error;
  return { end: end ?? 'exhausted', interleavings, ...tally };
}
