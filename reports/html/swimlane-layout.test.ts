import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../harness/engine/trace.ts';
import { swimlaneLayout } from './swimlane-layout.ts';

const update = 'UPDATE events SET remaining = remaining - 1 WHERE event_id = $1';

// The shape of a real trace (test/fixtures/reports/strategies/stale-subquery-update.ts):
// buyer 1's UPDATE blocks on buyer 2's row lock and completes after buyer 2 commits.
const trace: TraceEvent[] = [
  { buyer: 2, event: 'sent', sql: 'BEGIN' },
  { buyer: 2, event: 'completed', sql: 'BEGIN', rowCount: null },
  { buyer: 2, event: 'sent', sql: update },
  { buyer: 2, event: 'completed', sql: update, rowCount: 1 },
  { buyer: 1, event: 'sent', sql: update },
  { buyer: 1, event: 'blocked', sql: update, blockedBy: [2], lock: 'events row (event_id=101)' },
  { buyer: 2, event: 'paused', label: 'after-update' },
  { buyer: 2, event: 'sent', sql: 'COMMIT' },
  { buyer: 2, event: 'completed', sql: 'COMMIT', rowCount: null },
  { buyer: 2, event: 'returned', value: 'purchased' },
  { buyer: 1, event: 'completed', sql: update, rowCount: 1, resumed: true },
  { buyer: 1, event: 'returned', value: 'purchased' },
];

describe('swimlaneLayout', () => {
  it('puts a statement and its result on one row, time going down', () => {
    const { items } = swimlaneLayout(trace);
    expect(items.slice(0, 2)).toMatchObject([
      { kind: 'statement', buyer: 2, row: 0, sql: 'BEGIN', result: 'ok', status: 'ok' },
      { kind: 'statement', buyer: 2, row: 1, sql: update, result: '1 row', status: 'ok' },
    ]);
  });

  it('marks a blocked statement, spans its wait to the row where it resumed, and points at the holder', () => {
    const { items, rows } = swimlaneLayout(trace);
    const blocked = items.find((item) => item.kind === 'statement' && item.buyer === 1);
    expect(blocked).toMatchObject({ row: 2, status: 'blocked', result: null });
    const arrow = items.find((item) => item.kind === 'arrow');
    expect(arrow).toEqual({ kind: 'arrow', row: 3, from: 1, to: 2, lock: 'events row (event_id=101)' });
    const resumed = items.find((item) => item.kind === 'resumed');
    expect(resumed).toEqual({ kind: 'resumed', buyer: 1, row: 7, result: '1 row', failed: false });
    const wait = items.find((item) => item.kind === 'wait');
    expect(wait).toMatchObject({ buyer: 1, fromRow: 3, toRow: 7, holders: [2] });
    expect(items.find((item) => item.kind === 'pause')).toEqual({
      kind: 'pause',
      buyer: 2,
      row: 4,
      label: 'after-update',
    });
    expect(rows).toBe(9);
  });

  it('keeps a wait open to the end when the run ended with the buyer still blocked', () => {
    const { items, rows } = swimlaneLayout(trace.slice(0, 6));
    expect(items.find((item) => item.kind === 'wait')).toMatchObject({ fromRow: 3, toRow: rows });
  });
});
