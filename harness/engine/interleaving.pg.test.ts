import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestLab } from '../../test/support/test-lab.ts';
import { ticketsScenario } from '../scenarios/tickets-scenario.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import type { Lab } from './lab.ts';
import { runCase } from './run-case.ts';
import { Workspace } from './workspace.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

function scheduled(ids: number[]) {
  return (index: number, ready: readonly number[]) => {
    const id = ids[index];
    if (id === undefined) return ready[0]!;
    if (!ready.includes(id)) throw new Error(`buyer ${id} not ready at ${index}; ready ${ready}`);
    return id;
  };
}

describe('forced interleavings on PostgreSQL', () => {
  it('runs the naive strategy in the schedule that oversells', async () => {
    const loaded = await loadStrategy('strategies/naive-read-modify-write.ts');
    if (!('strategy' in loaded)) throw loaded.error;
    await using workspace = await Workspace.open(lab, 'naive', ticketsScenario);
    const run = await runCase({
      workspace,
      strategy: loaded.strategy,
      scenario: ticketsScenario,
      kase: {
        capacity: 1,
        buyers: [
          { id: 1, quantity: 1 },
          { id: 2, quantity: 1 },
        ],
      },
      choose: scheduled([1, 2, 1, 1, 2, 2]),
      timeoutMs: 5000,
    });
    expect(run.decisions).toEqual([1, 2, 1, 1, 2, 2]);
    expect(run.facts.measurement.stock[0]).toMatchObject({ capacity: 1, sold: 2 });
    expect(run.trace.filter((event) => event.event === 'returned')).toEqual([
      { buyer: 1, event: 'returned', value: 'purchased' },
      { buyer: 2, event: 'returned', value: 'purchased' },
    ]);
  });
});
