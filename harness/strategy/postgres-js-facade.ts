import { withCallerStack } from '../engine/buyer-gate.ts';
import { type Fragment, type Parameter, rememberTemplate, renderTemplate } from './postgres-js-template.ts';

/** What the facade needs from a session: `db` in purchase(), or setup()'s unscheduled session. */
export interface QueryRunner {
  query(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** Rows as postgres.js returns them: an array, with the command tag's count. */
export type PostgresJsResult<Row = Record<string, unknown>> = Row[] & {
  /** Rows returned or affected (postgres.js `count`). */
  readonly count: number;
  /** The command tag's verb: `SELECT`, `UPDATE`, … */
  readonly command: string;
};

/** A query that runs when awaited, as postgres.js's queries do; until then it may be nested as a fragment. */
export interface PostgresJsQuery<Row = Record<string, unknown>> extends Promise<PostgresJsResult<Row>> {
  /** The rows as arrays of values, in column order. */
  values(): Promise<unknown[][]>;
  /** Starts the query now instead of when awaited. */
  execute(): this;
}

/** What every postgres.js-style `sql` can do, in and out of a transaction. */
export interface PostgresJsSqlBase {
  /** `sql\`SELECT … WHERE id = ${id}\``: values become parameters ($1, $2, …). */
  <Row = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): PostgresJsQuery<Row>;
  /** Helpers: `sql('table')` (identifier), `sql(ids)` after `in`, `sql(row, 'a', 'b')` after `insert into t` or `set`. */
  (value: string | readonly unknown[] | Record<string, unknown>, ...columns: string[]): Fragment;
  /** Raw SQL text with `$1`-style parameters. */
  unsafe<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): PostgresJsQuery<Row>;
  /** A parameter sent as JSON. */
  json(value: unknown): Parameter;
  /** A parameter sent as a PostgreSQL array. */
  array(value: readonly unknown[]): Parameter;
}

/**
 * The `sql` a postgres.js strategy receives: the part of postgres.js's API
 * that purchase code uses. Every statement is one schedulable step, exactly
 * as `db.query` is.
 */
export interface PostgresJsSql extends PostgresJsSqlBase {
  /** BEGIN, the callback, COMMIT; ROLLBACK and rethrow when the callback throws. Resolves to its value. */
  begin<T>(callback: (sql: PostgresJsTransactionSql) => T | Promise<T>): Promise<Awaited<T>>;
  /** `sql.begin('isolation level serializable', async sql => …)`. */
  begin<T>(options: string, callback: (sql: PostgresJsTransactionSql) => T | Promise<T>): Promise<Awaited<T>>;
}

/** The `sql` inside `sql.begin`: the same, with savepoints instead of begin. */
export interface PostgresJsTransactionSql extends PostgresJsSqlBase {
  /** SAVEPOINT, the callback, RELEASE; ROLLBACK TO SAVEPOINT and rethrow when it throws. */
  savepoint<T>(callback: (sql: PostgresJsTransactionSql) => T | Promise<T>): Promise<Awaited<T>>;
  savepoint<T>(
    name: string,
    callback: (sql: PostgresJsTransactionSql) => T | Promise<T>,
  ): Promise<Awaited<T>>;
}

/** A PostgreSQL error as postgres.js reports it: `code` is the SQLSTATE. */
export class PostgresError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  readonly constraint_name: string | undefined;
  declare readonly query: string;
  declare readonly parameters: readonly unknown[];

  constructor(
    source: Error & { code: string; detail?: string; constraint?: string },
    text: string,
    params: readonly unknown[],
  ) {
    super(source.message, { cause: source });
    this.name = 'PostgresError';
    this.code = source.code;
    this.detail = source.detail;
    this.constraint_name = source.constraint;
    // Like postgres.js: the statement rides along without cluttering logs.
    Object.defineProperties(this, {
      query: { value: text, enumerable: false },
      parameters: { value: params, enumerable: false },
    });
  }
}

/**
 * Builds a postgres.js-style `sql` over one buyer's `db` (or setup's session).
 * Statements run one at a time in the order they are awaited, as on one
 * postgres.js connection.
 */
export function postgresJsSql(runner: QueryRunner): PostgresJsSql {
  const session = new FacadeSession(runner);
  return makeSql(session, false) as PostgresJsSql;
}

class FacadeSession {
  readonly runner: QueryRunner;
  /** The last statement sent; the next one waits for it (one connection runs one at a time). */
  #tail: Promise<unknown> = Promise.resolve();
  savepoints = 0;

  constructor(runner: QueryRunner) {
    this.runner = runner;
  }

  run(text: string, params: readonly unknown[], site: Error): Promise<PostgresJsResult> {
    const result = this.#tail.then(() => sendFrom(site, () => this.runner.query(text, params)));
    this.#tail = result.catch(() => undefined);
    return result.then(
      (done) => resultOf(done, text),
      (error: unknown) => {
        throw postgresError(error, text, params, site);
      },
    );
  }
}

function makeSql(session: FacadeSession, inTransaction: boolean): PostgresJsSql | PostgresJsTransactionSql {
  const sql = ((first: unknown, ...rest: unknown[]) => {
    if (isTemplate(first)) {
      const site = new Error('postgres.js query');
      const query = pendingQuery(session, site, () => renderTemplate(first, rest));
      rememberTemplate(query, first, rest);
      return query;
    }
    return helperFragment(first, rest);
  }) as PostgresJsSql & PostgresJsTransactionSql;
  sql.unsafe = ((text: string, params: readonly unknown[] = []) => {
    const site = new Error('postgres.js query');
    if (typeof text !== 'string') throw new TypeError('sql.unsafe() needs SQL text as its first argument');
    return pendingQuery(session, site, () => ({ text, params: [...params] }));
  }) as PostgresJsSql['unsafe'];
  sql.json = (value: unknown) => ({ kind: 'parameter', value: JSON.stringify(value) }) as Parameter;
  sql.array = (value: readonly unknown[]) => ({ kind: 'parameter', value: [...value] }) as Parameter;
  if (!inTransaction) {
    sql.begin = (async (first: unknown, second?: unknown) => {
      const [options, callback] = typeof first === 'function' ? ['', first] : [first, second];
      if (typeof options !== 'string' || typeof callback !== 'function') {
        throw new TypeError(
          "sql.begin() takes a callback, optionally after options: sql.begin('isolation level serializable', async sql => …)",
        );
      }
      const site = new Error('postgres.js begin');
      await session.run(options ? `BEGIN ${options}` : 'BEGIN', [], site);
      return scope(session, site, callback as (sql: unknown) => unknown, null);
    }) as PostgresJsSql['begin'];
  } else {
    sql.savepoint = (async (first: unknown, second?: unknown) => {
      const callback = typeof first === 'function' ? first : second;
      if (typeof callback !== 'function') throw new TypeError('sql.savepoint() takes a callback');
      session.savepoints += 1;
      const name = `s${session.savepoints}`;
      const site = new Error('postgres.js savepoint');
      await session.run(`SAVEPOINT ${name}`, [], site);
      return scope(session, site, callback as (sql: unknown) => unknown, name);
    }) as PostgresJsTransactionSql['savepoint'];
  }
  return sql;
}

/** Runs a transaction's (or savepoint's) callback and ends it as postgres.js does. */
async function scope(
  session: FacadeSession,
  site: Error,
  callback: (sql: unknown) => unknown,
  savepoint: string | null,
): Promise<unknown> {
  let result: unknown;
  try {
    const value = callback(makeSql(session, true));
    result = await (Array.isArray(value) ? Promise.all(value) : value);
  } catch (error) {
    await session.run(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}` : 'ROLLBACK', [], site);
    throw error;
  }
  await session.run(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT', [], site);
  return result;
}

function pendingQuery(
  session: FacadeSession,
  site: Error,
  build: () => { text: string; params: unknown[] },
): PostgresJsQuery & Fragment {
  let started: Promise<PostgresJsResult> | null = null;
  const start = (): Promise<PostgresJsResult> => {
    if (started === null) {
      let built: { text: string; params: unknown[] };
      try {
        built = build();
      } catch (error) {
        started = Promise.reject(error);
        return started;
      }
      started = session.run(built.text, built.params, site);
    }
    return started;
  };
  const query = {
    kind: 'fragment' as const,
    build,
    // biome-ignore lint/suspicious/noThenProperty: a postgres.js query is a lazy thenable
    then: (onFulfilled?: (value: PostgresJsResult) => unknown, onRejected?: (reason: unknown) => unknown) =>
      start().then(onFulfilled, onRejected),
    catch: (onRejected?: (reason: unknown) => unknown) => start().catch(onRejected),
    finally: (onFinally?: () => void) => start().finally(onFinally),
    values: () => start().then((rows) => rows.map((row) => Object.values(row as Record<string, unknown>))),
    execute() {
      start();
      return query;
    },
    [Symbol.toStringTag]: 'PostgresJsQuery',
  };
  return query as unknown as PostgresJsQuery & Fragment;
}

function helperFragment(first: unknown, columns: unknown[]): Fragment {
  if (columns.some((column) => typeof column !== 'string')) {
    throw new TypeError(
      "sql(value, ...columns) takes column names as strings: sql(row, 'item_id', 'quantity')",
    );
  }
  if (typeof first === 'string' || Array.isArray(first) || (first !== null && typeof first === 'object')) {
    return { kind: 'helper', value: first, columns: columns as string[] } as Fragment;
  }
  throw new TypeError(
    `sql(${typeof first}) is not a helper oversold's postgres.js facade knows: interpolate values in a template, sql\`… \${value}\``,
  );
}

function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && Array.isArray((value as unknown as { raw?: unknown }).raw);
}

function resultOf(
  done: { rows: Record<string, unknown>[]; rowCount: number | null },
  text: string,
): PostgresJsResult {
  const command = (done as { command?: string }).command ?? /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '';
  return Object.assign([...done.rows], { count: done.rowCount ?? done.rows.length, command });
}

function postgresError(error: unknown, text: string, params: readonly unknown[], site: Error): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof code !== 'string' || error.name !== 'StatementError') return error;
  const wrapped = new PostgresError(error as Error & { code: string }, text, params);
  // Point at the strategy's line that built the query, as postgres.js does.
  const frames = (site.stack ?? '')
    .split('\n')
    .slice(1)
    .filter((frame) => !/postgres-js-(facade|template)\.[jt]s/.test(frame));
  wrapped.stack = [`${wrapped.name}: ${wrapped.message}`, ...frames].join('\n');
  return wrapped;
}

/**
 * Sends a statement with `site` as the caller the gate records. A postgres.js
 * query runs when awaited, in a microtask where the strategy's frame is gone:
 * the call site is the one captured where the strategy wrote the query.
 */
function sendFrom<T>(site: Error, send: () => T): T {
  return withCallerStack(site.stack ?? '', send);
}
