import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { openTestLab } from '../../test/support/test-lab.ts';
import { checkStrategy } from '../check/check-strategy.ts';
import type { Counterexample, StrategyReport } from '../check/report-model.ts';
import type { Lab } from '../engine/lab.ts';
import { loadStrategy } from './load-strategy.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

const options = {
  runs: 50,
  seed: 1234,
  ranges: { capacity: { min: 1, max: 3 }, buyers: { min: 2, max: 3 }, quantity: { min: 1, max: 2 } },
  properties: PROPERTY_NAMES,
  timeoutMs: 10_000,
};

async function check(path: string): Promise<StrategyReport> {
  const loaded = await loadStrategy(path);
  if ('error' in loaded) throw loaded.error;
  return checkStrategy(lab, loaded.strategy, options);
}

const verdicts = (report: StrategyReport) =>
  Object.fromEntries(report.properties.map((property) => [property.name, property.passed]));

/**
 * What must match between the two: everything but where the code lives (the
 * replay command's file, call sites) and how parameters are numbered (a
 * tagged template numbers them in the order they appear).
 */
function comparable(example: Counterexample | null | undefined) {
  if (!example) return example;
  const { replay, trace, ...rest } = example;
  return {
    ...rest,
    replay: replay.replace(/^oversold replay \S+/, 'oversold replay FILE'),
    trace: trace.map((event) => {
      const { at: _at, ...kept } = event as typeof event & { at?: string };
      return 'sql' in kept && typeof kept.sql === 'string'
        ? { ...kept, sql: kept.sql.replace(/\$\d+/g, '$n') }
        : kept;
    }),
  };
}

describe('postgres.js strategies against their pg twins, same seed', () => {
  for (const name of ['guarded-update', 'select-for-update']) {
    it(`${name}: the same verdicts (every property holds)`, async () => {
      const [pg, postgresJs] = await Promise.all([
        check(`strategies/${name}.ts`),
        check(`strategies/postgres-js/${name}.ts`),
      ]);
      expect(postgresJs.error).toBeNull();
      expect(verdicts(postgresJs)).toEqual(verdicts(pg));
      expect(verdicts(postgresJs)).toEqual(
        Object.fromEntries(PROPERTY_NAMES.map((property) => [property, true])),
      );
    });
  }

  it('read-committed read-check-write: the same verdicts and the same counterexample', async () => {
    const [pg, postgresJs] = await Promise.all([
      check('strategies/read-committed-transaction.ts'),
      check('test/fixtures/postgres-js/read-committed-transaction.ts'),
    ]);
    expect(verdicts(postgresJs)).toEqual(verdicts(pg));
    expect(verdicts(postgresJs)['no-oversell']).toBe(false);
    expect(postgresJs.interleavings).toBe(pg.interleavings);
    const example = (report: StrategyReport) =>
      report.properties.find((property) => property.name === 'no-oversell')?.counterexample;
    expect(comparable(example(postgresJs))).toEqual(comparable(example(pg)));
    // Each statement is recorded at the strategy's own line, as with db.query.
    const sites = example(postgresJs)!
      .trace.filter((event) => event.event === 'sent')
      .map((event) => (event as { at?: string }).at);
    expect(sites).not.toContain(undefined);
    for (const site of sites)
      expect(site).toMatch(/^test\/fixtures\/postgres-js\/read-committed-transaction\.ts:\d+$/);
  });
});
