import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactly, load, openWorkspace } from '../../test/support/run-schedule.ts';
import { openTestLab } from '../../test/support/test-lab.ts';
import { ticketsScenario } from '../scenarios/tickets-scenario.ts';
import type { Lab } from './lab.ts';
import { runCase } from './run-case.ts';
import type { TraceEvent } from './trace.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

const threeBuyers = {
  capacity: 3,
  buyers: [
    { id: 1, quantity: 1 },
    { id: 2, quantity: 1 },
    { id: 3, quantity: 1 },
  ],
};

/** What a trace says, without call sites (they name test-run paths). */
const plain = (trace: readonly TraceEvent[]) =>
  trace.map((event) => {
    const { at: _at, ...rest } = event as TraceEvent & { at?: string };
    return rest;
  });

describe('deadlocks among three buyers (regression: the victim depended on timing)', () => {
  it('picks the buyer that waited longest, and every run of the schedule gives the same trace', async () => {
    // All three take the share lock, then each UPDATE waits for the others:
    // buyer 1 first (its block is the oldest), so buyer 1 is the first victim.
    const strategy = await load('test/fixtures/strategies/share-lock-then-update.ts');
    await using workspace = await openWorkspace(lab, strategy);
    const schedule = [1, 2, 3, 1, 2, 3, 1, 2, 3];
    const traces: unknown[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      const run = await runCase({
        workspace,
        strategy,
        scenario: ticketsScenario,
        kase: threeBuyers,
        choose: exactly(schedule),
        timeoutMs: 20_000,
      });
      traces.push(plain(run.trace));
      const deadlocks = run.trace.filter(
        (event): event is Extract<TraceEvent, { event: 'failed' }> =>
          event.event === 'failed' && event.code === '40P01',
      );
      expect(deadlocks[0]).toMatchObject({ buyer: 1, message: 'deadlock detected', deadlock: [1, 2] });
      expect(run.outcomes.get(1)).toMatchObject({ kind: 'threw', code: '40P01' });
    }
    for (const trace of traces) expect(trace).toEqual(traces[0]);
  });

  it('says in the trace which cycle the cancelled statement broke (two buyers, replayed the same way)', async () => {
    const strategy = await load('test/fixtures/strategies/share-lock-then-update.ts');
    await using workspace = await openWorkspace(lab, strategy);
    const runs = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      runs.push(
        await runCase({
          workspace,
          strategy,
          scenario: ticketsScenario,
          kase: { capacity: 2, buyers: threeBuyers.buyers.slice(0, 2) },
          choose: exactly([1, 2, 1, 2, 1, 2]),
          timeoutMs: 20_000,
        }),
      );
    }
    for (const run of runs) {
      // Buyer 1's UPDATE blocked first, so buyer 1 is the victim; buyer 2 then commits.
      expect(run.trace.find((event) => event.event === 'failed')).toMatchObject({
        buyer: 1,
        code: '40P01',
        deadlock: [1, 2],
      });
      expect(run.outcomes.get(2)).toEqual({ kind: 'returned', value: 'purchased' });
      expect(plain(run.trace)).toEqual(plain(runs[0]!.trace));
    }
  });
});
