import { pgConnector } from '../database/pg-connector.ts';
import { deferred } from '../engine/deferred.ts';
import { type Chooser, runInterleaving } from '../engine/interleaving.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import { ReportStuckError, type RunEvent, reportPermutation } from './isolation-report.ts';
import { formatResultSet } from './result-table.ts';
import { openSpecConnection, type SpecConnection, StepError, type StepResult } from './spec-connection.ts';
import { SpecControlSession } from './spec-control-session.ts';
import { openSpecDatabase, type SpecDatabase } from './spec-database.ts';
import { allPermutations, type PermutationStep, type TestSpec } from './spec-parser.ts';
import { unsupportedReason } from './unsupported.ts';

export interface SpecRunOptions {
  /** The server to run on; the spec runs in a scratch database created there and dropped after. */
  readonly url: string;
  /** Longest one step may take (isolationtester's default is 300 s). */
  readonly timeoutMs: number;
  /** Receives the output as it is produced, exactly as isolationtester prints it. */
  readonly write?: (text: string) => void;
}

export interface SpecRunResult {
  /** Everything printed: isolationtester's stdout and stderr, as pg_isolation_regress captures them. */
  readonly output: string;
  /** Why oversold cannot run this spec as isolationtester does; null when it ran it. */
  readonly unsupported: string | null;
  readonly serverVersion: string;
  readonly serverMajor: number;
}

/** A spec the engine cannot run the way isolationtester would. */
export class SpecUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecUnsupportedError';
  }
}

/**
 * Runs an isolation spec: for each permutation (every ordering when the spec
 * lists none) setup, session setups, the steps through oversold's engine (each
 * session is a buyer; the scheduler releases the steps in the permutation's
 * order), session teardowns and teardown, printing what isolationtester prints.
 */
export async function runSpec(spec: TestSpec, options: SpecRunOptions): Promise<SpecRunResult> {
  let output = '';
  const write = (text: string): void => {
    output += text;
    options.write?.(text);
  };
  await using database = await openSpecDatabase(options.url);
  const about = { serverVersion: database.serverVersion, serverMajor: database.serverMajor };
  const reason = unsupportedReason(spec, database);
  if (reason) return { output, unsupported: reason, ...about };
  for (const warning of spec.warnings) write(`${warning}\n`);
  write(`Parsed test spec with ${spec.sessions.length} sessions\n`);
  await using run = await SpecSessions.open(spec, database);
  const permutations = spec.permutations.length > 0 ? spec.permutations : allPermutations(spec);
  try {
    for (const permutation of permutations) await run.permutation(permutation, write, options.timeoutMs);
  } catch (error) {
    // isolationtester exits after a failed setup: what it printed is the whole output.
    if (error instanceof SpecStopped) return { output, unsupported: null, ...about };
    if (error instanceof SpecUnsupportedError) return { output, unsupported: error.message, ...about };
    throw error;
  }
  return { output, unsupported: null, ...about };
}

/** The spec's connections: the control connection (setup, teardown) and one per session. */
class SpecSessions implements AsyncDisposable {
  readonly #spec: TestSpec;
  readonly #control: SpecConnection;
  readonly #sessions: SpecConnection[];
  readonly #engine: [SqlSession, SqlSession];

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

  async permutation(
    permutation: readonly PermutationStep[],
    write: (text: string) => void,
    timeoutMs: number,
  ): Promise<void> {
    const spec = this.#spec;
    write(`\nstarting permutation: ${permutation.map((step) => step.name).join(' ')}\n`);
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
    const events = await this.#steps(permutation, timeoutMs);
    try {
      write(reportPermutation(spec, permutation, events));
    } catch (error) {
      if (error instanceof ReportStuckError) throw new SpecUnsupportedError(error.message);
      throw error;
    }
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

  /** Runs the permutation's steps through the engine and records what it observed, in order. */
  async #steps(permutation: readonly PermutationStep[], timeoutMs: number): Promise<RunEvent[]> {
    const spec = this.#spec;
    const stepByName = new Map(
      spec.sessions.flatMap((session) => session.steps.map((step) => [step.name, step])),
    );
    const stepAt = (index: number) => stepByName.get(permutation[index]!.name)!;
    const events: RunEvent[] = [];
    const current: (number | null)[] = spec.sessions.map(() => null);
    const done = permutation.map(() => deferred<void>());
    this.#sessions.forEach((connection, session) => {
      connection.onNotice = (text) => events.push({ kind: 'notice', session, text });
    });
    const control = new SpecControlSession(this.#engine[0], this.#engine[1], (pid) => {
      const session = this.#sessions.findIndex((connection) => connection.pid === pid);
      const step = current[session];
      if (step !== null && step !== undefined) events.push({ kind: 'blocked', step });
    });
    const choose: Chooser = (index, ready) => {
      const step = stepAt(index);
      if (!ready.includes(step.session + 1)) {
        throw new SpecUnsupportedError(
          `step ${step.name} is due while session ${spec.sessions[step.session]!.name} still waits for a lock that no step releases (only a timeout could end it)`,
        );
      }
      current[step.session] = index;
      events.push({ kind: 'release', step: index });
      return step.session + 1;
    };
    const buyers = spec.sessions.map((_, session) => ({
      id: session + 1,
      session: this.#sessions[session]!,
      slot: 0,
      purchase: async (db: { query(text: string): Promise<unknown> }) => {
        for (const [index, pstep] of permutation.entries()) {
          if (stepByName.get(pstep.name)!.session !== session) continue;
          try {
            const result = (await db.query(stepAt(index).sql)) as StepResult;
            events.push({ kind: 'done', step: index, result, error: null });
          } catch (error) {
            events.push({ kind: 'done', step: index, result: null, error });
          }
          done[index]!.resolve();
          // isolationtester does not report a step done while a step it names
          // as its blocker still runs, and does not send the session's next
          // step before: the buyer waits here, so the engine settles first.
          for (const blocker of pstep.blockers) {
            if (blocker.kind !== 'step') continue;
            const other = stepByName.get(blocker.step)!;
            const running = current[other.session];
            if (running !== null && running !== undefined && permutation[running]!.name === blocker.step) {
              await done[running]!.promise;
            }
          }
        }
        return 'purchased';
      },
    }));
    try {
      await runInterleaving({ control, buyers, choose, timeoutMs });
    } catch (error) {
      await this.#abandon();
      if (error instanceof SpecUnsupportedError) throw error;
      throw new SpecUnsupportedError(
        `the engine could not run permutation "${permutation.map((step) => step.name).join(' ')}": ${(error as Error).message}`,
      );
    }
    return events;
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

/** isolationtester exits after a failed setup: the rest of the spec does not run. */
class SpecStopped extends Error {
  constructor(message: string, write: (text: string) => void) {
    write(message);
    super(message.trim());
    this.name = 'SpecStopped';
  }
}
