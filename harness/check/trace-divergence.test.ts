import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../engine/trace.ts';
import { describeEvent, firstDivergence } from './trace-divergence.ts';

const sent = (buyer: number, sql: string, at?: string): TraceEvent =>
  at ? { buyer, event: 'sent', sql, at } : { buyer, event: 'sent', sql };

describe('firstDivergence', () => {
  it('finds no divergence between equal traces, whatever their call sites', () => {
    expect(firstDivergence([sent(1, 'BEGIN', '/a/x.ts:1')], [sent(1, 'BEGIN', '/b/x.ts:1')])).toBeNull();
  });

  it('names the first differing event, 1-based', () => {
    const recorded = [sent(1, 'BEGIN'), sent(2, 'BEGIN')];
    const replayed = [sent(1, 'BEGIN'), sent(1, 'COMMIT')];
    expect(firstDivergence(recorded, replayed)).toEqual({
      event: 2,
      recorded: recorded[1],
      replayed: replayed[1],
    });
    expect(describeEvent(recorded[1])).toBe('buyer 2 sent BEGIN');
  });

  it('treats a shorter trace as diverging where it ended', () => {
    const divergence = firstDivergence([sent(1, 'BEGIN')], []);
    expect(divergence?.event).toBe(1);
    expect(describeEvent(divergence?.replayed)).toBe('nothing (the run had ended)');
  });
});
