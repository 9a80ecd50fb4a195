import { ControlSession, type Waits } from '../engine/control-session.ts';
import type { SqlSession } from '../engine/sql-session.ts';

/**
 * The engine's control session for spec runs, with two differences that
 * isolationtester's outputs depend on:
 * - a deadlock is left to PostgreSQL's own detector, because specs pick their
 *   victim through each session's deadlock_timeout (the engine would cancel
 *   the longest waiter at once);
 * - every wait the engine records is reported to `onBlocked`, so that the
 *   report can judge a step at the moment isolationtester saw it waiting.
 */
export class SpecControlSession extends ControlSession {
  readonly #onBlocked: (pid: number) => void;

  constructor(session: SqlSession, barrier: SqlSession, onBlocked: (pid: number) => void) {
    super(session, barrier);
    this.#onBlocked = onBlocked;
  }

  /** Waits without their locks described: the engine then calls {@link lockTarget} as it records each wait. */
  override blockers(pids: readonly number[]): Promise<Waits> {
    return super.blockers(pids, []);
  }

  /** The engine asks what a session waits for exactly when it records the wait. */
  override async lockTarget(pid: number): Promise<string | undefined> {
    // A notice the step sent before it began to wait is already in its socket
    // (over loopback the kernel delivers it as it is sent, before the answer
    // that says the step waits): one turn of the event loop's I/O phase reads
    // it, so it is recorded before the wait, where isolationtester prints it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#onBlocked(pid);
    return undefined;
  }

  /** PostgreSQL's deadlock detector ends the cycle after deadlock_timeout; the engine waits for it. */
  override async cancel(_pid: number): Promise<void> {}
}
