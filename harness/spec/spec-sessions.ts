import { pgConnector } from '../database/pg-connector.ts';
import type { BuyerDb } from '../engine/buyer-gate.ts';
import { type Deferred, deferred } from '../engine/deferred.ts';
import { type BuyerPlan, type Chooser, runInterleaving, type Step } from '../engine/interleaving.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import { ReportStuckError, type RunEvent, reportPermutation } from './isolation-report.ts';
import { formatResultSet } from './result-table.ts';
import { openSpecConnection, type SpecConnection, StepError, type StepResult } from './spec-connection.ts';
import { SpecControlSession } from './spec-control-session.ts';
import type { SpecDatabase } from './spec-database.ts';
import type { PermutationStep, SpecStep, TestSpec } from './spec-parser.ts';

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

/** The spec's connections: the control connection (setup, teardown) and one per session. */
export class SpecSessions implements AsyncDisposable {
  readonly #spec: TestSpec;
  readonly #control: SpecConnection;
  readonly #sessions: SpecConnection[];
  readonly #engine: [SqlSession, SqlSession];
  readonly #stepByName: Map<string, SpecStep>;

  private constructor(
    spec: TestSpec,
    control: SpecConnection,
    sessions: SpecConnection[],
    engine: [SqlSession, SqlSession],
  ) {
    this.#spec = spec;
    this.#control = control;
    this.#sessions = sessions;
    this.#engine = engine;
    this.#stepByName = new Map(
      spec.sessions.flatMap((session) => session.steps.map((step) => [step.name, step])),
    );
  }

  static async open(spec: TestSpec, database: SpecDatabase): Promise<SpecSessions> {
    const control = await openSpecConnection(database.url, 'control connection');
    const sessions = await Promise.all(
      spec.sessions.map((session) => openSpecConnection(database.url, session.name)),
    );
    const connector = pgConnector(database.url);
    const engine: [SqlSession, SqlSession] = [
      await connector.connect({ applicationName: 'oversold spec control' }),
      await connector.connect({ applicationName: 'oversold spec barrier' }),
    ];
    return new SpecSessions(spec, control, sessions, engine);
  }

  /** The session connections, in the spec's order (explore asks them what their names resolve to). */
  get connections(): readonly SpecConnection[] {
    return this.#sessions;
  }

  /**
   * One run: setup, session setups, the steps in the schedule's order,
   * session teardowns and teardown, writing what isolationtester prints
   * after `starting permutation:`. Throws {@link SpecStopped} when a setup
   * fails and {@link SpecUnsupportedError} when the run cannot be reported
   * as isolationtester would.
   */
  async run(
    schedule: StepSchedule,
    write: (text: string) => void,
    timeoutMs: number,
  ): Promise<SpecInterleaving> {
    let printed = '';
    const out = (text: string): void => {
      printed += text;
      write(text);
    };
    await this.setUp(out);
    await schedule.beforeSteps?.();
    const { events, permutation, stuck } = await this.#steps(schedule, timeoutMs);
    try {
      out(reportPermutation(this.#spec, permutation, events));
    } catch (error) {
      if (!(error instanceof ReportStuckError)) throw error;
      if (stuck.length === 0) throw new SpecUnsupportedError(error.message);
      out(error.output);
      const names = stuck.map((index) => permutation[index]!.name).join(', ');
      out(
        `(${names} never completes: it waits for a lock that no remaining step releases; isolationtester would wait until its step timeout)\n`,
      );
    }
    const before = printed.length;
    await this.tearDown(out);
    return { permutation, events, printed, teardown: printed.slice(before), stuck };
  }

  /** Global setups on the control connection, then each session's setup. */
  async setUp(write: (text: string) => void): Promise<void> {
    const spec = this.#spec;
    this.#printNotices(write);
    for (const sql of spec.setups) {
      const failure = await this.#exec(this.#control, sql, write);
      if (failure) throw new SpecStopped(`setup failed: ${failure}`, write);
    }
    for (const [index, session] of spec.sessions.entries()) {
      if (session.setup === undefined) continue;
      const failure = await this.#exec(this.#sessions[index]!, session.setup, write);
      if (failure) throw new SpecStopped(`setup of session ${session.name} failed: ${failure}`, write);
    }
  }

  /** Each session's teardown, then the global teardown; failures are printed, as isolationtester does. */
  async tearDown(write: (text: string) => void): Promise<void> {
    const spec = this.#spec;
    this.#printNotices(write);
    for (const [index, session] of spec.sessions.entries()) {
      if (session.teardown === undefined) continue;
      const failure = await this.#exec(this.#sessions[index]!, session.teardown, write);
      if (failure) write(`teardown of session ${session.name} failed: ${failure}`);
    }
    if (spec.teardown !== undefined) {
      const failure = await this.#exec(this.#control, spec.teardown, write);
      if (failure) write(`teardown failed: ${failure}`);
    }
  }

  /** PQexec: prints the last result when it has rows; returns the error text when it failed. */
  async #exec(
    connection: SpecConnection,
    sql: string,
    write: (text: string) => void,
  ): Promise<string | null> {
    try {
      const result = await connection.query(sql);
      if (result.last) write(formatResultSet(result.last));
      return null;
    } catch (error) {
      if (error instanceof StepError) return error.fullText;
      throw error;
    }
  }

  /** Outside the steps, a session's notices print as they arrive; the control connection's never. */
  #printNotices(write: (text: string) => void): void {
    this.#control.onNotice = null;
    this.#sessions.forEach((connection, index) => {
      const name = this.#spec.sessions[index]!.name;
      connection.onNotice = (text) => write(`${name}: ${text}`);
    });
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
  async #steps(schedule: StepSchedule, timeoutMs: number): Promise<StepsRecord> {
    const spec = this.#spec;
    const stepByName = this.#stepByName;
    let attempt = new StepsAttempt(spec.sessions.length);
    const listen = (): void => {
      this.#sessions.forEach((connection, session) => {
        connection.onNotice = (text) => attempt.record({ kind: 'notice', session, text });
      });
    };
    listen();
    const control = new SpecControlSession(this.#engine[0], this.#engine[1], (pid) => {
      const session = this.#sessions.findIndex((connection) => connection.pid === pid);
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
        throw new Error(
          `the schedule chose session ${spec.sessions[session]?.name}, which has no step ready`,
        );
      }
      return session + 1;
    };
    const plans = (): BuyerPlan[] => {
      const mine = attempt;
      return spec.sessions.map((_, session) => ({
        id: session + 1,
        // The engine sends a released step on the buyer's session: that is the moment of release.
        session: releasing(this.#sessions[session]!, () => {
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
      await this.#abandon();
      const ignore = (): void => {};
      await this.tearDown(ignore);
      await Promise.all(this.#sessions.map((session) => session.query('DISCARD ALL').catch(() => {})));
      await this.setUp(ignore);
      attempt = new StepsAttempt(spec.sessions.length);
      listen();
      return plans();
    };
    try {
      await runInterleaving({ control, buyers: plans(), choose, timeoutMs, restart });
    } catch (error) {
      attempt.recording = false;
      await this.#abandon();
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

  /**
   * After a setup failed: ends what the sessions left open and runs the
   * teardowns, printing nothing, so that what the setups created outside the
   * scratch database (a role) does not outlive the run. isolationtester exits
   * without this; explore (which cannot go on either) cleans up.
   */
  async cleanUp(): Promise<void> {
    await this.#abandon();
    await this.tearDown(() => {});
  }

  /** After an abandoned run: cancel what still runs and end every open transaction. */
  async #abandon(): Promise<void> {
    await this.#control
      .query(
        `SELECT pg_cancel_backend(pid) FROM unnest(ARRAY[${this.#sessions.map((s) => s.pid).join(',')}]) AS pid`,
      )
      .catch(() => {});
    await Promise.all(this.#sessions.map((session) => session.query('ROLLBACK').catch(() => {})));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([this.#control, ...this.#sessions, ...this.#engine].map((session) => session.close()));
  }
}

interface StepsRecord {
  readonly events: RunEvent[];
  readonly permutation: PermutationStep[];
  readonly stuck: number[];
}

/** What one attempt at running the steps recorded (an abandoned attempt's record is dropped). */
class StepsAttempt {
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

/**
 * The steps a failed run left waiting, when that is all that stopped it:
 * every session that has not finished has its last released step seen
 * waiting for a lock and not completed. Any other failure (a step that ran
 * past the timeout, a lost connection) gives none.
 */
function stuckSteps(
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
