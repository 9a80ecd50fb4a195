import type { TraceEvent } from '../harness/engine/trace.ts';

/** One row of a timeline: what one buyer did at one moment. */
export interface TimelineRow {
  readonly buyer: number;
  readonly kind: 'statement' | 'waiting' | 'resumed' | 'barrier' | 'outcome';
  /** The text shown in the buyer's column. */
  readonly text: string;
}

/**
 * Folds a trace into rows the way PostgreSQL's isolation tester prints them:
 * a statement and its result on one row; a statement that blocked shows
 * `<waiting …>`, and its later completion `<… completed>` on a row of its own.
 */
export function timelineRows(trace: readonly TraceEvent[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const pending = new Map<number, { sql: string; index: number }>();
  for (const event of trace) {
    switch (event.event) {
      case 'sent':
        pending.set(event.buyer, { sql: event.sql, index: rows.length });
        rows.push({ buyer: event.buyer, kind: 'statement', text: event.sql });
        break;
      case 'completed':
      case 'failed': {
        const result =
          event.event === 'completed' ? rowsText(event.rowCount) : `ERROR ${event.code}: ${event.message}`;
        const open = pending.get(event.buyer);
        if (event.resumed || !open) {
          rows.push({ buyer: event.buyer, kind: 'resumed', text: `<… completed> ${result}` });
        } else {
          rows[open.index] = { buyer: event.buyer, kind: 'statement', text: `${open.sql} → ${result}` };
        }
        pending.delete(event.buyer);
        break;
      }
      case 'blocked': {
        const waiting = `<waiting on buyer ${event.blockedBy.join(', ')}>`;
        const open = pending.get(event.buyer);
        if (open && rows[open.index]?.kind === 'statement' && !rows[open.index]!.text.includes('<waiting')) {
          rows[open.index] = { buyer: event.buyer, kind: 'waiting', text: `${open.sql} ${waiting}` };
        } else {
          rows.push({ buyer: event.buyer, kind: 'waiting', text: waiting });
        }
        break;
      }
      case 'paused':
        rows.push({ buyer: event.buyer, kind: 'barrier', text: `⏸ pause '${event.label}'` });
        break;
      case 'continued':
        rows.push({ buyer: event.buyer, kind: 'barrier', text: `▶ continue '${event.label}'` });
        break;
      case 'returned':
        rows.push({ buyer: event.buyer, kind: 'outcome', text: `returned '${event.value}'` });
        break;
      case 'threw':
        rows.push({
          buyer: event.buyer,
          kind: 'outcome',
          text: `threw${event.code ? ` ${event.code}` : ''}: ${event.message}`,
        });
        break;
    }
  }
  return rows;
}

function rowsText(rowCount: number | null): string {
  if (rowCount === null) return 'ok';
  return `${rowCount} row${rowCount === 1 ? '' : 's'}`;
}

/**
 * Renders rows as one column per buyer, time going down, within `width`
 * characters; long statements are cut with an ellipsis.
 */
export function renderTimeline(
  trace: readonly TraceEvent[],
  buyers: readonly number[],
  width = 120,
): string[] {
  const rows = timelineRows(trace);
  const gutter = 4;
  const column = Math.max(24, Math.floor((width - gutter) / Math.max(buyers.length, 1)) - 3);
  const cell = (text: string): string => {
    const flat = text.replace(/\s+/g, ' ');
    return (flat.length > column ? `${flat.slice(0, column - 1)}…` : flat).padEnd(column);
  };
  const header = `${''.padEnd(gutter)}${buyers.map((id) => cell(`buyer ${id}`)).join(' │ ')}`;
  const rule = `${''.padEnd(gutter)}${buyers.map(() => '─'.repeat(column)).join('─┼─')}`;
  const lines = [header.trimEnd(), rule];
  rows.forEach((row, index) => {
    const cells = buyers.map((id) => (id === row.buyer ? cell(row.text) : cell('')));
    lines.push(`${String(index + 1).padStart(gutter - 1)} ${cells.join(' │ ')}`.trimEnd());
  });
  return lines;
}
