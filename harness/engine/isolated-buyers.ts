import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BuyerDb, gateOf } from './buyer-gate.ts';
import { StrategyLoadError } from './errors.ts';
import type { ChildMessage, ParentMessage } from './isolated-buyer-protocol.ts';

const childEntry = fileURLToPath(new URL('./isolated-buyer-child.ts', import.meta.url));

/**
 * Runs each buyer's purchase() in a child process of its own, kept across
 * runs: for strategies that must not run inside oversold (students' code). The
 * child only exchanges steps with the scheduler; a child that hangs, even in a
 * busy loop, is killed and replaced.
 */
export class IsolatedBuyers implements AsyncDisposable {
  readonly #file: string;
  /** Children by buyer id, including those still starting (so discard can reach them). */
  readonly #children = new Map<number, Promise<IsolatedBuyer>>();

  constructor(file: string) {
    this.#file = file;
  }

  /** Starts these buyers' children, so start-up never counts as a buyer's step. */
  async prepare(ids: readonly number[]): Promise<void> {
    await Promise.all(ids.map((id) => this.#child(id)));
  }

  /** The purchase function buyer `id` runs: it forwards to that buyer's child. */
  purchaseFor(id: number, request: unknown): (db: BuyerDb) => Promise<unknown> {
    return async (db) => (await this.#child(id)).purchase(db, request);
  }

  /** Kills these buyers' children (after a hung or abandoned run); new ones start on next use. */
  discard(ids: readonly number[]): void {
    for (const id of ids) {
      const child = this.#children.get(id);
      this.#children.delete(id);
      void child?.then(
        (started) => started.kill(),
        () => {},
      );
    }
  }

  /** Kills every child: they hold no connections, and one may be spinning. */
  async close(): Promise<void> {
    const children = [...this.#children.values()];
    this.#children.clear();
    await Promise.all(
      children.map((child) =>
        child.then(
          (started) => started.killed(),
          () => {},
        ),
      ),
    );
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #child(id: number): Promise<IsolatedBuyer> {
    let child = this.#children.get(id);
    if (!child) {
      child = IsolatedBuyer.start(this.#file);
      this.#children.set(id, child);
      child.catch(() => this.#children.delete(id));
    }
    return child;
  }
}

class IsolatedBuyer {
  readonly #child: ChildProcess;
  #run = 0;
  #current: {
    run: number;
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
    db: BuyerDb;
  } | null = null;
  #exited: Promise<void>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (message: ChildMessage) => this.#receive(message));
    child.once('exit', (code, signal) => {
      this.#current?.reject(
        new Error(`the buyer's process exited (${signal ?? `code ${code}`}) during purchase()`),
      );
      this.#current = null;
    });
  }

  static async start(file: string): Promise<IsolatedBuyer> {
    // The child runs TypeScript strategies through tsx, as the CLI does.
    const child = fork(childEntry, [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const buyer = new IsolatedBuyer(child);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: ChildMessage): void => {
        if (message.type === 'loaded') resolve();
        else if (message.type === 'load-error')
          reject(new StrategyLoadError(file, message.message.replace(`${file}: `, '')));
      };
      child.on('message', onMessage);
      child.once('exit', (code) =>
        reject(new Error(`the buyer's process for ${file} exited while loading (code ${code})`)),
      );
      buyer.#send({ type: 'load', file });
    }).catch((error: unknown) => {
      buyer.kill();
      throw error;
    });
    return buyer;
  }

  purchase(db: BuyerDb, request: unknown): Promise<unknown> {
    this.#run += 1;
    const run = this.#run;
    return new Promise((resolve, reject) => {
      this.#current = { run, resolve, reject, db };
      this.#send({ type: 'run', run, request });
    });
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }

  /** Kills the child and waits until it is gone. */
  async killed(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  #receive(message: ChildMessage): void {
    const current = this.#current;
    if (!current || !('run' in message) || message.run !== current.run) return;
    if (message.type === 'step') {
      const gate = gateOf(current.db);
      if (!gate) {
        current.reject(new Error('an isolated buyer needs the db handle the scheduler made'));
        return;
      }
      gate.submit(message.step).then(
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
      if (message.ok) current.resolve(message.value);
      else {
        const error = new Error(message.error.message) as Error & { code?: string };
        if (message.error.code) error.code = message.error.code;
        current.reject(error);
      }
    }
  }

  #send(message: ParentMessage): void {
    if (this.#child.connected) this.#child.send(message);
  }
}
