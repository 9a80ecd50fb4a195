import type { SqlConnector, SqlSession } from '../engine/sql-session.ts';

/**
 * The benchmark's buyer sessions for one strategy's schema: plain sessions,
 * without the `oversold.forced` setting, so `oversold.pause()` in SQL returns at
 * once. Opened once and reused by every level (a level of N uses the first N).
 */
export class BuyerPool implements AsyncDisposable {
  readonly #connector: SqlConnector;
  readonly #schema: string;
  readonly #sessions: SqlSession[] = [];
  #closed = false;

  constructor(connector: SqlConnector, schema: string) {
    this.#connector = connector;
    this.#schema = schema;
  }

  /** The first `count` sessions, opening the missing ones. */
  async take(count: number): Promise<readonly SqlSession[]> {
    if (this.#closed) throw new Error('the buyer pool is closed');
    const missing = count - this.#sessions.length;
    if (missing > 0) {
      const first = this.#sessions.length;
      const opened = await Promise.allSettled(
        Array.from({ length: missing }, (_, index) =>
          this.#connector.connect({
            searchPath: `${this.#schema}, public`,
            applicationName: `oversold bench buyer ${first + index + 1}`,
          }),
        ),
      );
      for (const result of opened) if (result.status === 'fulfilled') this.#sessions.push(result.value);
      const failure = opened.find((result) => result.status === 'rejected');
      if (failure) {
        const reason = (failure as PromiseRejectedResult).reason;
        throw new Error(
          `could not open ${missing} buyer sessions (${reason instanceof Error ? reason.message : String(reason)}): lower --concurrency or raise the server's max_connections`,
          { cause: reason },
        );
      }
    }
    return this.#sessions.slice(0, count);
  }

  /** Backend pids of the open sessions (for pg_terminate_backend when a strategy hangs). */
  pids(): number[] {
    return this.#sessions.map((session) => session.pid);
  }

  /** Closes every session; later `take` calls open fresh ones. */
  async reset(): Promise<void> {
    const sessions = this.#sessions.splice(0);
    await Promise.all(sessions.map((session) => session.close()));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.reset();
    this.#closed = true;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
