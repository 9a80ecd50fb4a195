import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { openTestLab, testDatabaseUrl } from '../../test/support/test-lab.ts';
import { runReplay } from '../check/run-replay.ts';
import type { Lab } from '../engine/lab.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { type TicketCase, ticketsScenario } from '../scenarios/tickets-scenario.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import { type ExploreSettings, exploreStrategy, interchangeableBuyers } from './explore-strategy.ts';
import { canonicalSignature } from './outcome-signature.ts';

// Soundness is tested, not argued: with reduction, explore must reach exactly
// the outcomes that brute force (every ready buyer at every decision) reaches.

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

const scenario = ticketsScenario as unknown as Scenario<ScenarioCase>;
const base: ExploreSettings = {
  properties: [...PROPERTY_NAMES],
  timeoutMs: 10_000,
  preemptionBound: null,
  maxInterleavings: null,
  timeLimitMs: null,
  reduction: true,
  symmetry: false,
  jobs: 1,
};

function ticketCase(capacity: number, quantities: readonly number[]): TicketCase {
  return { capacity, buyers: quantities.map((quantity, index) => ({ id: index + 1, quantity })) };
}

async function exploreFile(file: string, kase: ScenarioCase, settings: Partial<ExploreSettings> = {}) {
  const loaded = await loadStrategy(file);
  if ('error' in loaded) throw loaded.error;
  const report = await exploreStrategy(lab, loaded.strategy, scenario, kase, { ...base, ...settings });
  if (report.error !== null || report.exploration === null) throw new Error(report.error ?? 'not explored');
  return { report, exploration: report.exploration };
}

describe('explore on real PostgreSQL: reduced outcomes equal brute-force outcomes', () => {
  const twoBuyers = [
    'strategies/naive-read-modify-write.ts',
    'strategies/select-for-update.ts',
    'strategies/guarded-update.ts',
    'strategies/read-committed-transaction.ts',
    'strategies/serializable-retry.ts',
  ];
  for (const file of twoBuyers) {
    it(`${file}, 2 buyers, capacity 1: same outcomes, fewer or as many runs`, async () => {
      const kase = ticketCase(1, [1, 1]);
      const reduced = await exploreFile(file, kase);
      const brute = await exploreFile(file, kase, { reduction: false });
      expect(reduced.exploration.status).toBe('exhausted');
      expect(brute.exploration.status).toBe('exhausted');
      expect(reduced.exploration.outcomes).toEqual(brute.exploration.outcomes);
      expect(reduced.exploration.interleavings).toBeLessThanOrEqual(brute.exploration.interleavings);
      const symmetric = await exploreFile(file, kase, { symmetry: true });
      const keys = interchangeableBuyers(scenario, kase);
      const canonical = (outcomes: readonly string[]) =>
        [...new Set(outcomes.map((outcome) => canonicalSignature(outcome, keys)))].sort();
      expect(canonical(symmetric.exploration.outcomes)).toEqual(canonical(brute.exploration.outcomes));
    });
  }

  it('the known-unsafe naive strategy is caught, with a counterexample that needs one preemption', async () => {
    const { report, exploration } = await exploreFile(
      'strategies/naive-read-modify-write.ts',
      ticketCase(1, [1, 1]),
    );
    expect(exploration.status).toBe('exhausted');
    const oversell = report.properties.find((property) => property.name === 'no-oversell');
    expect(oversell?.passed).toBe(false);
    expect(oversell?.counterexample?.sold).toBe(2);
    expect(oversell?.counterexample?.replay).toContain('--schedule "1 2 2 2 1 1"');
  });

  it('the counterexample replays: `oversold replay` with its schedule repeats its trace event for event', async () => {
    const { report } = await exploreFile('strategies/read-committed-transaction.ts', ticketCase(1, [1, 1]));
    const example = report.properties.find((property) => property.name === 'no-oversell')?.counterexample;
    if (!example) throw new Error('read-committed-transaction must oversell');
    expect(example.anomaly).toMatch(/^lost update/);
    const replayed = await runReplay({
      file: 'strategies/read-committed-transaction.ts',
      schedule: example.schedule.split(' ').map(Number),
      capacity: 1,
      buyers: 2,
      quantities: [1],
      database: { url: testDatabaseUrl() },
      properties: [...PROPERTY_NAMES],
      timeoutMs: 10_000,
      recorded: example.trace,
    });
    expect(replayed.report.strategies[0]?.error).toBeNull();
    expect(replayed.run?.trace).toEqual(example.trace);
  });

  it('the FOR UPDATE purchase: 4 interleavings where brute force runs the 36 isolationtester runs (the blocked read runs once while the first buyer holds the lock, not once per statement it runs meanwhile)', async () => {
    const kase = ticketCase(1, [1, 1]);
    expect((await exploreFile('strategies/select-for-update.ts', kase)).exploration.interleavings).toBe(4);
    expect(
      (await exploreFile('strategies/select-for-update.ts', kase, { reduction: false })).exploration
        .interleavings,
    ).toBe(36);
  });

  it('3 buyers of a short purchase (capacity 2): same outcomes', async () => {
    const kase = ticketCase(2, [1, 1, 1]);
    const file = 'harness/explore/fixtures/short-guarded-purchase.ts';
    const reduced = await exploreFile(file, kase);
    const brute = await exploreFile(file, kase, { reduction: false });
    expect(reduced.exploration.outcomes).toEqual(brute.exploration.outcomes);
    expect(reduced.exploration.interleavings).toBeLessThan(brute.exploration.interleavings);
  }, 300_000);

  it('--preemptions 0 stops short and says so', async () => {
    const { report, exploration } = await exploreFile(
      'strategies/naive-read-modify-write.ts',
      ticketCase(1, [1, 1]),
      {
        preemptionBound: 0,
      },
    );
    expect(exploration.status).toBe('preemption-bound');
    expect(report.properties.every((property) => property.passed)).toBe(true);
  });

  it('3 buyers of the FOR UPDATE purchase: isolated buyers (child processes) and --jobs 2 give the report of --jobs 1, in fewer than the 132 interleavings of branching on every position of a blocked read', async () => {
    const kase = ticketCase(2, [1, 1, 1]);
    const strip = (report: object) =>
      JSON.parse(
        JSON.stringify(report, (key, value) => (key === 'durationMs' || key === 'searchMs' ? 0 : value)),
      );
    const one = await exploreFile('strategies/select-for-update.ts', kase);
    const two = await exploreFile('strategies/select-for-update.ts', kase, { jobs: 2 });
    const isolated = await exploreFile('strategies/select-for-update.ts', kase, { isolation: {} });
    expect(strip(two.report)).toEqual(strip(one.report));
    expect(strip(isolated.report)).toEqual(strip(one.report));
    expect(one.exploration.interleavings).toBeLessThan(132);
  }, 300_000);

  it('--jobs 2 gives the same report as --jobs 1, apart from durations', async () => {
    const kase = ticketCase(1, [1, 1]);
    const strip = (report: object) =>
      JSON.parse(
        JSON.stringify(report, (key, value) => (key === 'durationMs' || key === 'searchMs' ? 0 : value)),
      );
    for (const file of [
      'strategies/naive-read-modify-write.ts',
      'strategies/read-committed-transaction.ts',
    ]) {
      const one = await exploreFile(file, kase, { jobs: 1 });
      const two = await exploreFile(file, kase, { jobs: 2 });
      expect(strip(two.report)).toEqual(strip(one.report));
    }
  });
});
