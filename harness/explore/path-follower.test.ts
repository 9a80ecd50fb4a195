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
});
