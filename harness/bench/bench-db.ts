import type { BuyerDb } from '../engine/buyer-gate.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import type { LoadTally } from './load-tally.ts';

/** `BEGIN`, `BEGIN ISOLATION LEVEL …`, `START TRANSACTION`, also after `;` in a multi-statement text. */
const beginPattern = /(?:^|;)\s*(?:BEGIN|START\s+TRANSACTION)\b/gi;

/** Distinct statement texts one session prepares; beyond that they run unprepared. */
const PREPARED_PER_SESSION = 64;
const preparedBySession = new WeakMap<SqlSession, Map<string, string>>();

/**
 * The `db` a strategy gets in a benchmark: statements go straight to the
 * buyer's session, with no gate and no scheduler, and `pause()` does nothing.
 *
 * It counts what can be seen from outside the strategy: every statement that
 * fails, by SQLSTATE (including the ones the strategy catches and retries),
 * and every `BEGIN` after the first within one purchase, which is a retry (the
 * strategy started its transaction over). Retries inside a SQL function are
 * invisible from here.
 *
 * Statements with parameters are prepared once per session under a generated
 * name (as postgres.js, pgx and JDBC do by default), so that PostgreSQL does
 * not parse and plan them again on every purchase: on a small machine that
 * CPU is taken from the server under test.
 */
export class BenchDb implements BuyerDb {
  readonly #session: SqlSession;
  readonly #tally: LoadTally;
  readonly #prepared: Map<string, string>;
  #begins = 0;

  constructor(session: SqlSession, tally: LoadTally) {
    this.#session = session;
    this.#tally = tally;
    // The driver remembers a name's text per connection: keep one map per session, across levels.
    let prepared = preparedBySession.get(session);
    if (!prepared) {
      prepared = new Map();
      preparedBySession.set(session, prepared);
    }
    this.#prepared = prepared;
  }

  /** Call before each purchase: retries are counted within one purchase. */
  startPurchase(): void {
    this.#begins = 0;
  }

  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }> {
    if (typeof text !== 'string') {
      return Promise.reject(
        new TypeError(`db.query() needs SQL text as its first argument, got ${typeof text}`),
      );
    }
    if (params !== undefined && !Array.isArray(params)) {
      return Promise.reject(
        new TypeError('db.query() takes its parameters as an array: db.query(sql, [a, b])'),
      );
    }
    for (const _ of text.matchAll(beginPattern)) {
      this.#begins += 1;
      if (this.#begins > 1) this.#tally.retries += 1;
    }
    const name = params !== undefined && params.length > 0 ? this.#nameFor(text) : undefined;
    const sent = name
      ? this.#session.query(text, params ?? [], { prepare: name })
      : this.#session.query(text, params ?? []);
    return sent.then(
      (result) => result as unknown as { rows: Row[]; rowCount: number | null },
      (error: unknown) => {
        this.#tally.statementError(sqlStateOf(error));
        throw error;
      },
    );
  }

  #nameFor(text: string): string | undefined {
    const known = this.#prepared.get(text);
    if (known !== undefined || this.#prepared.size >= PREPARED_PER_SESSION) return known;
    const name = `oversold_bench_${this.#prepared.size + 1}`;
    this.#prepared.set(text, name);
    return name;
  }

  /** Barriers only mean something under the scheduler; a benchmark runs free. */
  async pause(_label: string): Promise<void> {}
}

/** The SQLSTATE of a failed statement, or `no-sqlstate` for anything else. */
export function sqlStateOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : 'no-sqlstate';
}
