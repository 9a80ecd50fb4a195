/** One thing that happened to one buyer during an interleaving. */
export type TraceEvent =
  /** The schedule released the buyer's statement; it was sent to PostgreSQL. */
  | { buyer: number; event: 'sent'; sql: string; at?: string }
  /** The statement finished; `resumed` when it had been blocked first. */
  | { buyer: number; event: 'completed'; sql: string; rowCount: number | null; resumed?: true }
  /** The statement waits inside PostgreSQL for a lock held by these buyers. */
  | { buyer: number; event: 'blocked'; sql: string; blockedBy: number[]; lock?: string }
  /**
   * The statement failed with this SQLSTATE. `deadlock` lists the buyers of
   * the wait cycle this statement was cancelled to break (reported as 40P01).
   */
  | {
      buyer: number;
      event: 'failed';
      sql: string;
      code: string;
      message: string;
      resumed?: true;
      deadlock?: number[];
    }
  /** The buyer reached a barrier (`db.pause` or `oversold.pause` inside SQL). */
  | { buyer: number; event: 'paused'; label: string; sql?: string; at?: string }
  /** The schedule released the buyer from its barrier. */
  | { buyer: number; event: 'continued'; label: string }
  /** purchase() returned. */
  | { buyer: number; event: 'returned'; value: string }
  /** purchase() threw. */
  | { buyer: number; event: 'threw'; message: string; code?: string };

export type BuyerOutcome =
  | { kind: 'returned'; value: 'purchased' | 'sold-out' }
  | { kind: 'threw'; message: string; code?: string };

/** Collapses whitespace so SQL fits on one line of a report. */
export function oneLine(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

/** Longest message a report keeps of anything a strategy produced. */
export const MESSAGE_LIMIT = 4096;

/**
 * Keeps the start of a text, saying how many characters were cut, in at most
 * `limit` characters in all: bounding it again at the same limit (a child's
 * message, then the report's) keeps it whole, and the count stays true.
 */
export function boundText(text: string, limit = MESSAGE_LIMIT): string {
  if (text.length <= limit) return text;
  const kept = Math.max(limit - 48, 0);
  return `${text.slice(0, kept)}… (${text.length - kept} more characters cut)`;
}
