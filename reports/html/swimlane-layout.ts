import type { TraceEvent } from '../../harness/engine/trace.ts';

/**
 * A trace laid out for the swimlane: every item sits in a buyer's lane at a
 * row (time goes down, one row per moment). A statement that blocked gets a
 * wait span in its lane from the moment it blocked until it resumed, and one
 * arrow row per buyer holding the lock.
 */
export type SwimlaneItem =
  | {
      readonly kind: 'statement';
      readonly buyer: number;
      readonly row: number;
      readonly sql: string;
      readonly at: string | undefined;
      /** Set when the statement finished without blocking. */
      result: string | null;
      status: 'ok' | 'blocked' | 'failed';
    }
  | {
      readonly kind: 'resumed';
      readonly buyer: number;
      readonly row: number;
      readonly result: string;
      readonly failed: boolean;
    }
  | {
      readonly kind: 'wait';
      readonly buyer: number;
      readonly fromRow: number;
      /** Exclusive: the row where the statement resumed (or the end of the run). */
      toRow: number;
      readonly holders: readonly number[];
      readonly lock: string | undefined;
    }
  | {
      readonly kind: 'arrow';
      readonly row: number;
      readonly from: number;
      readonly to: number;
      readonly lock: string | undefined;
    }
  | {
      readonly kind: 'pause' | 'continue';
      readonly buyer: number;
      readonly row: number;
      readonly label: string;
    }
  | {
      readonly kind: 'outcome';
      readonly buyer: number;
      readonly row: number;
      readonly text: string;
      readonly tone: 'purchased' | 'sold-out' | 'threw';
    };

export interface SwimlaneLayout {
  readonly items: readonly SwimlaneItem[];
  readonly rows: number;
}

type StatementItem = Extract<SwimlaneItem, { kind: 'statement' }>;
type WaitItem = Extract<SwimlaneItem, { kind: 'wait' }>;

export function swimlaneLayout(trace: readonly TraceEvent[]): SwimlaneLayout {
  const items: SwimlaneItem[] = [];
  const open = new Map<number, StatementItem>();
  const waits = new Map<number, WaitItem>();
  let row = 0;
  for (const event of trace) {
    switch (event.event) {
      case 'sent': {
        const item: StatementItem = {
          kind: 'statement',
          buyer: event.buyer,
          row: row++,
          sql: event.sql,
          at: event.at,
          result: null,
          status: 'ok',
        };
        items.push(item);
        open.set(event.buyer, item);
        break;
      }
      case 'completed':
      case 'failed': {
        const failed = event.event === 'failed';
        const result = failed
          ? `ERROR ${event.code}: ${event.message}${event.deadlock ? ` (deadlock among buyers ${event.deadlock.join(', ')}: oversold cancelled buyer ${event.buyer}, the longest waiter)` : ''}`
          : rowsText(event.rowCount);
        const statement = open.get(event.buyer);
        const wait = waits.get(event.buyer);
        if (event.resumed || wait || !statement) {
          if (wait) wait.toRow = row;
          waits.delete(event.buyer);
          items.push({ kind: 'resumed', buyer: event.buyer, row: row++, result, failed });
        } else {
          statement.result = result;
          if (failed) statement.status = 'failed';
        }
        open.delete(event.buyer);
        break;
      }
      case 'blocked': {
        const statement = open.get(event.buyer);
        if (statement) statement.status = 'blocked';
        const lock = event.lock;
        if (!waits.has(event.buyer)) {
          const wait: WaitItem = {
            kind: 'wait',
            buyer: event.buyer,
            fromRow: row,
            toRow: row + 1,
            holders: event.blockedBy,
            lock,
          };
          items.push(wait);
          waits.set(event.buyer, wait);
        }
        for (const holder of event.blockedBy) {
          items.push({ kind: 'arrow', row: row++, from: event.buyer, to: holder, lock });
        }
        break;
      }
      case 'paused':
        items.push({ kind: 'pause', buyer: event.buyer, row: row++, label: event.label });
        break;
      case 'continued':
        items.push({ kind: 'continue', buyer: event.buyer, row: row++, label: event.label });
        break;
      case 'returned':
        items.push({
          kind: 'outcome',
          buyer: event.buyer,
          row: row++,
          text: `returned '${event.value}'`,
          tone: event.value === 'purchased' ? 'purchased' : 'sold-out',
        });
        break;
      case 'threw':
        items.push({
          kind: 'outcome',
          buyer: event.buyer,
          row: row++,
          text: `threw${event.code ? ` ${event.code}` : ''}: ${event.message}`,
          tone: 'threw',
        });
        break;
    }
  }
  // A buyer still blocked when the run ended waits to the bottom.
  for (const wait of waits.values()) wait.toRow = row;
  return { items, rows: row };
}

function rowsText(rowCount: number | null): string {
  if (rowCount === null) return 'ok';
  return `${rowCount} row${rowCount === 1 ? '' : 's'}`;
}
