import type { BuyerDb } from '../engine/buyer-gate.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import type { TicketRequest } from '../scenarios/tickets-scenario.ts';
import { BenchDb } from './bench-db.ts';
import { LoadTally } from './load-tally.ts';

/** When the buyers stop starting purchases. */
export type LoadStop =
  /** Until the timer runs out; purchases under way then still finish and count. */
  | { readonly kind: 'duration'; readonly ms: number }
  /** Until this many purchases have started, over all buyers. */
  | { readonly kind: 'purchases'; readonly total: number }
  /** Every buyer makes exactly one purchase, all sent in the same tick (a burst). */
  | { readonly kind: 'once' };

export interface LoadPlan {
  readonly sessions: readonly SqlSession[];
  readonly purchase: (db: BuyerDb, request: TicketRequest) => Promise<unknown>;
  /** The event buyer `index` (0-based) asks for: one shared event, or its own. */
  readonly eventOf: (index: number) => number;
  readonly stop: LoadStop;
  /** Longest one purchase may take before the strategy is declared hung. */
  readonly timeoutMs: number;
  /** Milliseconds, monotonic (performance.now by default). */
  readonly now?: () => number;
}

export interface LoadResult {
  readonly tally: LoadTally;
  /** From the first purchase sent to the last one finished. */
  readonly elapsedMs: number;
  /** Buyers whose purchase ran past timeoutMs; their sessions must be terminated. */
  readonly hung: readonly number[];
}

/**
 * Real, uncontrolled concurrency: every session runs purchases back to back,
 * as fast as PostgreSQL lets it, with no gate between statements. One buyer id
 * per session (index + 1), one unit per purchase.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const now = plan.now ?? (() => performance.now());
  const tally = new LoadTally();
  const started = now();
  const deadline = plan.stop.kind === 'duration' ? started + plan.stop.ms : Number.POSITIVE_INFINITY;
  let begun = 0;
  let halted = false;
  // Start time of each buyer's purchase under way (NaN when none), for the hang watchdog.
  const inFlight = plan.sessions.map(() => Number.NaN);

  const mayStart = (): boolean => {
    if (halted) return false;
    switch (plan.stop.kind) {
      case 'duration':
        return now() < deadline;
      case 'purchases':
        return begun < plan.stop.total;
      case 'once':
        return true;
    }
  };

  const buyer = async (session: SqlSession, index: number): Promise<void> => {
    const db = new BenchDb(session, tally);
    const request = { eventId: plan.eventOf(index), buyerId: index + 1, quantity: 1 };
    do {
      if (!mayStart()) return;
      begun += 1;
      db.startPurchase();
      const start = now();
      inFlight[index] = start;
      try {
        const outcome = await plan.purchase(db, request);
        tally.finished(outcome, (now() - start) * 1000);
        // A wrong return value is a broken strategy: measuring it further means nothing.
        if (tally.mistake !== null) halted = true;
      } catch (error) {
        tally.failedWith(error);
      }
      inFlight[index] = Number.NaN;
    } while (plan.stop.kind !== 'once');
  };

  const done = Promise.all(plan.sessions.map((session, index) => buyer(session, index)));
  const hung = await watchForHangs(done, inFlight, plan.timeoutMs, now);
  if (hung.length > 0) halted = true;
  const elapsedMs = now() - started;
  return { tally, elapsedMs, hung };
}

/**
 * Resolves with [] when every buyer is done, or with the buyers whose current
 * purchase has run longer than timeoutMs. The timer is a guard against a
 * strategy that never returns, not a guess at when work is done.
 */
async function watchForHangs(
  done: Promise<unknown>,
  inFlight: readonly number[],
  timeoutMs: number,
  now: () => number,
): Promise<number[]> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<number[]>((resolve) => {
    timer = setInterval(
      () => {
        const at = now();
        const late = inFlight.flatMap((start, index) => (at - start > timeoutMs ? [index + 1] : []));
        if (late.length > 0) resolve(late);
      },
      Math.max(10, Math.min(1000, timeoutMs / 4)),
    );
  });
  try {
    return await Promise.race([done.then(() => []), hung]);
  } finally {
    clearInterval(timer);
  }
}
