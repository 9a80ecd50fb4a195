import { type Deferred, deferred } from '../engine/deferred.ts';
import type { RunEvent } from './isolation-report.ts';
import type { PermutationStep } from './spec-parser.ts';

/** What one attempt at running the steps recorded (an abandoned attempt's record is dropped). */
export class StepsAttempt {
  readonly events: RunEvent[] = [];
  readonly permutation: PermutationStep[] = [];
  /** Session → the index (in `permutation`) of its step released last. */
  readonly current: (number | null)[];
  /** Session → how many of its steps were released. */
  readonly sent: number[];
  readonly done: Deferred<void>[] = [];
  readonly finished = new Set<number>();
  recording = true;

  constructor(sessions: number) {
    this.current = Array.from({ length: sessions }, () => null);
    this.sent = Array.from({ length: sessions }, () => 0);
  }

  record(event: RunEvent): void {
    if (this.recording) this.events.push(event);
  }

  release(session: number, step: PermutationStep): void {
    const index = this.permutation.length;
    this.permutation.push(step);
    this.done[index] = deferred<void>();
    this.current[session] = index;
    this.record({ kind: 'release', step: index });
  }
}

/**
 * The steps a failed run left waiting, when that is all that stopped it:
 * every session that has not finished has its last released step seen
 * waiting for a lock and not completed. Any other failure (a step that ran
 * past the timeout, a lost connection) gives none.
 */
export function stuckSteps(
  events: readonly RunEvent[],
  current: readonly (number | null)[],
  finished: ReadonlySet<number>,
): number[] {
  const blocked = new Set<number>();
  const completed = new Set<number>();
  for (const event of events) {
    if (event.kind === 'blocked') blocked.add(event.step);
    else if (event.kind === 'done') completed.add(event.step);
  }
  const waiting: number[] = [];
  for (const [session, step] of current.entries()) {
    if (finished.has(session)) continue;
    if (step === null || !blocked.has(step) || completed.has(step)) return [];
    waiting.push(step);
  }
  return waiting.sort((a, b) => a - b);
}
