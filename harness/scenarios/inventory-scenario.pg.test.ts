import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateProperty } from '../../properties/properties.ts';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { runCli } from '../../test/support/run-cli.ts';
import { openTestLab, testDatabaseUrl } from '../../test/support/test-lab.ts';
import { checkStrategy } from '../check/check-strategy.ts';
import type { StrategyReport } from '../check/report-model.ts';
import type { Lab } from '../engine/lab.ts';
import { runCase } from '../engine/run-case.ts';
import { Workspace } from '../engine/workspace.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { type InventoryCase, inventoryScenario } from './inventory-scenario.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

async function load(path: string): Promise<LoadedStrategy> {
  const loaded = await loadStrategy(path);
  if ('error' in loaded) throw loaded.error;
  return loaded.strategy;
}

/** Releases these buyers in order, then the lowest-numbered ready one. */
function scheduled(ids: readonly number[]) {
  return (index: number, ready: readonly number[]): number => {
    const id = ids[index];
    if (id === undefined) return ready[0]!;
    if (!ready.includes(id)) throw new Error(`buyer ${id} is not ready at decision ${index + 1}`);
    return id;
  };
}

// Two carts sharing both items in opposite orders: the classic deadlock.
const crossedCarts: InventoryCase = {
  items: [
    { id: 201, stock: 1 },
    { id: 202, stock: 1 },
  ],
  buyers: [
    {
      id: 1,
      lines: [
        { itemId: 201, quantity: 1 },
        { itemId: 202, quantity: 1 },
      ],
    },
    {
      id: 2,
      lines: [
        { itemId: 202, quantity: 1 },
        { itemId: 201, quantity: 1 },
      ],
    },
  ],
};
// BEGIN, lock the first line, for each buyer; then each asks for the other's row.
const crossing = [1, 1, 2, 2, 1, 2];

async function runCrossed(file: string, schedule: readonly number[]) {
  const strategy = await load(file);
  await using workspace = await Workspace.open(lab, strategy.name, inventoryScenario);
  // Awaited here: the workspace is disposed when this function returns.
  return await runCase({
    workspace,
    strategy,
    scenario: inventoryScenario,
    kase: crossedCarts,
    choose: scheduled(schedule),
    timeoutMs: 10_000,
  });
}

describe('the inventory scenario on PostgreSQL', () => {
  it('locking in cart order deadlocks: PostgreSQL fails one buyer with 40P01, the run ends, nothing is oversold', async () => {
    const run = await runCrossed('strategies/inventory/lock-in-cart-order.ts', crossing);
    const outcomes = [...run.outcomes.values()];
    expect(outcomes.filter((outcome) => outcome.kind === 'threw' && outcome.code === '40P01')).toHaveLength(
      1,
    );
    expect(
      outcomes.filter((outcome) => outcome.kind === 'returned' && outcome.value === 'purchased'),
    ).toHaveLength(1);
    expect(run.trace.filter((event) => event.event === 'failed').map((event) => event.code)).toEqual([
      '40P01',
    ]);
    // Both buyers waited on the other's item row before PostgreSQL broke the cycle.
    const waits = run.trace.filter((event) => event.event === 'blocked');
    expect(waits.map((event) => [event.buyer, event.blockedBy])).toEqual(
      expect.arrayContaining([
        [1, [2]],
        [2, [1]],
      ]),
    );
    expect(run.facts.measurement.stock).toEqual([
      { key: '201', capacity: 1, sold: 1 },
      { key: '202', capacity: 1, sold: 1 },
    ]);
    expect(evaluateProperty('no-oversell', run.facts)).toEqual({ holds: true });
    expect(evaluateProperty('honest-outcome', run.facts)).toEqual({ holds: true });
    expect(evaluateProperty('no-errors', run.facts).holds).toBe(false);
  });

  it('locking in item order makes the second buyer wait instead: it sees the stock gone and answers sold-out', async () => {
    // Buyer 2's first lock is item 201 too: it waits there, holding nothing.
    const run = await runCrossed('strategies/inventory/lock-in-item-order.ts', [1, 1, 2, 2]);
    expect(run.trace.filter((event) => event.event === 'blocked').map((event) => event.buyer)).toEqual([2]);
    expect(run.trace.some((event) => event.event === 'failed')).toBe(false);
    expect(run.outcomes.get(1)).toEqual({ kind: 'returned', value: 'purchased' });
    expect(run.outcomes.get(2)).toEqual({ kind: 'returned', value: 'sold-out' });
    for (const name of PROPERTY_NAMES) expect(evaluateProperty(name, run.facts)).toEqual({ holds: true });
  });

  it('counts units per item and notices a sale of the decoy item', async () => {
    await using workspace = await Workspace.open(lab, 'decoy', inventoryScenario);
    const control = workspace.control.session;
    await inventoryScenario.seed(control, crossedCarts);
    await control.query(
      `WITH o AS (INSERT INTO orders (buyer_id) VALUES (1), (2) RETURNING order_id, buyer_id)
       INSERT INTO order_lines SELECT order_id, item, 2 FROM o, LATERAL (VALUES (201), (299)) AS v(item) WHERE buyer_id = 1
       UNION ALL SELECT order_id, 201, 1 FROM o WHERE buyer_id = 2`,
    );
    const measurement = await inventoryScenario.measure(control, crossedCarts);
    expect(measurement.stock).toEqual([
      { key: '201', capacity: 1, sold: 3 },
      { key: '202', capacity: 1, sold: 0 },
    ]);
    expect(measurement.holdings.get(1)).toEqual(new Map([['201', 2]]));
    expect(measurement.holdings.get(2)).toEqual(new Map([['201', 1]]));
    expect(measurement.strayChanges).toEqual(['2 unit(s) of item 299, which no buyer asked for, were sold']);
    // Seeding again starts from scratch: no orders, stock restored, order ids from 1.
    await inventoryScenario.seed(control, crossedCarts);
    const again = await inventoryScenario.measure(control, crossedCarts);
    expect(again.stock.every((unit) => unit.sold === 0)).toBe(true);
    expect(again.strayChanges).toEqual([]);
  });
});

describe('checking the bundled inventory strategies', () => {
  const options = {
    runs: 60,
    seed: 5,
    ranges: { capacity: { min: 1, max: 2 }, buyers: { min: 2, max: 3 }, quantity: { min: 1, max: 2 } },
    properties: PROPERTY_NAMES,
    timeoutMs: 10_000,
  };
  // Three buyers for the deadlocking strategy too: a victim's abort used to
  // grant a lock while the engine asked which lock a buyer waited for, and the
  // engine lost track of that buyer (regression: 3-way deadlock hang).
  const expected = {
    'lock-in-cart-order': {
      'no-oversell': true,
      'honest-outcome': true,
      'no-undersell': true,
      'no-errors': false,
    },
    'lock-in-item-order': {
      'no-oversell': true,
      'honest-outcome': true,
      'no-undersell': true,
      'no-errors': true,
    },
    'guarded-multi-row-update': {
      'no-oversell': true,
      'honest-outcome': true,
      'no-undersell': true,
      'no-errors': true,
    },
  } as const;
  const reports = new Map<string, Promise<StrategyReport>>();
  const check = (name: string): Promise<StrategyReport> => {
    let report = reports.get(name);
    if (!report) {
      report = load(`strategies/inventory/${name}.ts`).then((strategy) =>
        checkStrategy(lab, strategy, options),
      );
      reports.set(name, report);
    }
    return report;
  };

  for (const [name, verdicts] of Object.entries(expected)) {
    it(`${name} gets its expected verdicts`, async () => {
      const report = await check(name);
      expect(report.error).toBeNull();
      expect(verdictsOf(report)).toEqual(verdicts);
      expect(report.passed).toBe(true);
    });
  }

  it('calls a .sql strategy as purchase_order(p_buyer_id int, p_lines jsonb)', async () => {
    const report = await checkStrategy(
      lab,
      await load('test/fixtures/inventory/purchase-order-sorted.sql'),
      options,
    );
    expect(report.error).toBeNull();
    expect(report.interleavings).toBeGreaterThan(1);
    expect(verdictsOf(report)).toEqual(expected['lock-in-item-order']);
  });

  it('replays the deadlock counterexample from its printed command (--case)', async () => {
    const report = await check('lock-in-cart-order');
    const example = report.properties.find((property) => property.name === 'no-errors')?.counterexample;
    expect(example?.why).toMatch(/SQLSTATE 40P01/);
    const args = shellWords(example!.replay).slice(1);
    const result = await runCli([...args, '--properties', 'no-errors'], { DATABASE_URL: testDatabaseUrl() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`schedule "${example!.schedule}"`);
    expect(result.stdout).toContain('ERROR 40P01');
    expect(result.stdout).toContain(example!.why);
  });
});

function verdictsOf(report: StrategyReport): Record<string, boolean> {
  return Object.fromEntries(report.properties.map((property) => [property.name, property.passed]));
}

/** Splits a printed command the way a POSIX shell would (double and single quotes only). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/"([^"]*)"|'((?:[^']|'\\'')*)'|(\S+)/g)) {
    words.push(match[1] ?? match[2]?.replace(/'\\''/g, "'") ?? match[3]!);
  }
  return words;
}
