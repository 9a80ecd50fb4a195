import { describe, expect, it } from 'vitest';
import type { Step } from '../engine/interleaving.ts';
import type { FollowerSettings } from './path-follower.ts';
import { search } from './search.ts';

// The search on a model of buyers whose steps never block and always answer
// the same: each buyer sends its statements in order, whatever the schedule.

const query = (text: string): Step => ({ kind: 'query', text, params: [] });
const READ = 'SELECT remaining FROM events WHERE event_id = $1';
const WRITE = 'UPDATE events SET remaining = remaining - 1 WHERE event_id = $1';

const facts = { tables: new Set(['events', 'tickets']), defaultIsolation: 'read committed' };

async function schedules(
  programs: readonly (readonly string[])[],
  settings: Partial<FollowerSettings> & { jobs?: number } = {},
): Promise<{ runs: string[]; pruned: number }> {
  const runs: string[] = [];
  const result = await search({
    reduction: true,
    sessions: facts,
    interchangeable: new Map(),
    preemptionBound: null,
    maxInterleavings: null,
    deadline: null,
    now: () => 0,
    enough: () => false,
    ...settings,
    jobs: Array.from({ length: settings.jobs ?? 1 }, () => async (follower) => {
      const next = programs.map(() => 0);
      const order: string[] = [];
      for (let index = 0; next.some((at, buyer) => at < programs[buyer]!.length); index++) {
        const ready = programs.flatMap((program, buyer) =>
          next[buyer]! < program.length ? [buyer + 1] : [],
        );
        const steps = ready.map((id) => query(programs[id - 1]![next[id - 1]!]!));
        const id = follower.choose(index, ready, steps);
        order.push(`${id}${programs[id - 1]![next[id - 1]!] === READ ? 'r' : 'w'}`);
        next[id - 1]! += 1;
      }
      runs.push(order.join(' '));
    }),
  });
  return { runs: runs.sort(), pruned: result.pruned };
}

/** Orders that differ only in swapping adjacent reads of different buyers are one trace; its canonical form. */
function trace(run: string): string {
  const steps = run.split(' ');
  for (let sorted = false; !sorted; ) {
    sorted = true;
    for (let at = 0; at + 1 < steps.length; at++) {
      const [a, b] = [steps[at]!, steps[at + 1]!];
      if (a.endsWith('r') && b.endsWith('r') && a[0]! > b[0]!) {
        [steps[at], steps[at + 1]] = [b, a];
        sorted = false;
      }
    }
  }
  return steps.join(' ');
}

describe('the search with sleep sets', () => {
  it('runs one order of buyers that only read (brute force runs all 6)', async () => {
    const programs = [
      [READ, READ],
      [READ, READ],
    ];
    const reduced = await schedules(programs);
    expect(new Set(reduced.runs.map(trace)).size).toBe(1);
    expect((await schedules(programs, { reduction: false })).runs).toHaveLength(6);
  });

  it('runs every order of the writes, and each trace of read-then-write buyers exactly once', async () => {
    const programs = [
      [READ, WRITE],
      [READ, WRITE],
    ];
    const brute = await schedules(programs, { reduction: false });
    const reduced = await schedules(programs);
    expect(new Set(reduced.runs.map(trace))).toEqual(new Set(brute.runs.map(trace)));
    expect(reduced.runs.map(trace)).toHaveLength(new Set(reduced.runs.map(trace)).size);
    expect(reduced.runs.length).toBeLessThan(brute.runs.length);
  });

  it('with three buyers reaches every trace brute force reaches', async () => {
    const programs = [
      [READ, WRITE],
      [READ, READ, WRITE],
      [WRITE, READ],
    ];
    const brute = await schedules(programs, { reduction: false });
    const reduced = await schedules(programs);
    expect(new Set(reduced.runs.map(trace))).toEqual(new Set(brute.runs.map(trace)));
    expect(reduced.runs.length).toBeLessThan(brute.runs.length);
  });

  it('keeps no sleep sets in a SERIALIZABLE session or without what the server said', async () => {
    const programs = [
      [READ, READ],
      [READ, READ],
    ];
    const serializable = await schedules(programs, {
      sessions: { ...facts, defaultIsolation: 'serializable' },
    });
    expect(serializable.runs).toHaveLength(6);
    expect((await schedules(programs, { sessions: null })).runs).toHaveLength(6);
  });

  it('runs the same orders whatever the number of jobs', async () => {
    const programs = [
      [READ, WRITE],
      [READ, READ, WRITE],
      [WRITE, READ],
    ];
    expect((await schedules(programs, { jobs: 3 })).runs).toEqual((await schedules(programs)).runs);
  });

  it('with a row lock: a blocked locking read runs at its first position while the holder keeps the lock', async () => {
    const purchase = [BEGIN, LOCK, WRITE, WRITE, COMMIT];
    for (const buyers of [2, 3]) {
      const programs = Array.from({ length: buyers }, () => purchase);
      const brute = await lockRuns(programs, { reduction: false });
      const reduced = await lockRuns(programs);
      expect(new Set(reduced.map(observed))).toEqual(new Set(brute.map(observed)));
      expect(reduced.length).toBeLessThan(brute.length);
      expect(await lockRuns(programs, { jobs: 3 })).toEqual(reduced);
    }
    // Two buyers: who locks first, and whether the other asks before or after the commit.
    expect(await lockRuns([purchase, purchase])).toHaveLength(4);
  });

  it('with a row lock: a read that does not block at first hands its later positions on', async () => {
    // Buyer 1 takes the lock only at its second statement: buyer 2's read blocks at some positions only.
    const programs = [
      [BEGIN, WRITE, LOCK, WRITE, COMMIT],
      [BEGIN, LOCK, COMMIT],
    ];
    const brute = await lockRuns(programs, { reduction: false });
    const reduced = await lockRuns(programs);
    expect(new Set(reduced.map(observed))).toEqual(new Set(brute.map(observed)));
  });
});

const BEGIN = 'BEGIN';
const LOCK = 'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE';
const COMMIT = 'COMMIT';

/**
 * The search on buyers sharing one row lock: LOCK takes it or waits for it
 * (its buyer is then neither ready nor finished), COMMIT hands it to the
 * first waiter. Each run is written as its releases, `*` marking one that waited.
 */
async function lockRuns(
  programs: readonly (readonly string[])[],
  settings: Partial<FollowerSettings> & { jobs?: number } = {},
): Promise<string[]> {
  const runs: string[] = [];
  await search({
    reduction: true,
    sessions: facts,
    reportsFinishedBuyers: true,
    interchangeable: new Map(),
    preemptionBound: null,
    maxInterleavings: null,
    deadline: null,
    now: () => 0,
    enough: () => false,
    ...settings,
    jobs: Array.from({ length: settings.jobs ?? 1 }, () => async (follower) => {
      const next = programs.map(() => 0);
      const waiting: number[] = [];
      let holder: number | null = null;
      const order: string[] = [];
      const advance = (id: number) => {
        next[id - 1]! += 1;
        if (next[id - 1] === programs[id - 1]!.length) follower.buyerFinished(id);
      };
      for (let index = 0; ; index++) {
        const ready = programs.flatMap((program, at) =>
          next[at]! < program.length && !waiting.includes(at + 1) ? [at + 1] : [],
        );
        if (ready.length === 0) break;
        const id = follower.choose(
          index,
          ready,
          ready.map((buyer) => query(programs[buyer - 1]![next[buyer - 1]!]!)),
        );
        const text = programs[id - 1]![next[id - 1]!]!;
        if (text === LOCK && holder !== null && holder !== id) {
          waiting.push(id);
          order.push(`${id}L*`);
          continue;
        }
        if (text === LOCK) holder = id;
        order.push(`${id}${text === LOCK ? 'L' : text === COMMIT ? 'C' : text === BEGIN ? 'B' : 'W'}`);
        advance(id);
        if (text === COMMIT && holder === id) {
          holder = waiting.shift() ?? null;
          if (holder !== null) advance(holder);
        }
      }
      runs.push(order.join(' '));
    }),
  });
  return runs.sort();
}

/** What a run decided: the order buyers got the lock in, and which of them waited for it. */
function observed(run: string): string {
  const steps = run.split(' ');
  const waited = steps.filter((step) => step.endsWith('*')).map((step) => step[0]);
  const locked = steps.filter((step) => step.endsWith('L') || step.endsWith('*')).map((step) => step[0]);
  return `locked ${locked.join('')}, waited ${waited.sort().join('')}`;
}
