import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../harness/engine/trace.ts';
import { renderTimeline, timelineRows } from './timeline.ts';

const trace: TraceEvent[] = [
  { buyer: 1, event: 'sent', sql: 'BEGIN' },
  { buyer: 1, event: 'completed', sql: 'BEGIN', rowCount: null },
  { buyer: 1, event: 'sent', sql: 'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE' },
  {
    buyer: 1,
    event: 'completed',
    sql: 'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
    rowCount: 1,
  },
  { buyer: 2, event: 'sent', sql: 'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE' },
  {
    buyer: 2,
    event: 'blocked',
    sql: 'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
    blockedBy: [1],
    lock: 'events row (event_id=101)',
  },
  { buyer: 1, event: 'sent', sql: 'COMMIT' },
  { buyer: 1, event: 'completed', sql: 'COMMIT', rowCount: null },
  { buyer: 1, event: 'returned', value: 'purchased' },
  {
    buyer: 2,
    event: 'completed',
    sql: 'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
    rowCount: 1,
    resumed: true,
  },
  { buyer: 2, event: 'sent', sql: 'UPDATE events SET remaining = remaining - 1' },
  {
    buyer: 2,
    event: 'failed',
    sql: 'UPDATE events SET remaining = remaining - 1',
    code: '40001',
    message: 'could not serialize access',
  },
  { buyer: 2, event: 'threw', message: 'could not serialize access', code: '40001' },
];

describe('timeline', () => {
  it('folds a statement and its result into one row, and a wait into waiting + completed rows', () => {
    expect(timelineRows(trace).map((row) => [row.buyer, row.text])).toEqual([
      [1, 'BEGIN → ok'],
      [1, 'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE → 1 row'],
      [
        2,
        'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE <waiting on buyer 1 for events row (event_id=101)>',
      ],
      [1, 'COMMIT → ok'],
      [1, "returned 'purchased'"],
      [2, '<… completed> 1 row'],
      [2, 'UPDATE events SET remaining = remaining - 1 → ERROR 40001: could not serialize access'],
      [2, 'threw 40001: could not serialize access'],
    ]);
  });

  it('draws one column per buyer within the width, cutting statements but never the note', () => {
    for (const width of [60, 80, 120, 200]) {
      const lines = renderTimeline(trace, [1, 2], width);
      expect(lines[0]).toMatch(/^ +buyer 1 +│ buyer 2$/);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(Math.max(width, 4 + 2 * 27));
      const buyer2 = lines.map((line) => line.split('│')[1]?.trim() ?? '').join(' ');
      expect(buyer2).toContain('<waiting on buyer 1 for events row (event_id=101)>');
      expect(lines.join('\n')).toContain('<… completed> 1 row');
    }
    const narrow = renderTimeline(trace, [1, 2], 80);
    const waiting = narrow.findIndex((line) => line.includes('<waiting'));
    expect(narrow[waiting]!.indexOf('<waiting')).toBeGreaterThan(narrow[waiting]!.indexOf('│'));
  });
});
