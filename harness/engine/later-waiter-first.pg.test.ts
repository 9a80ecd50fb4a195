import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooserFromChoices } from '../../properties/case-arbitrary.ts';
import { openTestLab } from '../../test/support/test-lab.ts';
import { describeEvent, firstDivergence } from '../check/trace-divergence.ts';
import { type InventoryCase, inventoryScenario } from '../scenarios/inventory-scenario.ts';
import { installStrategySql } from '../strategy/install-strategy-sql.ts';
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

const cart = (...lines: [number, number][]) => lines.map(([itemId, quantity]) => ({ itemId, quantity }));

/** Three-buyer cases `check --seed 1` draws for lock-in-cart-order, with their choices. */
const drawn: { name: string; kase: InventoryCase; choices: number[] }[] = [
  {
    // The one reported: a deadlock among buyers 2 and 3, whose victim's rollback lets the others on.
    name: 'seed 1, case 9 (the deadlock reported)',
    kase: {
      items: [
        { id: 201, stock: 3 },
        { id: 202, stock: 1 },
        { id: 203, stock: 2 },
      ],
      buyers: [
        { id: 1, lines: cart([202, 2]) },
        { id: 2, lines: cart([201, 2], [203, 2]) },
        { id: 3, lines: cart([203, 2], [201, 2], [202, 1]) },
      ],
    },
    choices: [1, 0, 2, 2, 3, 1, 2, 1, 1, 3, 1, 3, 3, 3, 3, 3, 0, 0, 1],
  },
  {
    // Buyers 1 and 3 queue for item 201, which buyer 2 updates and commits.
    name: 'seed 1, case 45 (two buyers queued on a row its holder updates)',
    kase: {
      items: [
        { id: 201, stock: 3 },
        { id: 202, stock: 1 },
      ],
      buyers: [
        { id: 1, lines: cart([201, 2]) },
        { id: 2, lines: cart([201, 1]) },
        { id: 3, lines: cart([201, 1], [202, 2]) },
      ],
    },
    choices: [3, 1, 1, 3, 0, 1, 3, 1, 2, 1, 0, 3, 2, 2, 3, 0, 1, 3, 0, 0, 2, 2, 2, 3, 0, 2, 1, 2, 0],
  },
  {
    name: 'seed 1, case 54 (two buyers queued on a row its holder updates)',
    kase: {
      items: [
        { id: 201, stock: 1 },
        { id: 202, stock: 2 },
      ],
      buyers: [
        { id: 1, lines: cart([201, 1], [202, 1]) },
        { id: 2, lines: cart([201, 1], [202, 2]) },
        { id: 3, lines: cart([201, 1], [202, 1]) },
      ],
    },
    choices: [1, 3, 0, 2, 3, 1, 0, 2, 0, 1, 1, 2, 1, 1, 2, 1, 0, 2, 3, 3, 0, 3, 2, 0, 3, 3, 3],
  },
  {
    name: 'seed 1, case 68 (two buyers queued on a row its holder updates)',
    kase: {
      items: [
        { id: 201, stock: 2 },
        { id: 202, stock: 2 },
      ],
      buyers: [
        { id: 1, lines: cart([201, 1], [202, 2]) },
        { id: 2, lines: cart([201, 2], [202, 2]) },
        { id: 3, lines: cart([201, 1]) },
      ],
    },
    choices: [0, 2, 3, 3, 3, 2, 1, 1, 2, 0, 2, 3, 0, 0, 0, 3, 1, 0, 1, 1, 0, 3, 2, 2, 2, 3, 0, 2, 0],
  },
];

const RUNS = 12;

describe('the same choices give the same run under load (regression: PostgreSQL let a later waiter take a row first, and the run went on that way)', () => {
  // When a buyer that updated a row commits, the buyers queued for that row
  // are woken together and race for its new version; on a loaded machine a
  // later one could win, and `check --seed 1` gave 161, 162 or 164
  // interleavings. The engine now runs such a run again from the start until
  // the buyer that waited longest gets the row, as it does on an idle machine.
  // Measured on 2 cores before the fix: this file failed 5 times in 5 at load
  // average 5-6 (two busy loops per core) and 4 in 5 at 3-3.5 (other tests
  // running); after it, 0 in 10 at the same loads.
  it.each(drawn)('$name: identical decisions and traces in every run', async ({ kase, choices }) => {
    const loaded = await loadStrategy('strategies/inventory/lock-in-cart-order.ts');
    if ('error' in loaded) throw loaded.error;
    const strategy = loaded.strategy;
    await using workspace = await Workspace.open(lab, strategy.name, inventoryScenario);
    await installStrategySql(workspace, strategy, inventoryScenario);
    const run = () =>
      runCase({
        workspace,
        strategy,
        scenario: inventoryScenario,
        kase,
        choose: chooserFromChoices(choices),
        timeoutMs: 20_000,
      });
    const first = await run();
    for (let attempt = 2; attempt <= RUNS; attempt++) {
      const again = await run();
      const divergence = firstDivergence(first.trace, again.trace);
      const where = divergence
        ? `run ${attempt}, event ${divergence.event}: ${describeEvent(divergence.recorded)} / ${describeEvent(divergence.replayed)}`
        : '';
      expect(where).toBe('');
      expect(again.decisions, `run ${attempt} released other buyers`).toEqual(first.decisions);
    }
  });
});
