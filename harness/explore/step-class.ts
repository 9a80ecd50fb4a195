import type { Step } from '../engine/interleaving.ts';

/**
 * How a step relates to the other buyers' steps.
 * - `local`: it touches only the buyer's own session, so swapping it with any
 *   step of another buyer changes nothing PostgreSQL does or answers.
 * - `shared`: everything else; dependent with every other shared step.
 */
export type StepClass = 'local' | 'shared';

/**
 * Classifies the step a ready buyer would release. `null` is a buyer parked
 * at a barrier inside SQL: releasing it lets its statement run on, so it is
 * shared. `inTransactionBlock` is whether the buyer's own earlier statements
 * left a transaction block open (see {@link transactionBlockAfter}).
 *
 * Independent (local), and why:
 * - `BEGIN` / `START TRANSACTION`, with any isolation level or access mode:
 *   PostgreSQL takes a REPEATABLE READ or SERIALIZABLE transaction's snapshot
 *   at its first statement that needs one, not at BEGIN (a transaction
 *   statement never takes a snapshot), so BEGIN's moment cannot change what
 *   anyone sees; the first statement after it is shared and its moment is explored.
 * - `SET` / `RESET` / `SHOW` of settings (SET TRANSACTION ISOLATION LEVEL too):
 *   utility statements that take no snapshot and only change this session.
 *   Not `SET TRANSACTION SNAPSHOT` (imports another transaction's snapshot) nor
 *   `SET CONSTRAINTS` (runs deferred constraint checks, which read and lock rows).
 * - a `db.pause` barrier: no SQL at all.
 * - a `SELECT` of constants and parameters only, outside a transaction block:
 *   in autocommit its snapshot ends with it. Inside a block it may be the
 *   statement that takes a REPEATABLE READ snapshot, so it is shared there.
 * Everything else is shared: any statement naming a table, locking reads,
 * writes, COMMIT/ROLLBACK (they release locks and publish writes), function
 * calls (`SELECT purchase(…)`, `pg_advisory_lock`, `nextval`), several
 * statements in one string, and anything this classifier does not recognise.
 */
export function classifyStep(step: Step | null, inTransactionBlock: boolean): StepClass {
  if (step === null) return 'shared';
  if (step.kind === 'pause') return 'local';
  const sql = normalise(step.text);
  if (sql === null) return 'shared';
  if (TRANSACTION_START.test(sql)) return 'local';
  if (/^(reset|show) [a-z_.]+$/.test(sql) || sql === 'reset all' || sql === 'show all') return 'local';
  if (/^set /.test(sql)) {
    if (/^set (session |local )?transaction snapshot/.test(sql) || /^set constraints/.test(sql))
      return 'shared';
    return /[()]/.test(sql) ? 'shared' : 'local';
  }
  if (!inTransactionBlock && CONSTANT_SELECT.test(sql)) return 'local';
  return 'shared';
}

/**
 * Whether a buyer is inside a transaction block after sending `step`,
 * from its own statements. Unsure means inside: the only use of this is to
 * keep a constant SELECT shared, so erring towards "inside" is safe.
 */
export function transactionBlockAfter(step: Step | null, inTransactionBlock: boolean): boolean {
  if (step === null || step.kind === 'pause') return inTransactionBlock;
  const sql = normalise(step.text);
  if (sql === null) return true;
  if (TRANSACTION_START.test(sql)) return true;
  if (/^(commit|end|rollback|abort)( work| transaction)?( and chain)?$/.test(sql)) {
    return sql.endsWith('and chain');
  }
  return inTransactionBlock;
}

const TRANSACTION_START =
  /^(begin( work| transaction)?|start transaction)((,)? (isolation level (serializable|repeatable read|read committed|read uncommitted)|read write|read only|not deferrable|deferrable))*$/;

const CONSTANT_SELECT =
  /^select (\$\d+|-?\d+(\.\d+)?|'[^']*'|true|false|null)(::[a-z ]+)?( as [a-z_][a-z0-9_]*)?(, ?(\$\d+|-?\d+(\.\d+)?|'[^']*'|true|false|null)(::[a-z ]+)?( as [a-z_][a-z0-9_]*)?)*$/;

/** Whether normalised SQL starts a transaction block (`BEGIN`, `START TRANSACTION`, with any modes). */
export function isTransactionStart(sql: string): boolean {
  return TRANSACTION_START.test(sql);
}

/**
 * Lower case, comments dropped, whitespace collapsed, one trailing semicolon
 * dropped; null when the text holds more than one statement (or a quote or
 * comment this does not follow), which makes the step shared.
 */
export function normalise(text: string): string | null {
  const withoutComments = text.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  if (withoutComments.includes('/*') || withoutComments.includes('$$')) return null;
  const sql = withoutComments.replace(/\s+/g, ' ').trim().replace(/;$/, '').trim().toLowerCase();
  if (sql.includes(';') || sql.includes('"')) return null;
  return sql;
}
