import type { TraceEvent } from '../harness/engine/trace.ts';

/** One row of a timeline: what one buyer did at one moment. */
export interface TimelineRow {
  readonly buyer: number;
  readonly kind: 'statement' | 'waiting' | 'resumed' | 'barrier' | 'outcome';
  /** The text shown in the buyer's column: `sql` then `note`. */
  readonly text: string;
  /** The statement, when the row shows one (shortened first when space is short). */
  readonly sql?: string;
  /** What happened to it: `→ 1 row`, `<waiting on buyer 1 …>`. */
  readonly note?: string;
}

function row(buyer: number, kind: TimelineRow['kind'], sql: string | undefined, note: string): TimelineRow {
  const text = sql ? `${sql} ${note}` : note;
  return sql ? { buyer, kind, text, sql, note } : { buyer, kind, text, note };
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
        rows.push(row(event.buyer, 'statement', event.sql, ''));
        break;
      case 'completed':
      case 'failed': {
        const result =
          event.event === 'completed'
            ? rowsText(event.rowCount)
            : `ERROR ${event.code}: ${event.message}${deadlockNote(event)}`;
        const open = pending.get(event.buyer);
        if (event.resumed || !open) {
          rows.push(row(event.buyer, 'resumed', undefined, `<… completed> ${result}`));
        } else {
          rows[open.index] = row(event.buyer, 'statement', open.sql, `→ ${result}`);
        }
        pending.delete(event.buyer);
        break;
      }
      case 'blocked': {
        const waiting = `<waiting on buyer ${event.blockedBy.join(', ')}${event.lock ? ` for ${event.lock}` : ''}>`;
        const open = pending.get(event.buyer);
        if (open && rows[open.index]?.kind === 'statement') {
          rows[open.index] = row(event.buyer, 'waiting', open.sql, waiting);
        } else {
          rows.push(row(event.buyer, 'waiting', undefined, waiting));
        }
        break;
      }
      case 'paused':
        rows.push(row(event.buyer, 'barrier', undefined, `⏸ pause '${event.label}'`));
        break;
      case 'continued':
        rows.push(row(event.buyer, 'barrier', undefined, `▶ continue '${event.label}'`));
        break;
      case 'returned':
        rows.push(row(event.buyer, 'outcome', undefined, `returned '${event.value}'`));
        break;
      case 'threw':
        rows.push(
          row(
            event.buyer,
            'outcome',
            undefined,
            `threw${event.code ? ` ${event.code}` : ''}: ${event.message}`,
          ),
        );
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
  const shorten = (text: string, room: number): string =>
    text.length > room ? `${text.slice(0, Math.max(room - 1, 0))}…` : text;
  const cell = (text: string): string => shorten(text.replace(/\s+/g, ' '), column).padEnd(column);
  // Shorten the statement, never what happened to it: when both do not fit on
  // one line, the note goes on a line of its own below the statement.
  const rowLines = (shown: TimelineRow): string[] => {
    if (!shown.sql) return [cell(shown.text)];
    const note = (shown.note ?? '').trim();
    if (!note) return [cell(shown.sql)];
    const room = column - note.length - 1;
    if (room >= 16) return [`${shorten(shown.sql, room)} ${note}`.padEnd(column)];
    return [cell(shown.sql), ...wrap(note, column - 1).map((part) => cell(` ${part}`))];
  };
  const header = `${''.padEnd(gutter)}${buyers.map((id) => cell(`buyer ${id}`)).join(' │ ')}`;
  const rule = `${''.padEnd(gutter)}${buyers.map(() => '─'.repeat(column)).join('─┼─')}`;
  const lines = [header.trimEnd(), rule];
  rows.forEach((shown, index) => {
    const own = rowLines(shown);
    own.forEach((text, line) => {
      const cells = buyers.map((id) => (id === shown.buyer ? text : cell('')));
      const number = line === 0 ? String(index + 1) : '';
      lines.push(`${number.padStart(gutter - 1)} ${cells.join(' │ ')}`.trimEnd());
    });
  });
  return lines;
}

/** Breaks text at spaces into lines of at most `width` characters (longer words are cut). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word;
    while (line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** A deadlock the harness broke: say which cycle, since PostgreSQL's detector did not pick this victim. */
function deadlockNote(event: TraceEvent): string {
  if (event.event !== 'failed' || !event.deadlock) return '';
  return ` (deadlock among buyers ${event.deadlock.join(', ')}: oversold cancelled the longest waiter, buyer ${event.buyer})`;
}
