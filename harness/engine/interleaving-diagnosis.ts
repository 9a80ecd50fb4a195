import type { BuyerRun } from './buyer-run.ts';
import { HangError, StrategyMistakeError } from './errors.ts';
import type { BuyerOutcome } from './trace.ts';

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

export function openTransactionError(run: BuyerRun): StrategyMistakeError {
  return new StrategyMistakeError(
    `buyer ${run.id} returned ${describeOutcome(run.outcome)} with its transaction still open: COMMIT or ROLLBACK before purchase() returns`,
  );
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
