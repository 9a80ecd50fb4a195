import { Worker } from 'node:worker_threads';
import type { CheckWorkerData, MainMessage, WorkerMessage } from './worker-protocol.ts';

const bootstrap = new URL('./check-worker.mjs', import.meta.url);

export type FaultMessage = Extract<WorkerMessage, { type: 'fault' }>;

interface Handlers {
  readonly onMessage: (message: WorkerMessage) => void;
  readonly onError: (error: Error) => void;
}

/**
 * A worker thread that checks strategies, one at a time. Starting one (tsx,
 * pg, fast-check, the engine, all compiled afresh) costs about half a second
 * and its first check runs on cold code, so a thread whose check ended
 * normally is given the next strategy; one that ended otherwise is gone.
 */
export class CheckWorkerThread {
  readonly memoryLimitMb: number;
  /** When the thread was created (its start is bounded from here). */
  readonly createdAt: number;
  /** Resolves with the exit code once the thread has ended, however it ended. */
  readonly exited: Promise<number>;
  /** Faults posted while no check was under way: code an earlier strategy left running. */
  readonly idleFaults: FaultMessage[] = [];
  readonly #worker: Worker;
  #ended = false;
  #error: Error | undefined;
  #handlers: Handlers | undefined;

  constructor(memoryLimitMb: number, now: () => number = () => performance.now()) {
    this.memoryLimitMb = memoryLimitMb;
    this.createdAt = now();
    this.#worker = new Worker(bootstrap, { resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb } });
    // Listened to from the start: an 'error' with no listener would crash the main thread.
    this.#worker.on('error', (error) => {
      this.#error ??= error;
      this.#handlers?.onError(error);
    });
    this.#worker.on('message', (message: WorkerMessage) => {
      if (this.#handlers) this.#handlers.onMessage(message);
      else if (message.type === 'fault') this.idleFaults.push(message);
    });
    this.exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        this.#ended = true;
        resolve(code);
      }),
    );
  }

  /** Whether the thread has ended (it cannot check anything more). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Hands the thread its next strategy; `onError` also hears an error raised before. */
  check(data: CheckWorkerData, handlers: Handlers): void {
    this.#handlers = handlers;
    if (this.#error) handlers.onError(this.#error);
    this.#worker.postMessage({ type: 'check', data } satisfies MainMessage);
  }

  /** The check is over and the thread healthy: it waits for the next strategy. */
  release(): void {
    this.#handlers = undefined;
  }

  /** Ends the thread, even inside a busy loop. */
  terminate(): void {
    void this.#worker.terminate();
  }
}
