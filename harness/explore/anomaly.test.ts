import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../engine/trace.ts';
import { nameAnomaly } from './anomaly.ts';
import recorded from './fixtures/anomaly-traces.json' with { type: 'json' };

// Traces recorded from real runs: `oversold explore strategies/<name>.ts --buyers 2 --capacity 1`,
// each strategy's first counterexample (no-oversell, or no-errors for serializable-no-retry).
const traces = recorded as Record<string, { schedule: string; trace: TraceEvent[] }>;

function anomalyOf(name: string): string | null {
  const entry = traces[name];
  if (!entry) throw new Error(`no recorded trace for ${name}`);
  return nameAnomaly(entry.trace);
}

describe('nameAnomaly on traces of real runs', () => {
  it.each([
    ['naive-read-modify-write', /^lost update: buyers 1 and 2 each read events/],
    ['read-committed-transaction', /^lost update: buyers 1 and 2/],
    ['check-then-buy-later', /^lock released too early: buyer 1 locked events/],
    ['for-update-outside-transaction', /^lock released too early: buyer 1/],
    ['count-then-insert', /^write skew: buyers 1 and 2 each read tickets, events/],
    ['clamped-decrement', /^stale check: buyers 1 and 2 each checked events/],
    ['serializable-no-retry', /^an error, not a lost write: buyer 2's statement failed with SQLSTATE 40001/],
  ])('%s: %s', (name, pattern) => {
    expect(anomalyOf(name)).toMatch(pattern);
  });

  it('a serial run (one buyer after the other) shows no anomaly', () => {
    const trace = traces['read-committed-transaction']!.trace;
    const serial = [
      ...trace.filter((event) => event.buyer === 1),
      ...trace.filter((event) => event.buyer === 2),
    ]
      // Serially, buyer 2's UPDATE does not block: drop the block and the resumption mark.
      .filter((event) => event.event !== 'blocked')
      .map((event) =>
        event.event === 'completed' ? { ...event, resumed: undefined } : event,
      ) as TraceEvent[];
    expect(nameAnomaly(serial)).toBeNull();
  });
});
