import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { BuyerEndpoint } from './buyer-endpoint.ts';

/** A command strategy's program, as its `.json` file gives it. */
export interface CommandSpec {
  readonly command: readonly string[];
  /** The `.json` file's folder: the program runs there. */
  readonly cwd: string;
  /** Longest one buyer's program may run once it has its request. */
  readonly timeoutMs: number;
}

/** How a program ended: its exit, or why it could not start. */
export type ProgramExit = { code: number | null; signal: NodeJS.Signals | null } | { error: Error };

/** The most of each stream kept: the outcome and the error are on their last lines. */
const KEPT_BYTES = 64 * 1024;

/**
 * One run of a buyer's program. It is started before its run begins (the
 * interpreter's start-up, often most of its time, is not the run's) and
 * waits for its request on stdin; the gate passes what it sends before it
 * has one, as connection set-up.
 */
export class BuyerProgram {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<ProgramExit>;
  /** The endpoint's connection count when the program started: it connected if that grew. */
  readonly connectionsBefore: number;
  stdout = '';
  stderr = '';

  constructor(spec: CommandSpec, endpoint: BuyerEndpoint) {
    this.connectionsBefore = endpoint.connectionsOpened;
    const { user, password, database } = endpoint.target;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: endpoint.url,
      PGHOST: '127.0.0.1',
      PGPORT: String(endpoint.port),
      PGUSER: user,
      PGDATABASE: database,
    };
    if (password !== undefined) env.PGPASSWORD = password;
    else delete env.PGPASSWORD;
    const [program, ...args] = spec.command;
    // Its own process group, so a kill ends whatever the program started too.
    const child = spawn(program!, args, { cwd: spec.cwd, env, stdio: 'pipe', detached: true });
    this.#child = child;
    child.stdout.on('data', (chunk: Buffer) => {
      this.stdout = (this.stdout + chunk.toString('utf8')).slice(-KEPT_BYTES);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-KEPT_BYTES);
    });
    child.stdin.on('error', () => {}); // a program that never reads stdin closes it early
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => resolve({ error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Hands the program its request: one line of JSON on stdin. */
  request(request: unknown): void {
    this.#child.stdin.end(`${JSON.stringify(request)}\n`);
  }

  /** Kills the program's whole process group; resolves once it has exited. */
  async kill(): Promise<void> {
    const pid = this.#child.pid;
    if (pid !== undefined && this.#child.exitCode === null && this.#child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.exited;
  }
}

/** The last non-empty line of a program's output. */
export function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .at(-1) ?? ''
  );
}
