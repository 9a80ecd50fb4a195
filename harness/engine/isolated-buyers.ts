import type { SetupDb } from '../strategy/strategy.ts';
import type { BuyerDb, Step } from './buyer-gate.ts';
import { gateOf } from './buyer-gate.ts';
import type { ChildLauncher } from './child-launcher.ts';
import { StrategyMistakeError } from './errors.ts';
import { type ChildOptions, StrategyChild } from './strategy-child.ts';

export interface IsolatedBuyersOptions {
  /** Longest the module may take to load, and setup() to run (--timeout); 60 s by default. */
  readonly timeoutMs?: number;
  /** Heap limit of each child process in MB (256 by default). */
  readonly memoryLimitMb?: number;
  /** How the children start: with the harness's rights by default, or in a sandbox. */
  readonly launcher?: ChildLauncher;
}

/** The key of the child that runs setup(); buyers are numbered from 1. */
const SETUP = 0;

/**
 * Runs each buyer's purchase() in a child process of its own, kept across
 * runs: for strategies that must not run inside oversold (students' code). The
 * child only exchanges steps with the scheduler. A child that hangs, even in a
 * busy loop, is killed and replaced; a child that dies (exits, crashes, runs
 * out of memory, floods its channel) makes the strategy not evaluable at once,
 * naming the buyer and how it died.
 */
export class IsolatedBuyers implements AsyncDisposable {
  readonly #file: string;
  readonly #options: IsolatedBuyersOptions;
  /** Children by buyer id, including those still starting (so discard can reach them). */
  readonly #children = new Map<number, Promise<StrategyChild>>();

  constructor(file: string, options: IsolatedBuyersOptions = {}) {
    this.#file = file;
    this.#options = options;
  }

  /** Starts these buyers' children, so start-up never counts as a buyer's step. */
  async prepare(ids: readonly number[]): Promise<void> {
    await Promise.all(ids.map((id) => this.#child(id)));
  }

  /** The purchase function buyer `id` runs: it forwards to that buyer's child. */
  purchaseFor(id: number, request: unknown): (db: BuyerDb) => Promise<unknown> {
    return async (db) => {
      const gate = gateOf(db);
      if (!gate) throw new Error('an isolated buyer needs the db handle the scheduler made');
      return (await this.#child(id)).call('purchase', request, {
        submit: (step) => gate.submit(step),
        // The death of a buyer's process is no outcome of the strategy's: the
        // interleaving stops on a gate's mistake and reports it (exit 2).
        onDeath: (message) => {
          gate.mistake = message;
        },
      });
    };
  }

  /** Runs the strategy's setup() in a child of its own, within the timeout; its statements go to `db`. */
  async setup(db: SetupDb, context: Record<string, unknown>): Promise<void> {
    const child = await this.#child(SETUP);
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    // The timer is the --timeout guard for a setup() that never ends.
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.discard([SETUP]);
        reject(
          new StrategyMistakeError(
            `setup() did not finish within ${timeoutMs} ms: fix it, or raise --timeout if it is only slow`,
          ),
        );
      }, timeoutMs);
    });
    const called = child.call('setup', context, {
      submit: (step: Step) =>
        step.kind === 'query'
          ? db.query(step.text, step.params)
          : Promise.reject(new Error('db.pause() only works in purchase(): setup() is not scheduled')),
      onDeath: () => {},
    });
    try {
      await Promise.race([called, expired]);
    } catch (error) {
      // setup() threw: a mistake of the strategy's, which cannot be evaluated without it.
      if (error instanceof StrategyMistakeError) throw error;
      throw new StrategyMistakeError(`setup() failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      called.catch(() => {});
    }
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

  /** Kills every child and waits until each is gone: they hold no connections, and one may be spinning. */
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

  #child(id: number): Promise<StrategyChild> {
    let child = this.#children.get(id);
    if (!child) {
      const options: ChildOptions = {
        subject: id === SETUP ? "setup()'s process" : `buyer ${id}'s process`,
        timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(this.#options.memoryLimitMb !== undefined ? { memoryLimitMb: this.#options.memoryLimitMb } : {}),
        ...(this.#options.launcher ? { launcher: this.#options.launcher } : {}),
      };
      child = StrategyChild.start(this.#file, options).then(({ child: started }) => started);
      this.#children.set(id, child);
      // A child that dies while loading is reported by the caller; a fresh one may start next time.
      child.catch(() => this.#children.delete(id));
    }
    return child;
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
