import { pgConnector } from '../database/pg-connector.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import { ReportStuckError, reportPermutation } from './isolation-report.ts';
import { formatResultSet } from './result-table.ts';
import { openSpecConnection, type SpecConnection, StepError } from './spec-connection.ts';
import type { SpecDatabase } from './spec-database.ts';
import {
  type SpecInterleaving,
  SpecStopped,
  SpecUnsupportedError,
  type StepSchedule,
} from './spec-interleaving.ts';
import type { SpecStep, TestSpec } from './spec-parser.ts';
import { runSpecSteps, type StepsRecord } from './spec-steps.ts';

export { type SpecInterleaving, SpecStopped, SpecUnsupportedError, type StepSchedule };

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
    let record: StepsRecord;
    try {
      await this.setUp(out);
      await schedule.beforeSteps?.();
      record = await this.#steps(schedule, timeoutMs);
      this.#report(record, out);
    } catch (error) {
      // A run that stops (a setup failed, the engine could not go on) still
      // runs the teardowns, silently: what the setups created outside the
      // scratch database (a role) must not outlive it and fail the next run.
      await this.cleanUp().catch(() => {});
      throw error;
    }
    const { events, permutation, stuck } = record;
    const before = printed.length;
    await this.tearDown(out);
    return { permutation, events, printed, teardown: printed.slice(before), stuck };
  }

  /** What isolationtester prints for the steps, or why it cannot be printed. */
  #report({ events, permutation, stuck }: StepsRecord, out: (text: string) => void): void {
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

  /** The steps in the schedule's order, through the engine: see runSpecSteps. */
  #steps(schedule: StepSchedule, timeoutMs: number): Promise<StepsRecord> {
    return runSpecSteps(
      {
        spec: this.#spec,
        stepByName: this.#stepByName,
        connections: this.#sessions,
        engine: this.#engine,
        setUp: (write) => this.setUp(write),
        tearDown: (write) => this.tearDown(write),
        abandon: () => this.#abandon(),
      },
      schedule,
      timeoutMs,
    );
  }

  /**
   * After a run stopped: ends what the sessions left open and runs the
   * teardowns, printing nothing, so that what the setups created outside the
   * scratch database (a role) does not outlive the run. isolationtester exits
   * after a failed setup without this.
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
