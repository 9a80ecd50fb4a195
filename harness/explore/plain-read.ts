import { normalise } from './step-class.ts';

/**
 * Whether `text` is a plain read: one `SELECT` from one of `tables` (base
 * tables, without row-level security), with no locking clause, no function
 * call but count, sum, min, max, avg and coalesce, no subquery, join or
 * `INTO`, and casts only to built-in number, text and boolean types.
 *
 * Two plain reads commute: neither writes, locks a row or runs user code, so
 * each sees the same rows whichever runs first (in READ COMMITTED and
 * REPEATABLE READ; SERIALIZABLE is excluded by the caller, because there the
 * order of two reads can decide which transaction gets the serialization
 * failure). Anything this does not recognise is not a plain read.
 */
export function isPlainRead(text: string, tables: ReadonlySet<string>): boolean {
  const sql = normalise(text);
  if (sql === null) return false;
  const tokens = tokenise(sql);
  if (tokens === null || tokens[0] !== 'select') return false;
  if (tokens.filter((token) => token === 'select').length !== 1) return false;
  const from = tokens.indexOf('from');
  if (from < 0 || tokens.lastIndexOf('from') !== from) return false;
  for (const [index, token] of tokens.entries()) {
    if (FORBIDDEN.has(token)) return false;
    const previous = tokens[index - 1];
    if (
      token === '(' &&
      previous !== undefined &&
      IDENTIFIER.test(previous) &&
      !BEFORE_PARENTHESIS.has(previous)
    )
      return false;
    if (previous === '::' && !CASTS.has(token)) return false;
  }
  const table = tokens[from + 1];
  if (table === undefined || !tables.has(table)) return false;
  let next = from + 2;
  if (tokens[next] === 'as') next += 1;
  const alias = tokens[next];
  if (alias !== undefined && IDENTIFIER.test(alias) && !CLAUSES.has(alias)) next += 1;
  const after = tokens[next];
  return after === undefined || CLAUSES.has(after);
}

/**
 * Whether `text` is a locking read: a plain read (above) with `FOR UPDATE`,
 * `FOR NO KEY UPDATE`, `FOR SHARE` or `FOR KEY SHARE` at its end (no NOWAIT,
 * SKIP LOCKED or OF). Besides row locks it takes nothing a later statement
 * could see: no sequence value, no function call.
 */
export function isLockingRead(text: string, tables: ReadonlySet<string>): boolean {
  const sql = normalise(text);
  if (sql === null) return false;
  const locked = /^(.*) for (update|no key update|share|key share)$/.exec(sql);
  return locked !== null && isPlainRead(locked[1]!, tables);
}

const IDENTIFIER = /^[a-z_][a-z0-9_$]*$/;

/** Words that make a SELECT more than a plain read of one table, or that this does not follow. */
const FORBIDDEN = new Set([
  'for',
  'into',
  'join',
  'union',
  'intersect',
  'except',
  'with',
  'lateral',
  'tablesample',
  'only',
  'natural',
  'cross',
  'using',
  'returning',
  'window',
  'over',
  'fetch',
  'exists',
  'nowait',
]);

/** An identifier before `(` is a function call unless it is one of these aggregates or keywords. */
const BEFORE_PARENTHESIS = new Set([
  'count',
  'sum',
  'min',
  'max',
  'avg',
  'coalesce',
  'in',
  'and',
  'or',
  'not',
  'where',
  'select',
  'distinct',
  'by',
]);

const CASTS = new Set([
  'int',
  'integer',
  'int4',
  'bigint',
  'int8',
  'smallint',
  'numeric',
  'text',
  'boolean',
  'bool',
]);

/** What may follow `FROM table [alias]`. */
const CLAUSES = new Set(['where', 'order', 'group', 'having', 'limit', 'offset']);

/** Words, numbers, parameters, strings and the few operators a plain read needs; null for anything else. */
function tokenise(sql: string): string[] | null {
  const tokens: string[] = [];
  const token = /\s*('(?:[^']|'')*'|\$\d+|\d+(?:\.\d+)?|[a-z_][a-z0-9_$]*|::|<=|>=|<>|!=|[=<>+\-*/%(),.])/y;
  let at = 0;
  while (at < sql.length) {
    token.lastIndex = at;
    const match = token.exec(sql);
    if (match === null) return sql.slice(at).trim() === '' ? tokens : null;
    tokens.push(match[1]!);
    at = token.lastIndex;
  }
  return tokens;
}
