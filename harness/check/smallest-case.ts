import fc from 'fast-check';
import { chooserFromChoices, scheduleArbitrary } from '../../properties/case-arbitrary.ts';
import type { CaseRanges } from '../../properties/case-ranges.ts';
import { type SmallerCase, smallerCases } from '../../properties/smaller-cases.ts';
import type { Chooser } from '../engine/interleaving.ts';
import type { CaseRun } from '../engine/run-case.ts';
import { interchangeableBuyers } from '../explore/explore-strategy.ts';
import { search } from '../explore/search.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';

/**
 * Runs one interleaving of a case on the check's workspace. `key` names the
 * chooser when it follows fixed choices (the same case and key: the same
 * run, run once); null for one that decides as it goes (an exploration).
 */
export type CaseRunner = (kase: ScenarioCase, choose: Chooser, key: string | null) => Promise<CaseRun>;

export interface SmallestCaseOptions {
  readonly scenario: Scenario<ScenarioCase>;
  readonly ranges: CaseRanges;
  /** The check's seed: the schedules drawn for cases too big to explore come from it. */
  readonly seed: number;
  readonly run: CaseRunner;
  /** Most interleavings one search may run (a bound on its cost). */
  readonly maxRuns?: number;
}

/** Every run of a search counts, cached or not, so that a property's result does not depend on another's. */
const DEFAULT_MAX_RUNS = 400;
/** A case of two buyers is explored when its adapted run took at most this many decisions… */
const EXPLORED_DECISIONS = 32;
/**
 * …along interleavings of at most this many preemptions: a lost update or a
 * deadlock between two buyers needs one (the first buyer is preempted after
 * its read or its first lock; the rest follows), and two buyers on different
 * rows have dozens of interleavings with two that cannot fail, which would
 * spend the budget before the case that does…
 */
const EXPLORED_PREEMPTIONS = 1;
/** …and at most this many of them are run. */
const EXPLORED_INTERLEAVINGS = 64;
/** Schedules drawn from the seed for a case of three buyers or more. */
const DRAWN_SCHEDULES = 8;

/**
 * After fast-check's shrink: the smallest case that still fails, and a run
 * of it that fails (a real run, so its schedule replays it).
 *
 * fast-check lowers one number at a time and keeps a step only when the case
 * fails alone, so with several units per buyer it often stops early: capacity
 * 2 with orders of 1 + 2 units where capacity 1 with 1 + 1 fails too, or a
 * third buyer that plays no part. This tries the smaller cases in order of
 * size (smaller-cases.ts) and, for each, looks for a failing schedule: first
 * the failing run's own schedule without the dropped buyers; then, for two
 * buyers and few steps, the explore module's reduced search over its
 * interleavings; for more buyers, a few schedules drawn from the seed. The
 * first case that fails is the smallest: every smaller one was tried before
 * it. The same seed gives the same result.
 */
export class SmallestCaseSearch {
  readonly #options: SmallestCaseOptions;

  constructor(options: SmallestCaseOptions) {
    this.#options = options;
  }

  /** A failing run of the smallest failing case; `failing` itself when no smaller case fails. */
  async smallest(failing: CaseRun, fails: (run: CaseRun) => boolean): Promise<CaseRun> {
    const { ranges, maxRuns = DEFAULT_MAX_RUNS } = this.#options;
    let left = maxRuns;
    const tried = new Set<string>();
    const explored = new Set<string>();
    for (const smaller of smallerCases(failing.kase, ranges)) {
      if (left <= 0) break;
      const schedule = adaptedSchedule(failing.decisions, smaller.kept);
      const caseKey = JSON.stringify(smaller.kase);
      const key = JSON.stringify([caseKey, schedule]);
      if (tried.has(key)) continue;
      tried.add(key);
      left -= 1;
      const adapted = await this.#options.run(
        smaller.kase,
        followSchedule(schedule),
        `schedule ${JSON.stringify(schedule)}`,
      );
      if (fails(adapted)) return adapted;
      if (explored.has(caseKey)) continue;
      explored.add(caseKey);
      const found =
        smaller.kase.buyers.length <= 2 && adapted.decisions.length <= EXPLORED_DECISIONS
          ? await this.#explore(smaller, fails, Math.min(left, EXPLORED_INTERLEAVINGS))
          : await this.#drawn(smaller, fails, Math.min(left, DRAWN_SCHEDULES));
      left -= found.runs;
      if (found.run) return found.run;
    }
    return failing;
  }

  /**
   * The explore module's search (reduced, fewest preemptions first, bounded)
   * on the check's own workspace, until a run fails or `limit` runs have run.
   */
  async #explore(smaller: SmallerCase, fails: (run: CaseRun) => boolean, limit: number): Promise<Found> {
    const { scenario, run } = this.#options;
    let found: CaseRun | null = null;
    let runs = 0;
    try {
      await search({
        reduction: true,
        interchangeable: interchangeableBuyers(scenario, smaller.kase),
        preemptionBound: EXPLORED_PREEMPTIONS,
        maxInterleavings: limit,
        deadline: null,
        now: () => 0,
        enough: () => found !== null,
        jobs: [
          async (follower) => {
            let diverged = false;
            const choose: Chooser = (index, ready, steps) => {
              try {
                return follower.choose(index, ready, steps);
              } catch (error) {
                diverged = true;
                throw error;
              }
            };
            runs += 1;
            try {
              const result = await run(smaller.kase, choose, null);
              if (found === null && fails(result)) found = result;
            } catch (error) {
              throw diverged ? new Diverged() : error;
            }
          },
        ],
      });
    } catch (error) {
      // A strategy whose runs depend on more than PostgreSQL's answers cannot
      // be explored; a check does not require that of it: this case is left out.
      if (!(error instanceof Diverged)) throw error;
    }
    return { run: found, runs };
  }

  /** Schedules drawn from the seed, for a case with too many interleavings to explore. */
  async #drawn(smaller: SmallerCase, fails: (run: CaseRun) => boolean, limit: number): Promise<Found> {
    const { seed, run } = this.#options;
    const buyers = smaller.kase.buyers.length;
    const schedules = limit > 0 ? fc.sample(scheduleArbitrary(buyers), { seed, numRuns: limit }) : [];
    let runs = 0;
    for (const choices of schedules) {
      runs += 1;
      // Keyed as fast-check's runs are: a schedule fast-check ran already is not run again.
      const result = await run(smaller.kase, chooserFromChoices(choices), JSON.stringify(choices));
      if (fails(result)) return { run: result, runs };
    }
    return { run: null, runs };
  }
}

interface Found {
  readonly run: CaseRun | null;
  readonly runs: number;
}

/** The exploration's path could not be followed again: the strategy's runs are not repeatable. */
class Diverged extends Error {}

/** The decisions without the buyers the smaller case dropped, in the smaller case's numbering. */
export function adaptedSchedule(decisions: readonly number[], kept: readonly number[]): number[] {
  const renumbered = new Map(kept.map((id, index) => [id, index + 1]));
  return decisions.flatMap((id) => {
    const now = renumbered.get(id);
    return now === undefined ? [] : [now];
  });
}

/**
 * Follows a schedule as far as it fits the run: where its buyer cannot move
 * (a smaller order took fewer steps), or when it runs out, the
 * lowest-numbered ready buyer goes, as when a replayed schedule runs out.
 * The run records what it actually did, so its decisions replay it exactly.
 */
function followSchedule(schedule: readonly number[]): Chooser {
  return (index, ready) => {
    const id = schedule[index];
    return id !== undefined && ready.includes(id) ? id : ready[0]!;
  };
}
