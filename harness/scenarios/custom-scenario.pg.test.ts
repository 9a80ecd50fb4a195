import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { runCli } from '../../test/support/run-cli.ts';
import { openTestLab, testDatabaseUrl } from '../../test/support/test-lab.ts';
import { checkStrategy } from '../check/check-strategy.ts';
import type { Lab } from '../engine/lab.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { findScenario } from './scenario-registry.ts';

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

const options = {
  runs: 40,
  seed: 11,
  ranges: { capacity: { min: 1, max: 2 }, buyers: { min: 2, max: 3 }, quantity: { min: 1, max: 1 } },
  properties: PROPERTY_NAMES,
  timeoutMs: 10_000,
};

describe('your own schema (examples/shop) on PostgreSQL', () => {
  it('registers the scenario module under its path, relative to the strategy file', async () => {
    const strategy = await load('examples/shop/strategies/reserve-guarded.ts');
    expect(strategy.scenario).toBe('examples/shop/shop.scenario.ts');
    expect(findScenario(strategy.scenario)?.sqlSignature).toBe('purchase(p_request jsonb) RETURNS text');
  });

  it('passes the guarded checkout on every property', async () => {
    const report = await checkStrategy(
      lab,
      await load('examples/shop/strategies/reserve-guarded.ts'),
      options,
    );
    expect(report.error).toBeNull();
    expect(report.properties.map((property) => [property.name, property.passed])).toEqual(
      PROPERTY_NAMES.map((name) => [name, true]),
    );
    expect(report.passed).toBe(true);
  });

  it('passes the same checkout written as a .sql strategy, purchase(p_request jsonb)', async () => {
    const report = await checkStrategy(
      lab,
      await load('examples/shop/strategies/reserve-guarded.sql'),
      options,
    );
    expect(report.error).toBeNull();
    expect(report.scenario).toBe('examples/shop/shop.scenario.ts');
    expect(report.properties.every((property) => property.passed)).toBe(true);
  });

  it('catches the read-then-write checkout overselling a product', async () => {
    const report = await checkStrategy(
      lab,
      await load('examples/shop/strategies/reserve-read-then-write.ts'),
      options,
    );
    expect(report.passed).toBe(false);
    const oversell = report.properties.find((property) => property.name === 'no-oversell');
    expect(oversell?.passed).toBe(false);
    const example = oversell?.counterexample;
    expect(example?.sold).toBeGreaterThan(example?.capacity ?? Number.POSITIVE_INFINITY);
    expect(example?.why).toMatch(/units of item 20\d were sold but only \d existed/);
    expect(example?.replay).toMatch(/--case '\{"items":/);
  });
});

describe('a broken scenario module gets one line naming it and the fix', () => {
  const cases = [
    [
      'a failing migration',
      'uses-bad-migration.ts',
      /^test\/fixtures\/custom-scenario\/bad-migration\.scenario\.ts: its migration schema fails \(syntax error at or near "TABEL"\): fix the SQL so it runs on an empty schema/,
    ],
    [
      'a counting query that errors',
      'uses-bad-count.ts',
      /^test\/fixtures\/custom-scenario\/bad-count\.scenario\.ts: its unitsSold query fails \(column "qty" does not exist\): fix it so it returns the columns product, buyer and units/,
    ],
    [
      'a counting query without the columns',
      'uses-bad-columns.ts',
      /^test\/fixtures\/custom-scenario\/bad-columns\.scenario\.ts: its unitsSold query fails \(column "product" does not exist\)/,
    ],
  ] as const;
  for (const [what, file, message] of cases) {
    it(`reports ${what}`, async () => {
      const report = await checkStrategy(lab, await load(`test/fixtures/custom-scenario/${file}`), options);
      expect(report.error).toMatch(message);
      expect(report.error).not.toContain('\n');
      expect(report.properties).toEqual([]);
    });
  }

  it('blames a seed() that leaves a sale behind, not the correct strategy, for overselling', async () => {
    const report = await checkStrategy(
      lab,
      await load('test/fixtures/custom-scenario/uses-leftover-seed.ts'),
      options,
    );
    expect(report.error).toMatch(
      /^test\/fixtures\/custom-scenario\/leftover-seed\.scenario\.ts: its seed\(\) left 1 unit for product 20\d already sold: make seed\(\) delete earlier orders \(unitsSold must be 0 right after seed\)$/,
    );
    expect(report.properties).toEqual([]);
  });

  it('blames a seed() that keeps earlier sales once the stock it seeds changes', async () => {
    const report = await checkStrategy(
      lab,
      await load('test/fixtures/custom-scenario/uses-keeps-sales.ts'),
      options,
    );
    expect(report.error).toMatch(
      /^test\/fixtures\/custom-scenario\/keeps-sales\.scenario\.ts: its seed\(\) left \d+ units? for product \d+(, \d+ for product \d+)* already sold: make seed\(\) delete earlier orders/,
    );
    expect(report.properties).toEqual([]);
  });

  it('refuses a module without seed(), and a path that does not exist, when loading', async () => {
    const noSeed = await loadStrategy('test/fixtures/custom-scenario/uses-no-seed.ts');
    expect('error' in noSeed && noSeed.error.message).toMatch(
      /^test\/fixtures\/custom-scenario\/no-seed\.scenario\.ts: seed must be a function \(db, \{ products \}\) => Promise<void>: write export default defineScenario/,
    );
    const missing = await loadStrategy('test/fixtures/custom-scenario/uses-missing.ts');
    expect('error' in missing && missing.error.message).toBe(
      'test/fixtures/custom-scenario/uses-missing.ts: its scenario module ./missing.scenario.ts does not exist (looked for test/fixtures/custom-scenario/missing.scenario.ts): the path is relative to the strategy file',
    );
  });

  it('exits 2 from the command line with that line', async () => {
    const result = await runCli(
      ['check', 'test/fixtures/custom-scenario/uses-bad-migration.ts', '--runs', '5'],
      {
        DATABASE_URL: testDatabaseUrl(),
      },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      'test/fixtures/custom-scenario/bad-migration.scenario.ts: its migration schema fails (syntax error at or near "TABEL")',
    );
  });
});
