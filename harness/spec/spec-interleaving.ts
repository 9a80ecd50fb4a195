import type { Step } from '../engine/interleaving.ts';
import type { RunEvent } from './isolation-report.ts';
import type { PermutationStep } from './spec-parser.ts';

/** A spec the engine cannot run the way isolationtester would. */
export class SpecUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecUnsupportedError';
  }
}

/** isolationtester exits after a failed setup: the rest of the spec does not run. */
export class SpecStopped extends Error {
  constructor(message: string, write: (text: string) => void) {
    write(message);
    super(message.trim());
    this.name = 'SpecStopped';
  }
}

/** Which step goes next: a permutation's order, or an explorer's decisions. */
export interface StepSchedule {
  /** The steps session `session` sends, in its order (with a permutation's markers). */
  stepsOf(session: number): readonly PermutationStep[];
  /**
   * The session (index) whose next step is released at decision `index`,
   * among the ready ones; `steps[i]` is what `ready[i]` would send.
   */
  choose(index: number, ready: readonly number[], steps: readonly (Step | null)[]): number;
  /** Runs after the setups, before the first step. */
  beforeSteps?(): Promise<void>;
  /** Told when a session's last step has completed, before the engine hears of it. */
  finished?(session: number): void;
  /**
   * true: a run in which every session left waits for a lock that no
   * remaining step releases ends there, as a run of its own (explore);
   * false: the spec is unsupported (a permutation that isolationtester would time out on).
   */
  readonly stuckIsOutcome: boolean;
}

/** One run of the spec's steps, from its setup to its teardown. */
export interface SpecInterleaving {
  /** The steps in the order they were released: the permutation that replays this run. */
  readonly permutation: readonly PermutationStep[];
  /** What the engine observed while the steps ran, in order (steps by their index in `permutation`). */
  readonly events: readonly RunEvent[];
  /** What isolationtester prints for this permutation after its `starting permutation:` line. */
  readonly printed: string;
  /** The part of `printed` that the session teardowns and the teardown printed. */
  readonly teardown: string;
  /**
   * Steps (indices in `permutation`) still waiting when no session could go
   * on: each waits for a lock that no remaining step releases. Empty when the run finished.
   */
  readonly stuck: readonly number[];
}
