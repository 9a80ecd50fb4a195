import type { Step } from '../engine/interleaving.ts';
import type { PathFollower } from '../explore/path-follower.ts';
import { type SearchEnd, search } from '../explore/search.ts';
import type { SessionFacts } from '../explore/session-model.ts';
import { openSpecDatabase } from './spec-database.ts';
import { explorationLine, permutationLine } from './spec-exploration-text.ts';
import { outcomeSignature } from './spec-outcome.ts';
import type { PermutationStep, TestSpec } from './spec-parser.ts';
import { readSpecSessionFacts } from './spec-session-facts.ts';
import {
  type SpecInterleaving,
  SpecSessions,
  SpecStopped,
  SpecUnsupportedError,
  type StepSchedule,
} from './spec-sessions.ts';
import { unsupportedReason } from './unsupported.ts';

export interface SpecExploreOptions {
  /** The server to run on; the spec runs in a scratch database created there and dropped after. */
  readonly url: string;
  /** Longest one step may take. */
  readonly timeoutMs: number;
  /** false: brute force, every ordering of the steps the sessions can take (`--no-reduction`). */
  readonly reduction: boolean;
  /** Most preemptions per interleaving; null: every interleaving. */
  readonly preemptionBound: number | null;
  readonly maxInterleavings: number | null;
  readonly timeLimitMs: number | null;
  /** Milliseconds from a fixed origin, for the time limit. */
  readonly now: () => number;
  /** Receives the output as it is produced. */
  readonly write?: (text: string) => void;
  /** Called after each interleaving has run, with its outcome signature. */
  readonly onInterleaving?: (run: SpecInterleaving, signature: string) => void;
}

/** A distinct outcome and the first interleaving that reached it. */
export interface SpecOutcome {
  /** See spec-outcome.ts. */
  readonly signature: string;
  /** The steps in the order that interleaving released them. */
  readonly permutation: readonly string[];
  /** What isolationtester prints for that permutation after `starting permutation:`. */
  readonly printed: string;
}

/** How an exploration of a spec ended and what it covered. */
export interface SpecExploration {
  /**
   * `exhausted`: every interleaving was run or shown equivalent to one run.
   * `preemption-bound`, `max-interleavings`, `time-limit`: that bound or limit stopped it.
   */
  readonly status: 'exhausted' | 'preemption-bound' | 'max-interleavings' | 'time-limit';
  readonly interleavings: number;
  /** Branches skipped as equivalent to one explored (each skips one interleaving or more). */
  readonly pruned: number;
  /** Branches the preemption bound cut. */
  readonly bounded: number;
  readonly preemptionBound: number | null;
  readonly reduction: boolean;
  /** In the order they were first reached. */
  readonly outcomes: readonly SpecOutcome[];
}

export interface SpecExploreResult {
  /** Everything printed. */
  readonly output: string;
  /** Why oversold cannot run this spec as isolationtester does; null when it ran. */
  readonly unsupported: string | null;
  /** Null when the spec was unsupported or a setup failed. */
  readonly exploration: SpecExploration | null;
  readonly serverVersion: string;
  readonly serverMajor: number;
}

/**
 * Explores the orders of a spec's steps (`oversold spec --explore`): each
 * session runs its steps in its order, and explore's search (reduction,
 * sleep sets, preemption bound) decides whose next step is released, one
 * interleaving per run from setup to teardown. Prints each distinct outcome
 * once, with the first permutation that reached it, then how the search ended.
 * The spec's permutation lines are not used.
 */
export async function exploreSpec(spec: TestSpec, options: SpecExploreOptions): Promise<SpecExploreResult> {
  let output = '';
  const write = (text: string): void => {
    output += text;
    options.write?.(text);
  };
  await using database = await openSpecDatabase(options.url);
  const about = { serverVersion: database.serverVersion, serverMajor: database.serverMajor };
  const reason = unsupportedReason(spec, database);
  if (reason) return { output, unsupported: reason, exploration: null, ...about };
  write(`Parsed test spec with ${spec.sessions.length} sessions\n`);
  await using sessions = await SpecSessions.open(spec, database);
  const started = options.now();
  const outcomes = new Map<string, SpecOutcome>();
  let runs = 0;
  try {
    const facts = new SpecFacts(spec, sessions);
    const result = await search({
      reduction: options.reduction,
      // Read by each run's follower when it first classifies a step: after the first run's setups.
      get sessions() {
        return options.reduction ? facts.facts : null;
      },
      reportsFinishedBuyers: true,
      interchangeable: new Map(),
      preemptionBound: options.preemptionBound,
      maxInterleavings: options.maxInterleavings,
      deadline: options.timeLimitMs === null ? null : started + options.timeLimitMs,
      now: options.now,
      enough: () => false,
      jobs: [
        async (follower) => {
          const schedule = exploreSchedule(spec, follower, () =>
            options.reduction ? facts.ask() : Promise.resolve(),
          );
          runs += 1;
          const run = await sessions.run(schedule, () => {}, options.timeoutMs);
          const signature = outcomeSignature(spec, run);
          options.onInterleaving?.(run, signature);
          if (outcomes.has(signature)) return;
          const outcome = {
            signature,
            permutation: run.permutation.map((step) => step.name),
            printed: run.printed,
          };
          outcomes.set(signature, outcome);
          write(`\noutcome ${outcomes.size}: ${permutationLine(outcome.permutation)}\n${outcome.printed}`);
        },
      ],
    });
    const exploration: SpecExploration = {
      status: statusOf(result.end, result.bounded),
      interleavings: result.interleavings,
      pruned: result.pruned,
      bounded: result.bounded,
      preemptionBound: options.preemptionBound,
      reduction: options.reduction,
      outcomes: [...outcomes.values()],
    };
    write(`\n${explorationLine(exploration)}\n`);
    return { output, unsupported: null, exploration, ...about };
  } catch (error) {
    if (error instanceof SpecStopped) {
      write(`\n${error.message}\n`);
      const unsupported =
        runs <= 1
          ? 'its setup failed, so nothing was explored'
          : `its setup failed in interleaving ${runs}, after succeeding before: every interleaving runs the setups again in the same sessions, as isolationtester does for each permutation, and this spec's cannot run twice`;
      return { output, unsupported, exploration: null, ...about };
    }
    if (error instanceof SpecUnsupportedError)
      return { output, unsupported: error.message, exploration: null, ...about };
    throw error;
  }
}

/**
 * Every session sends all its steps in its order; the follower picks whose
 * step goes next. A session's setup ran SQL that explore's classification
 * did not see (a BEGIN leaves a transaction block open, where a SELECT of
 * constants takes the snapshot): the follower is shown that session's first
 * step with the setup in front of it, which makes it a step of several
 * statements, so it is classified as shared and the session as having run
 * unknown SQL (its later reads do not commute), inside a transaction block.
 */
function exploreSchedule(
  spec: TestSpec,
  follower: PathFollower,
  beforeSteps: () => Promise<void>,
): StepSchedule {
  const steps: PermutationStep[][] = spec.sessions.map((session) =>
    session.steps.map((step) => ({ name: step.name, blockers: [] })),
  );
  const sent = spec.sessions.map(() => 0);
  return {
    stepsOf: (session) => steps[session]!,
    choose: (index, ready, held) => {
      const shown = held.map((step, at) => {
        const session = spec.sessions[ready[at]!]!;
        if (step === null || step.kind !== 'query' || session.setup === undefined) return step;
        if (sent[ready[at]!] !== 0) return step;
        return { ...step, text: `${session.setup};\n${step.text}` } satisfies Step;
      });
      const session =
        follower.choose(
          index,
          ready.map((at) => at + 1),
          shown,
        ) - 1;
      sent[session]! += 1;
      return session;
    },
    beforeSteps,
    finished: (session) => follower.buyerFinished(session + 1),
    stuckIsOutcome: true,
  };
}

/**
 * What lets plain reads commute, asked in the first run after the setups
 * (a run of its own would run the session setups twice, and leave what they
 * hold, like a session's advisory lock, held twice). Only sessions without a
 * setup are asked, with one catalogue query in autocommit that changes
 * nothing they see: a session with a setup never has plain reads (see
 * exploreSchedule), and asking it inside the transaction its setup may have
 * opened would take that transaction's snapshot early. None when a step may
 * redefine what a table name means (DDL): then a read could run code, and
 * only local steps are independent.
 */
class SpecFacts {
  #facts: SessionFacts | null = null;
  #asked = false;
  readonly #spec: TestSpec;
  readonly #sessions: SpecSessions;

  constructor(spec: TestSpec, sessions: SpecSessions) {
    this.#spec = spec;
    this.#sessions = sessions;
  }

  get facts(): SessionFacts | null {
    return this.#facts;
  }

  async ask(): Promise<void> {
    if (this.#asked) return;
    this.#asked = true;
    const steps = this.#spec.sessions.flatMap((session) => session.steps.map((step) => step.sql));
    if (steps.some((sql) => /\b(create|alter|drop)\b/i.test(sql))) return;
    const plain = this.#sessions.connections.filter(
      (_, index) => this.#spec.sessions[index]!.setup === undefined,
    );
    if (plain.length > 0) this.#facts = await readSpecSessionFacts(plain);
  }
}

function statusOf(end: SearchEnd, bounded: number): SpecExploration['status'] {
  if (end === 'exhausted') return bounded > 0 ? 'preemption-bound' : 'exhausted';
  if (end === 'enough') return 'exhausted'; // never: `enough` is always false here
  return end;
}
