import type { EventEmitter } from 'node:events';
import pg from 'pg';
import { type QueryResult, type SqlSession, StatementError } from '../engine/sql-session.ts';
import type { ResultSet } from './result-table.ts';

/**
 * A step's whole answer: every result set of a multi-statement step, in
 * PostgreSQL's text format, as isolationtester prints them.
 */
export interface StepResult extends QueryResult {
  readonly sets: readonly ResultSet[];
  /** The last statement's rows, when it returned any: all that PQexec keeps (setup and teardown). */
  readonly last: ResultSet | null;
}

/** A failed step: the severity and primary message isolationtester prints, and the sets before it. */
export class StepError extends StatementError {
  readonly severity: string;
  readonly sets: readonly ResultSet[];
  /** The message as libpq's PQerrorMessage spells it (`ERROR:  …` with DETAIL and HINT lines). */
  readonly fullText: string;

  constructor(message: string, code: string, severity: string, fullText: string, sets: readonly ResultSet[]) {
    super(message, code);
    this.name = 'StepError';
    this.severity = severity;
    this.fullText = fullText;
    this.sets = sets;
  }
}

/** A session opened the way pg_isolation_regress opens them (time zone, date and interval style). */
export interface SpecConnection extends SqlSession {
  query(text: string): Promise<StepResult>;
  /** Called with each notice as libpq's notice processor gets it (`NOTICE:  …\n`). */
  onNotice: ((text: string) => void) | null;
}

/** pg_regress's PGTZ, PGDATESTYLE and PGOPTIONS, which isolationtester's expected outputs assume. */
const regressSettings = '-c timezone=PST8PDT -c datestyle=Postgres,\\ MDY -c intervalstyle=postgres_verbose';

/** Opens one connection to `url` for a spec's session, setup or teardown. */
export async function openSpecConnection(url: string, name: string): Promise<SpecConnection> {
  const client = new pg.Client({
    connectionString: url,
    application_name: `oversold spec/${name}`,
    options: regressSettings,
  });
  client.on('error', () => {});
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const connection = new PgSpecConnection(client, pid);
  client.on('notice', (notice) => connection.onNotice?.(libpqMessage(notice)));
  return connection;
}

class PgSpecConnection implements SpecConnection {
  readonly pid: number;
  onNotice: ((text: string) => void) | null = null;
  readonly #client: pg.Client;
  #closed = false;

  constructor(client: pg.Client, pid: number) {
    this.#client = client;
    this.pid = pid;
  }

  query(text: string): Promise<StepResult> {
    return new Promise<StepResult>((resolve, reject) => {
      // pg queues a submittable until the session is idle, like its own queries.
      (this.#client.query as unknown as (submittable: SimpleQuery) => void)(
        new SimpleQuery(text, resolve, reject),
      );
    });
  }

  inTransaction(): boolean | undefined {
    // A spec session may end a permutation inside a transaction: isolationtester's
    // teardown ends it, so the engine's open-transaction check must not apply.
    return false;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.end().catch(() => {});
  }
}

interface Field {
  readonly name: string;
}

/**
 * One simple-protocol query that keeps what pg's own Query drops: every
 * result set of a multi-statement text, raw text values, duplicate column
 * names, and the result sets that came before an error.
 */
class SimpleQuery {
  readonly text: string;
  readonly #resolve: (result: StepResult) => void;
  readonly #reject: (error: unknown) => void;
  readonly #sets: ResultSet[] = [];
  #fields: string[] | null = null;
  #rows: (string | null)[][] = [];
  #rowCount: number | null = null;
  #command: string | undefined;
  #last: ResultSet | null = null;
  #settled = false;

  constructor(text: string, resolve: (result: StepResult) => void, reject: (error: unknown) => void) {
    this.text = text;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  submit(connection: { query(text: string): void }): null {
    connection.query(this.text);
    return null;
  }

  handleRowDescription(message: { fields: Field[] }): void {
    this.#fields = message.fields.map((field) => field.name);
    this.#rows = [];
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    this.#rows.push(message.fields);
  }

  handleCommandComplete(message: { text: string }): void {
    this.#last = this.#fields ? { fields: this.#fields, rows: this.#rows } : null;
    if (this.#last) this.#sets.push(this.#last);
    this.#fields = null;
    this.#rows = [];
    const [verb, ...rest] = message.text.split(' ');
    this.#command = verb;
    const count = Number(rest.at(-1));
    this.#rowCount = Number.isFinite(count) ? count : null;
  }

  handleEmptyQuery(): void {
    this.#last = null;
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('oversold spec does not send COPY data');
  }

  handleCopyData(): void {}

  handleError(error: unknown, connection?: EventEmitter): void {
    if (this.#settled) return;
    this.#settled = true;
    if (error instanceof pg.DatabaseError) {
      const severity = error.severity ?? 'ERROR';
      const failed = new StepError(
        error.message,
        error.code ?? 'XX000',
        severity,
        libpqMessage(error),
        this.#sets,
      );
      // PostgreSQL sends the ErrorResponse before it aborts the transaction and
      // releases its locks; only ReadyForQuery comes after. Failing the step at
      // once let the scheduler still see another session blocked by this one
      // (deadlock-simple's s1ae, once in a CI run) and call that state stable.
      if (connection) afterReadyForQuery(connection, () => this.#reject(failed));
      else this.#reject(failed);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.#reject(new StepError(message, '08006', 'FATAL', `${message}\n`, this.#sets));
  }

  handleReadyForQuery(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve({
      rows: [],
      rowCount: this.#rowCount,
      ...(this.#command ? { command: this.#command } : {}),
      sets: this.#sets,
      last: this.#last,
    });
  }
}

/** A notice or error as libpq formats it at the default verbosity (no CONTEXT for notices). */
export function libpqMessage(notice: {
  severity?: string | undefined;
  message?: string | undefined;
  detail?: string | undefined;
  hint?: string | undefined;
}): string {
  let text = `${notice.severity ?? 'NOTICE'}:  ${notice.message ?? ''}\n`;
  if (notice.detail) text += `DETAIL:  ${notice.detail}\n`;
  if (notice.hint) text += `HINT:  ${notice.hint}\n`;
  return text;
}

/** Calls `then` once the connection's next ReadyForQuery arrives, or the connection ends without one. */
function afterReadyForQuery(connection: EventEmitter, then: () => void): void {
  const done = (): void => {
    connection.off('readyForQuery', done);
    connection.off('end', done);
    then();
  };
  connection.on('readyForQuery', done);
  connection.on('end', done);
}
