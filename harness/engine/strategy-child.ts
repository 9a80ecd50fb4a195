import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Step } from './buyer-gate.ts';
import { type ChildLauncher, plainLauncher } from './child-launcher.ts';
import { StrategyLoadError, StrategyMistakeError } from './errors.ts';
import {
  boundText,
  type ChildMessage,
  type FrameError,
  type ParentMessage,
  readFrames,
  type StrategyMetadata,
  writeFrame,
} from './isolated-buyer-protocol.ts';
import type { QueryResult } from './sql-session.ts';

export interface ChildOptions {
  /** How messages name the process: "buyer 2's process". */
  readonly subject: string;
  /** Longest the strategy's module may take to load. */
  readonly timeoutMs: number;
  /** Heap limit in MB (256 by default). */
  readonly memoryLimitMb?: number;
  /** How the process starts: with the harness's rights by default, or in a sandbox. */
  readonly launcher?: ChildLauncher;
}

/** What one call of the strategy's code needs from the harness. */
export interface CallHooks {
  /** Where the code's steps go; the reply is sent back to the child. */
  readonly submit: (step: Step) => Promise<QueryResult | undefined>;
  /** Told, before the call rejects, that the process died during it. */
  readonly onDeath: (message: string) => void;
}

const DEFAULT_MEMORY_LIMIT_MB = 256;
/** The harness's own start-up in the child (tsx, the loader), before the strategy's module is touched. */
const STARTUP_MS = 60_000;
/** Most of a child's stderr passed on, so a flood cannot fill the harness's memory. */
const MAX_FORWARDED_STDERR = 1024 * 1024;
const outOfMemory = /JavaScript heap out of memory|Reached heap limit/;

/**
 * One child process holding one loaded strategy. Every way it can end is
 * turned into one line naming the process and how it ended: an exit code, a
 * signal, running out of its heap, or an oversized message on its channel.
 */
export class StrategyChild {
  readonly #process: ChildProcess;
  readonly #channel: Socket;
  readonly #options: ChildOptions;
  readonly #launcher: ChildLauncher;
  readonly #exited: Promise<void>;
  #run = 0;
  #current: {
    run: number;
    phase: string;
    hooks: CallHooks;
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
  } | null = null;
  #onMessage: ((message: ChildMessage) => void) | null = null;
  /** Why the channel was closed by the harness, if it was. */
  #refused: string | null = null;
  #outOfMemory = false;
  /** Set once the process is gone: the line that says how. */
  #death: string | null = null;
  #stopped = false;

  private constructor(spawned: ChildProcess, options: ChildOptions) {
    this.#process = spawned;
    this.#options = options;
    this.#launcher = options.launcher ?? plainLauncher;
    this.#channel = spawned.stdio[3] as Socket;
    this.#exited = new Promise((resolve) => spawned.once('exit', () => resolve()));
    readFrames(
      this.#channel,
      (message) => this.#receive(message as ChildMessage),
      (error: FrameError) => {
        this.#refused = error.message;
        this.kill();
      },
    );
    this.#watchStderr();
    spawned.once('exit', (code, signal) => this.#died(code, signal));
  }

  /** Starts a child, loads the strategy in it within `timeoutMs`, and resolves with what it declares. */
  static async start(
    file: string,
    options: ChildOptions,
  ): Promise<{ child: StrategyChild; metadata: StrategyMetadata }> {
    const limit = options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
    const launcher = options.launcher ?? plainLauncher;
    const modulePath = launcher.modulePath(file);
    const launch = launcher.command([`--max-old-space-size=${limit}`]);
    // The child's channel is fd 3, so neither `process.send` nor Node's IPC exists there.
    const spawned = spawn(launch.command, launch.args, {
      stdio: ['ignore', 'inherit', 'pipe', 'pipe'],
      ...(launch.uid !== undefined ? { uid: launch.uid } : {}),
      ...(launch.gid !== undefined ? { gid: launch.gid } : {}),
      ...(launch.env !== undefined ? { env: launch.env } : {}),
    });
    const child = new StrategyChild(spawned, options);
    let timer: NodeJS.Timeout | undefined;
    try {
      const metadata = await new Promise<StrategyMetadata>((resolve, reject) => {
        const expire = (ms: number, reason: string): void => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            child.kill();
            reject(new StrategyLoadError(file, reason));
          }, ms);
        };
        expire(STARTUP_MS, `its process did not start within ${STARTUP_MS} ms: the machine is overloaded`);
        child.#onMessage = (message) => {
          if (message.type === 'ready') {
            // From here on the time is the strategy module's own.
            expire(
              options.timeoutMs,
              `did not finish loading within ${options.timeoutMs} ms (its top-level code awaits or loops forever?): fix the module, or raise --timeout if it is only slow`,
            );
            child.#send({ type: 'load', file: modulePath });
          } else if (message.type === 'loaded')
            resolve(modulePath === file ? message.metadata : { ...message.metadata, file });
          else if (message.type === 'load-error') {
            // In a sandbox the module has another path: messages name the user's file.
            const text = boundText(message.message).replaceAll(modulePath, file);
            reject(new StrategyLoadError(file, text.replace(`${file}: `, '')));
          }
        };
        spawned.once('exit', () =>
          reject(new StrategyLoadError(file, (child.#death ?? '').replace(options.subject, 'its process'))),
        );
      });
      child.#onMessage = null;
      return { child, metadata };
    } catch (error) {
      await child.killed();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs purchase() or setup() in the child; rejects at once if the process dies. */
  call(call: 'purchase' | 'setup', request: unknown, hooks: CallHooks): Promise<unknown> {
    const phase = `during ${call}()`;
    if (this.#death !== null) {
      hooks.onDeath(this.#death);
      return Promise.reject(new StrategyMistakeError(this.#death));
    }
    this.#run += 1;
    const run = this.#run;
    return new Promise((resolve, reject) => {
      this.#current = { run, phase, hooks, resolve, reject };
      this.#send({ type: 'run', run, call, request });
    });
  }

  /** Stops the child (after a hung or abandoned run); its end is not reported. */
  kill(): void {
    this.#stopped = this.#refused === null;
    this.#process.kill('SIGKILL');
  }

  /** Kills the child and waits until it is gone. */
  async killed(): Promise<void> {
    if (this.#process.exitCode === null && this.#process.signalCode === null) this.kill();
    await this.#exited;
  }

  #died(code: number | null, signal: NodeJS.Signals | null): void {
    const current = this.#current;
    this.#current = null;
    const phase = current?.phase ?? (this.#run === 0 ? 'while loading the strategy' : 'between runs');
    this.#death = this.#describeDeath(phase, code, signal);
    if (!current || this.#stopped) {
      current?.reject(new Error('the run was abandoned'));
      return;
    }
    current.hooks.onDeath(this.#death);
    current.reject(new StrategyMistakeError(this.#death));
  }

  #describeDeath(phase: string, code: number | null, signal: NodeJS.Signals | null): string {
    const { subject } = this.#options;
    if (this.#refused !== null) {
      return `${subject} ${this.#refused} ${phase}: keep a strategy's statements, parameters and errors small`;
    }
    if (this.#outOfMemory) {
      const limit = this.#options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
      return `${subject} ran out of memory ${phase} (its heap limit is ${limit} MB): the strategy allocates without bound; fix it`;
    }
    if (signal === null && code !== null && code > 128 && this.#launcher.wrapped) {
      // The sandbox's wrapper exits with 128 + N when Node dies of signal N.
      const name = Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0];
      if (name) return `${subject} was killed by ${name} ${phase} (out of memory?)`;
    }
    if (signal !== null) return `${subject} was killed by ${signal} ${phase} (out of memory?)`;
    const hint =
      code === 0 ? 'process.exit in the strategy?' : 'an uncaught error or process.exit in the strategy?';
    return `${subject} exited with code ${code} ${phase} (${hint})`;
  }

  /** Passes the child's stderr on (bounded) and notices V8's out-of-memory report in it. */
  #watchStderr(): void {
    let forwarded = 0;
    let tail = '';
    this.#process.stderr?.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      if (outOfMemory.test(text)) this.#outOfMemory = true;
      tail = text.slice(-64);
      if (forwarded < MAX_FORWARDED_STDERR) {
        const part = chunk.subarray(0, MAX_FORWARDED_STDERR - forwarded);
        forwarded += part.length;
        process.stderr.write(part);
        if (forwarded >= MAX_FORWARDED_STDERR) {
          process.stderr.write(`\n… (${this.#options.subject}'s further stderr cut)\n`);
        }
      }
    });
  }

  #receive(message: ChildMessage): void {
    if (this.#onMessage) {
      this.#onMessage(message);
      return;
    }
    const current = this.#current;
    if (!current || !('run' in message) || message.run !== current.run) return;
    if (message.type === 'step') {
      const { at } = message.step;
      const step =
        at !== undefined && this.#launcher.hostCallSite
          ? { ...message.step, at: this.#launcher.hostCallSite(at) }
          : message.step;
      current.hooks.submit(step).then(
        (result) =>
          this.#send({
            type: 'reply',
            id: message.id,
            ok: true,
            result: result ?? { rows: [], rowCount: null },
          }),
        (error: unknown) => {
          const failure = error as { message?: string; code?: string; detail?: string; constraint?: string };
          this.#send({
            type: 'reply',
            id: message.id,
            ok: false,
            error: {
              message: String(failure?.message ?? error),
              ...(failure?.code ? { code: failure.code } : {}),
              ...(failure?.detail ? { detail: failure.detail } : {}),
              ...(failure?.constraint ? { constraint: failure.constraint } : {}),
            },
          });
        },
      );
    } else if (message.type === 'done') {
      this.#current = null;
      if (message.ok)
        current.resolve(typeof message.value === 'string' ? boundText(message.value) : message.value);
      else {
        // The child bounds its texts; bound them again in case strategy code wrote the frame.
        const error = new Error(boundText(String(message.error.message))) as Error & {
          code?: string;
        };
        if (message.error.code) error.code = boundText(String(message.error.code), 64);
        current.reject(error);
      }
    }
  }

  #send(message: ParentMessage): void {
    if (this.#death === null && this.#channel.writable) writeFrame(this.#channel, message);
  }
}
