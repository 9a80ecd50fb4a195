import type { BuyerRun } from './buyer-run.ts';
import { HangError, StrategyMistakeError } from './errors.ts';
import { type BuyerOutcome, oneLine } from './trace.ts';

/** Names the buyers that did not finish their step within the timeout, and what they were doing. */
export function hangError(
  runs: readonly BuyerRun[],
  cycle: readonly BuyerRun[],
  timeoutMs: number,
): HangError {
  const busy = runs.filter((run) => run.state === 'running' || run.state === 'thinking');
  const culprits = busy.length > 0 ? busy : cycle;
  const what = culprits
    .map((run) =>
      run.state === 'thinking'
        ? `buyer ${run.id} (its code between statements)`
        : `buyer ${run.id} (${run.state}: ${truncate(run.sql ?? '', 60)})`,
    )
    .join(', ');
  return new HangError(
    `${what || 'a buyer'} did not finish a step within ${timeoutMs} ms: the strategy hangs; fix it, or raise --timeout if it is only slow`,
    culprits.map((run) => run.id),
  );
}

/** No buyer can move: most often one returned with its transaction (and locks) still open. */
export function stuckError(runs: readonly BuyerRun[]): Error {
  const finished = runs.filter((run) => run.state === 'finished');
  const waiting = runs.filter((run) => run.state === 'blocked');
  const holder = waiting.flatMap((run) => run.blockedBy).find((id) => finished.some((run) => run.id === id));
  const holderRun = finished.find((run) => run.id === holder);
  if (holderRun?.outcome?.kind === 'threw') {
    return new StrategyMistakeError(
      `buyer ${holderRun.id} threw ${describeThrow(holderRun)} and left its transaction open, and buyer ${waiting[0]?.id} waits for its locks: ROLLBACK in a catch/finally before purchase() throws`,
    );
  }
  if (holder !== undefined) {
    return new StrategyMistakeError(
      `buyer ${holder} returned from purchase() with its transaction still open, and buyer ${waiting[0]?.id} waits for its locks: COMMIT or ROLLBACK before returning`,
    );
  }
  return new HangError(
    'no buyer can move and none is ready: the buyers wait on each other outside PostgreSQL',
    [],
  );
}

/** A buyer finished with its transaction open (or aborted): says how it ended, and which error if it threw. */
export function openTransactionError(run: BuyerRun): StrategyMistakeError {
  if (run.outcome?.kind === 'threw') {
    return new StrategyMistakeError(
      `buyer ${run.id} threw ${describeThrow(run)} and left its transaction open: ROLLBACK in a catch/finally before purchase() throws`,
    );
  }
  const failed = run.gate.failedStatement;
  const after = failed
    ? `, after ${describeStatement(failed)} failed with ${describeError(failed.error)}`
    : '';
  return new StrategyMistakeError(
    `buyer ${run.id} returned ${describeOutcome(run.outcome)} with its transaction still open${after}: COMMIT or ROLLBACK before purchase() returns`,
  );
}

/**
 * What a buyer threw, with the statement that failed before it: once when it
 * rethrew PostgreSQL's error, both when it threw something else.
 */
function describeThrow(run: BuyerRun): string {
  const outcome = run.outcome;
  const thrown =
    outcome?.kind === 'threw' ? describeError({ message: outcome.message, code: outcome.code }) : 'an error';
  const failed = run.gate.failedStatement;
  if (!failed) return thrown;
  const statementError = describeError(failed.error);
  return statementError === thrown
    ? `${thrown} from ${describeStatement(failed)}`
    : `${thrown} after ${describeStatement(failed)} failed with ${statementError}`;
}

/** `"division by zero" (SQLSTATE 22012)`. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : (error as { message?: unknown } | null)?.message;
  const code = (error as { code?: unknown } | null)?.code;
  const quoted = JSON.stringify(truncate(oneLine(String(message ?? error)), 200));
  return typeof code === 'string' ? `${quoted} (SQLSTATE ${code})` : quoted;
}

/** `SELECT 1 / 0 (at strategies/x.ts:12)`. */
function describeStatement(statement: { readonly sql: string; readonly at?: string }): string {
  const sql = truncate(oneLine(statement.sql), 60);
  return statement.at ? `${sql} (at ${statement.at})` : sql;
}

export function badReturnMessage(buyer: number, value: unknown): string {
  return `purchase() returned ${describe(value)} for buyer ${buyer}: return 'purchased' or 'sold-out' (throw to report an error)`;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'nothing (undefined)';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function describeOutcome(outcome: BuyerOutcome | null): string {
  if (!outcome) return 'nothing';
  return outcome.kind === 'returned' ? `'${outcome.value}'` : 'an error';
}
