import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCaseRanges } from '../../properties/case-arbitrary.ts';
import { exactly, load, openWorkspace, runSchedule, twoBuyers } from '../../test/support/run-schedule.ts';
import { openTestLab } from '../../test/support/test-lab.ts';
import { checkStrategy } from '../check/check-strategy.ts';
import { ticketsScenario } from '../scenarios/tickets-scenario.ts';
import { HangError, StrategyMistakeError } from './errors.ts';
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

const fixture = (name: string) => `test/fixtures/strategies/${name}`;
const events = (trace: readonly TraceEvent[], buyer: number) =>
  trace.filter((event) => event.buyer === buyer).map((event) => event.event);

describe('forced interleavings on PostgreSQL', () => {
  it('runs the naive strategy in the schedule that oversells', async () => {
    const strategy = await load('strategies/naive-read-modify-write.ts');
    await using workspace = await openWorkspace(lab, strategy);
    const run = await runSchedule(workspace, strategy, twoBuyers(), [1, 2, 1, 1, 2, 2]);
    expect(run.decisions).toEqual([1, 2, 1, 1, 2, 2]);
    expect(run.facts.measurement.stock[0]).toMatchObject({ capacity: 1, sold: 2 });
    expect(run.trace.filter((event) => event.event === 'returned')).toEqual([
      { buyer: 1, event: 'returned', value: 'purchased' },
      { buyer: 2, event: 'returned', value: 'purchased' },
    ]);
  });

  it("with FOR UPDATE, buyer 2's locking read waits behind buyer 1, then resumes and sees the sale", async () => {
    const strategy = await load('strategies/select-for-update.ts');
    await using workspace = await openWorkspace(lab, strategy);
    // 1 BEGIN, 1 SELECT … FOR UPDATE, 2 BEGIN, 2 SELECT … FOR UPDATE (blocks), then buyer 1 finishes.
    const run = await runSchedule(workspace, strategy, twoBuyers(), [1, 1, 2, 2, 1, 1, 1, 2]);
    const blocked = run.trace.find((event) => event.event === 'blocked');
    expect(blocked).toMatchObject({ buyer: 2, blockedBy: [1], lock: 'events row (event_id=101)' });
    expect(blocked && 'sql' in blocked ? blocked.sql : '').toContain('FOR UPDATE');
    const blockedAt = run.trace.indexOf(blocked!);
    const commit = run.trace.findIndex(
      (event) => event.buyer === 1 && event.event === 'completed' && event.sql === 'COMMIT',
    );
    const resumed = run.trace.findIndex(
      (event) => event.buyer === 2 && event.event === 'completed' && event.resumed,
    );
    expect(blockedAt).toBeLessThan(commit);
    expect(commit).toBeLessThan(resumed);
    expect(run.outcomes.get(1)).toEqual({ kind: 'returned', value: 'purchased' });
    expect(run.outcomes.get(2)).toEqual({ kind: 'returned', value: 'sold-out' });
    expect(run.facts.measurement.stock[0]).toMatchObject({ sold: 1 });
  });

  it('records a deadlock between share locks as one buyer’s 40P01, without hanging', async () => {
    const strategy = await load(fixture('share-lock-then-update.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    // Both take FOR SHARE, then buyer 1's UPDATE waits for buyer 2, and buyer 2's for buyer 1.
    const run = await runSchedule(workspace, strategy, twoBuyers(2), [1, 2, 1, 2, 1, 2], 10_000);
    const failures = run.trace.filter((event) => event.event === 'failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: '40P01' });
    const victim = failures[0]!.buyer;
    const survivor = victim === 1 ? 2 : 1;
    expect(run.outcomes.get(victim)).toMatchObject({ kind: 'threw', code: '40P01' });
    expect(run.outcomes.get(survivor)).toEqual({ kind: 'returned', value: 'purchased' });
    expect(run.trace.some((event) => event.event === 'blocked' && event.buyer === survivor)).toBe(true);
  });

  it('finds the UPDATE … FROM (subquery) oversell, which needs a blocked, re-checked UPDATE', async () => {
    const strategy = await load(fixture('update-from-subquery.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    // Serial order: correct.
    const serial = await runSchedule(workspace, strategy, twoBuyers(), [1, 1, 1, 1, 2, 2]);
    expect(serial.facts.measurement.stock[0]!.sold).toBe(1);
    // Buyer 2's UPDATE starts while buyer 1 holds the row, so it blocks and is re-checked.
    const race = await runSchedule(workspace, strategy, twoBuyers(), [1, 1, 2, 2, 1, 1, 2, 2]);
    expect(race.trace.some((event) => event.event === 'blocked' && event.buyer === 2)).toBe(true);
    expect(race.facts.measurement.stock[0]!.sold).toBe(2);

    const report = await checkStrategy(lab, strategy, {
      runs: 100,
      seed: 7,
      ranges: defaultCaseRanges,
      properties: ['no-oversell'],
      timeoutMs: 10_000,
    });
    const example = report.properties[0]!.counterexample!;
    expect(report.properties[0]!.passed).toBe(false);
    expect(example.trace.some((event) => event.event === 'blocked')).toBe(true);
    expect(example.sold).toBeGreaterThan(example.capacity);
  });

  it('interleaves inside a PL/pgSQL function at oversold.pause, and catches its oversell', async () => {
    const paused = await load(fixture('plpgsql-read-pause-write.sql'));
    await using workspace = await openWorkspace(lab, paused);
    const run = await runSchedule(workspace, paused, twoBuyers(), [1, 2, 1, 2]);
    expect(events(run.trace, 1)).toEqual(['sent', 'paused', 'continued', 'completed', 'returned']);
    expect(run.trace.find((event) => event.event === 'paused')).toMatchObject({ label: 'after read' });
    expect(run.facts.measurement.stock[0]!.sold).toBe(2);

    const report = await checkStrategy(lab, paused, {
      runs: 100,
      seed: 3,
      ranges: defaultCaseRanges,
      properties: ['no-oversell'],
      timeoutMs: 10_000,
    });
    expect(report.properties[0]!.passed).toBe(false);
    expect(report.properties[0]!.counterexample!.buyers).toHaveLength(2);
  });

  it('treats the same PL/pgSQL without a pause as one step per buyer', async () => {
    const plain = await load(fixture('plpgsql-read-write.sql'));
    await using workspace = await openWorkspace(lab, plain);
    const run = await runSchedule(workspace, plain, twoBuyers(), [2, 1]);
    expect(run.decisions).toEqual([2, 1]);
    expect(events(run.trace, 1)).toEqual(['sent', 'completed', 'returned']);
    expect(run.facts.measurement.stock[0]!.sold).toBe(1);
  });

  it('parks a TypeScript buyer at db.pause until the schedule releases it', async () => {
    const strategy = await load(fixture('ts-pause.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    const run = await runSchedule(workspace, strategy, twoBuyers(), [1, 2, 1, 2]);
    expect(run.trace.filter((event) => event.event === 'paused').map((event) => event.buyer)).toEqual([1, 2]);
    expect(run.facts.measurement.stock[0]!.sold).toBe(2);
  });

  it('gives identical traces when one schedule runs 20 times', async () => {
    const strategy = await load('strategies/serializable-retry.ts');
    await using workspace = await openWorkspace(lab, strategy);
    const kase = {
      capacity: 2,
      buyers: [
        { id: 1, quantity: 1 },
        { id: 2, quantity: 1 },
        { id: 3, quantity: 1 },
      ],
    };
    // Round-robin among whoever is ready: blocks, serialization failures and retries.
    const first = await runCase({
      workspace,
      strategy,
      scenario: ticketsScenario,
      kase,
      choose: (index, ready) => ready[index % ready.length]!,
      timeoutMs: 10_000,
    });
    expect(first.trace.some((event) => event.event === 'blocked' || event.event === 'failed')).toBe(true);
    for (let attempt = 0; attempt < 19; attempt++) {
      const again = await runSchedule(workspace, strategy, kase, first.decisions);
      expect(again.trace).toEqual(first.trace);
      expect(again.facts.measurement).toEqual(first.facts.measurement);
    }
  });

  it('fails a buyer that outlives --timeout as hung, and the workspace still works afterwards', async () => {
    const strategy = await load(fixture('never-returns.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    await expect(runSchedule(workspace, strategy, twoBuyers(), [1], 300)).rejects.toThrow(HangError);
    const second = await runSchedule(workspace, strategy, twoBuyers(), [1], 300).catch(
      (error: unknown) => error,
    );
    expect(second).toBeInstanceOf(HangError);
    expect((second as Error).message).toMatch(
      /buyer 1 \(running: SELECT pg_sleep\(3600\)\) did not finish a step within 300 ms/,
    );
  });

  it('fails a buyer that loops forever (every step quick) after the decision limit', async () => {
    const strategy = await load(fixture('loops-forever.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    const error = await runCase({
      workspace,
      strategy,
      scenario: ticketsScenario,
      kase: twoBuyers(),
      choose: (_index, ready) => ready[0]!,
      timeoutMs: 10_000,
      maxDecisions: 200,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HangError);
    expect((error as Error).message).toMatch(/took 200 steps without all finishing/);
  });

  it('names a strategy that returns with its transaction open', async () => {
    const strategy = await load(fixture('leaves-transaction-open.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    const error = await runSchedule(workspace, strategy, twoBuyers(), [1, 1, 1]).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StrategyMistakeError);
    expect((error as Error).message).toMatch(/transaction still open/);
  });

  it('refuses a schedule that names a buyer who cannot move', async () => {
    const strategy = await load('strategies/select-for-update.ts');
    await using workspace = await openWorkspace(lab, strategy);
    // After 1 BEGIN, 1 SELECT FOR UPDATE, 2 BEGIN, 2 SELECT (blocked), buyer 2 cannot move.
    await expect(runSchedule(workspace, strategy, twoBuyers(), [1, 1, 2, 2, 2])).rejects.toThrow(
      /buyer 2 is not ready/,
    );
    // The workspace recovers for the next run.
    const run = await runSchedule(workspace, strategy, twoBuyers(), []);
    expect(run.facts.measurement.stock[0]!.sold).toBe(1);
    expect(exactly([])(0, [1, 2])).toBe(1);
  });
});
