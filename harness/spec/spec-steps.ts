import type { BuyerDb } from '../engine/buyer-gate.ts';
import { type BuyerPlan, type Chooser, runInterleaving } from '../engine/interleaving.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import type { RunEvent } from './isolation-report.ts';
import type { SpecConnection, StepResult } from './spec-connection.ts';
import { SpecControlSession } from './spec-control-session.ts';
import { SpecStopped, SpecUnsupportedError, type StepSchedule } from './spec-interleaving.ts';
import type { PermutationStep, SpecStep, TestSpec } from './spec-parser.ts';
import { StepsAttempt, stuckSteps } from './spec-steps-attempt.ts';

/** What the steps run on: SpecSessions' connections, and its setup, teardown and abandon. */
export interface SpecStepsContext {
  readonly spec: TestSpec;
  readonly stepByName: ReadonlyMap<string, SpecStep>;
  /** The session connections, in the spec's order. */
  readonly connections: readonly SpecConnection[];
  /** The engine's control and barrier connections. */
  readonly engine: readonly [SqlSession, SqlSession];
  setUp(write: (text: string) => void): Promise<void>;
  tearDown(write: (text: string) => void): Promise<void>;
  /** Cancels what still runs and ends every open transaction. */
  abandon(): Promise<void>;
}

export interface StepsRecord {
  readonly events: RunEvent[];
  readonly permutation: PermutationStep[];
  readonly stuck: number[];
}

/**
 * Runs the steps through the engine in the schedule's order and records
 * what it observed, in order. When PostgreSQL lets a later waiter take a
 * lock before one that waited longer (CPU scheduling under load decides
 * that race), the engine abandons the attempt: the sessions are rolled
 * back and torn down, reset (DISCARD ALL: what the abandoned steps left in
 * a session, like a session advisory lock that a later step would have
 * released, would otherwise meet its setup's second run) and set up again,
 * and the engine replays the decisions taken, asking the schedule only for
 * new ones.
 */
export async function runSpecSteps(
  context: SpecStepsContext,
  schedule: StepSchedule,
  timeoutMs: number,
): Promise<StepsRecord> {
  const { spec, stepByName } = context;
  let attempt = new StepsAttempt(spec.sessions.length);
  const listen = (): void => {
    context.connections.forEach((connection, session) => {
      connection.onNotice = (text) => attempt.record({ kind: 'notice', session, text });
    });
  };
  listen();
  const control = new SpecControlSession(context.engine[0], context.engine[1], (pid) => {
    const session = context.connections.findIndex((connection) => connection.pid === pid);
    const step = attempt.current[session];
    if (step !== null && step !== undefined) attempt.record({ kind: 'blocked', step });
  });
  const choose: Chooser = (index, ready, steps) => {
    const session = schedule.choose(
      index,
      ready.map((id) => id - 1),
      steps,
    );
    if (!ready.includes(session + 1) || attempt.sent[session]! >= schedule.stepsOf(session).length) {
      throw new Error(`the schedule chose session ${spec.sessions[session]?.name}, which has no step ready`);
    }
    return session + 1;
  };
  const plans = (): BuyerPlan[] => {
    const mine = attempt;
    return spec.sessions.map((_, session) => ({
      id: session + 1,
      // The engine sends a released step on the buyer's session: that is the moment of release.
      session: releasing(context.connections[session]!, () => {
        const pstep = schedule.stepsOf(session)[mine.sent[session]!]!;
        mine.sent[session]! += 1;
        mine.release(session, pstep);
      }),
      slot: 0,
      purchase: async (db: BuyerDb) => {
        const steps = schedule.stepsOf(session);
        for (const pstep of steps) {
          try {
            const result = (await db.query(stepByName.get(pstep.name)!.sql)) as StepResult;
            mine.record({ kind: 'done', step: mine.current[session]!, result, error: null });
          } catch (error) {
            mine.record({ kind: 'done', step: mine.current[session]!, result: null, error });
          }
          mine.done[mine.current[session]!]!.resolve();
          // isolationtester does not report a step done while a step it names
          // as its blocker still runs, and does not send the session's next
          // step before: the buyer waits here, so the engine settles first.
          for (const blocker of pstep.blockers) {
            if (blocker.kind !== 'step') continue;
            const other = stepByName.get(blocker.step)!;
            const running = mine.current[other.session];
            if (
              running !== null &&
              running !== undefined &&
              mine.permutation[running]!.name === blocker.step
            ) {
              await mine.done[running]!.promise;
            }
          }
        }
        mine.finished.add(session);
        schedule.finished?.(session);
        return 'purchased';
      },
    }));
  };
  const restart = async (): Promise<BuyerPlan[]> => {
    attempt.recording = false;
    await context.abandon();
    const ignore = (): void => {};
    await context.tearDown(ignore);
    await Promise.all(context.connections.map((session) => session.query('DISCARD ALL').catch(() => {})));
    await context.setUp(ignore);
    attempt = new StepsAttempt(spec.sessions.length);
    listen();
    return plans();
  };
  try {
    await runInterleaving({ control, buyers: plans(), choose, timeoutMs, restart });
  } catch (error) {
    attempt.recording = false;
    await context.abandon();
    if (error instanceof SpecUnsupportedError || error instanceof SpecStopped) throw error;
    const stuck = stuckSteps(attempt.events, attempt.current, attempt.finished);
    const { events, permutation } = attempt;
    if (schedule.stuckIsOutcome && stuck.length > 0) return { events, permutation, stuck };
    throw new SpecUnsupportedError(
      `the engine could not run permutation "${permutation.map((step) => step.name).join(' ')}": ${(error as Error).message}`,
    );
  }
  return { events: attempt.events, permutation: attempt.permutation, stuck: [] };
}

/** `connection` as the engine's buyer session, calling `onRelease` as each step is sent. */
function releasing(connection: SpecConnection, onRelease: () => void): SqlSession {
  return {
    pid: connection.pid,
    query: (text) => {
      onRelease();
      return connection.query(text);
    },
    inTransaction: () => connection.inTransaction(),
    close: () => connection.close(),
  };
}
