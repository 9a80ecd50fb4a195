import type { EventEmitter } from 'node:events';
import pg from 'pg';
import {
  type QueryResult,
  type SessionOptions,
  type SqlConnector,
  type SqlSession,
  StatementError,
} from '../engine/sql-session.ts';

/** Adapts node-postgres to the engine's {@link SqlConnector}. */
export function pgConnector(url: string): SqlConnector {
  return {
    url,
    async connect(options: SessionOptions = {}): Promise<SqlSession> {
      const settings: Record<string, string> = { ...options.settings };
      if (options.searchPath !== undefined) settings.search_path = options.searchPath;
      const client = new pg.Client({
        connectionString: url,
        application_name: options.applicationName ?? 'oversold',
        options: Object.entries(settings)
          .map(([name, value]) => `-c ${name}=${escapeOption(value)}`)
          .join(' '),
      });
      // A dropped connection emits 'error' on the client; without a listener Node
      // would crash the process. The pending query rejects on its own; the
      // error (57P01 for pg_terminate_backend) is kept to explain later ones.
      const lost: { error: unknown } = { error: null };
      client.on('error', (error) => {
        lost.error ??= error;
      });
      client.on('notice', () => {});
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => {});
        throw error;
      }
      // BackendKeyData, sent at start-up, carries the backend's pid: no round trip to ask for it.
      const announced = (client as unknown as { processID?: number | null }).processID;
      const pid =
        typeof announced === 'number' && announced > 0
          ? announced
          : (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      return new PgSession(client, pid, lost);
    },
  };
}

// libpq's options string separates with spaces and escapes with backslashes.
function escapeOption(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
}

class PgSession implements SqlSession {
  readonly pid: number;
  readonly #client: pg.Client;
  /** The previous query's settlement: one session runs one query at a time. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Why the connection died, once it has (the server's FATAL, or the socket's error). */
  readonly #lost: { readonly error: unknown };

  constructor(client: pg.Client, pid: number, lost: { readonly error: unknown }) {
    this.#client = client;
    this.pid = pid;
    this.#lost = lost;
  }

  query(
    text: string,
    params?: readonly unknown[],
    options?: { readonly prepare?: string },
  ): Promise<QueryResult> {
    // The engine may ask a new question before an abandoned one is answered;
    // queue it here instead of relying on pg's deprecated implicit queue.
    const result = this.#tail.then(() => this.#send(text, params, options));
    this.#tail = result.catch(() => {});
    return result;
  }

  async #send(
    text: string,
    params?: readonly unknown[],
    options?: { readonly prepare?: string },
  ): Promise<QueryResult> {
    try {
      const config: pg.QueryConfig = { text, values: (params as unknown[] | undefined) ?? [] };
      if (options?.prepare) config.name = options.prepare;
      const result = await this.#client.query(config);
      // A multi-statement simple query returns an array of results; keep the last.
      const last = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
      return { rows: last.rows, rowCount: last.rowCount, command: last.command };
    } catch (error) {
      await this.#readyForQuery();
      // pg answers every query after a dropped connection with "Client has
      // encountered a connection error and is not queryable": say what dropped it.
      if (!(error instanceof pg.DatabaseError) && this.#lost.error) throw toStatementError(this.#lost.error);
      throw toStatementError(error);
    }
  }

  /**
   * pg rejects a query as soon as the ErrorResponse arrives, but PostgreSQL
   * sends that before it aborts the transaction and releases its locks; only
   * ReadyForQuery comes after. Settling earlier let the scheduler see another
   * buyer still blocked by this one and record that as a stable state, or not,
   * depending on timing (a deadlock victim's waiter resumed in one run and not
   * in the next).
   */
  #readyForQuery(): Promise<void> {
    const client = this.#client as unknown as { readyForQuery?: boolean; connection?: EventEmitter };
    const connection = client.connection;
    if (client.readyForQuery !== false || !connection || this.#lost.error) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        connection.off('readyForQuery', done);
        // A connection that dies sends no ReadyForQuery.
        connection.off('end', done);
        resolve();
      };
      connection.on('readyForQuery', done);
      connection.on('end', done);
    });
  }

  inTransaction(): boolean | undefined {
    // node-postgres keeps the ReadyForQuery status ('I' idle, 'T' in a block, 'E' failed block).
    const status = (this.#client as unknown as { _txStatus?: string | null })._txStatus;
    return typeof status === 'string' ? status !== 'I' : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.end().catch(() => {});
  }
}

function toStatementError(error: unknown): Error {
  if (error instanceof pg.DatabaseError) {
    const extra: { detail?: string; constraint?: string } = {};
    if (error.detail) extra.detail = error.detail;
    if (error.constraint) extra.constraint = error.constraint;
    return new StatementError(error.message, error.code ?? 'XX000', extra);
  }
  if (error instanceof Error) {
    // Connection-level failures (terminated backend, closed socket) carry no SQLSTATE.
    return new StatementError(error.message, '08006', {});
  }
  return new StatementError(String(error), 'XX000', {});
}
