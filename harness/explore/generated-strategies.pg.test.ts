import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { openTestLab } from '../../test/support/test-lab.ts';
import type { BuyerDb } from '../engine/buyer-gate.ts';
import type { Lab } from '../engine/lab.ts';
import type { BuyerSite } from '../engine/run-case.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { type TicketCase, type TicketRequest, ticketsScenario } from '../scenarios/tickets-scenario.ts';
import { type ExploreSettings, exploreStrategy, interchangeableBuyers } from './explore-strategy.ts';
import { canonicalSignature } from './outcome-signature.ts';
import { TinyProgram, type TinyStep, tinyProgramArbitrary, tinyStrategy } from './tiny-strategy.ts';

// Soundness over purchase code nobody wrote by hand: for small generated
// programs, explore with reduction (symmetry off and on) must reach exactly
// what brute force reaches on the real PostgreSQL: the same outcomes, and the
// same answers to every buyer's statements (equivalent interleavings give
// each buyer the same answers, so a reduction that skips only equivalent
// ones keeps every combination of answers; the outcomes alone may hide a
// skipped interleaving behind another that ends the same way).

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

/**
 * Brute force stops after this many interleavings; a case that needs more is
 * skipped (most programs here need 6 to 100), which keeps the test's time bounded.
 */
const BRUTE_FORCE_CAP = 150;

/** One generated case: the program every buyer runs, the stock, and each buyer's quantity. */
interface GeneratedCase {
  readonly program: TinyProgram;
  readonly kase: TicketCase;
}

function generatedCases(buyers: number, minSteps: number, maxSteps: number): fc.Arbitrary<GeneratedCase> {
  return fc
    .record({
      program: tinyProgramArbitrary(minSteps, maxSteps),
      capacity: fc.integer({ min: 1, max: 2 }),
      quantities: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: buyers, maxLength: buyers }),
    })
    .map(({ program, capacity, quantities }) => ({
      program,
      kase: { capacity, buyers: quantities.map((quantity, index) => ({ id: index + 1, quantity })) },
    }));
}

async function explore({ program, kase }: GeneratedCase, settings: Partial<ExploreSettings>) {
  // One job: runs follow each other, so the answers heard since the last run are this run's.
  const heard = new Map<number, string[]>();
  const answers = new Set<string>();
  const observing = tinyStrategy(program, (buyer, answer) =>
    heard.set(buyer, [...(heard.get(buyer) ?? []), answer]),
  );
  // The engine runs an interleaving again from the start when PostgreSQL let a
  // later waiter through first (runInterleaving): a buyer's answers are those
  // of its last purchase() call.
  const strategy = {
    ...observing,
    purchase: (db: BuyerDb, request: unknown, site?: BuyerSite) => {
      heard.delete((request as TicketRequest).buyerId);
      return observing.purchase(db, request, site);
    },
  };
  const report = await exploreStrategy(lab, strategy, scenario, kase, {
    ...base,
    ...settings,
    jobs: 1,
    onInterleaving: () => {
      answers.add(JSON.stringify([...heard].sort(([a], [b]) => a - b)));
      heard.clear();
    },
  });
  if (report.error !== null || report.exploration === null) {
    throw new Error(`${program}: ${report.error ?? 'not explored'}`);
  }
  return { ...report.exploration, answers: [...answers].sort() };
}

/** Answers with interchangeable buyers' ids forgotten: each group's answer lists, sorted. */
function canonicalAnswers(answers: readonly string[], keys: ReadonlyMap<number, string>): string[] {
  const canonical = answers.map((run) => {
    const groups = new Map<string, string[]>();
    for (const [buyer, heard] of JSON.parse(run) as [number, string[]][]) {
      const key = keys.get(buyer) ?? `buyer ${buyer}`;
      groups.set(key, [...(groups.get(key) ?? []), JSON.stringify(heard)]);
    }
    return JSON.stringify([...groups].map(([key, lists]) => [key, lists.sort()]).sort());
  });
  return [...new Set(canonical)].sort();
}

/** The property: reduced exploration, with symmetry off and on, reaches brute force's outcomes. */
async function sameOutcomesAsBruteForce(generated: GeneratedCase, cap = BRUTE_FORCE_CAP): Promise<void> {
  const brute = await explore(generated, { reduction: false, maxInterleavings: cap });
  fc.pre(brute.status === 'exhausted');
  const reduced = await explore(generated, {});
  expect(reduced.status).toBe('exhausted');
  expect(reduced.outcomes).toEqual(brute.outcomes);
  expect(reduced.answers).toEqual(brute.answers);
  expect(reduced.interleavings).toBeLessThanOrEqual(brute.interleavings);
  const symmetric = await explore(generated, { symmetry: true });
  const keys = interchangeableBuyers(scenario, generated.kase);
  const canonical = (outcomes: readonly string[]) =>
    [...new Set(outcomes.map((outcome) => canonicalSignature(outcome, keys)))].sort();
  expect(symmetric.status).toBe('exhausted');
  expect(canonical(symmetric.outcomes)).toEqual(canonical(brute.outcomes));
  expect(canonicalAnswers(symmetric.answers, keys)).toEqual(canonicalAnswers(brute.answers, keys));
}

const BEGIN: TinyStep = { kind: 'begin', isolation: null };
const BEGIN_REPEATABLE_READ: TinyStep = { kind: 'begin', isolation: 'repeatable read' };
const FOR_UPDATE: TinyStep = { kind: 'locking-read', mode: 'update' };
const CHECK: TinyStep = { kind: 'check' };
const DECREMENT: TinyStep = { kind: 'decrement' };
const COMMIT: TinyStep = { kind: 'commit' };

function sameCase(
  steps: readonly TinyStep[],
  capacity: number,
  quantities: readonly number[],
): GeneratedCase {
  return {
    program: new TinyProgram(steps),
    kase: { capacity, buyers: quantities.map((quantity, index) => ({ id: index + 1, quantity })) },
  };
}

/**
 * Programs where each part of the reduction skips runs, checked before the
 * generated ones: plain reads that commute (the naive purchase), a locking
 * read that blocks (the FOR UPDATE purchase), and one that does not block at
 * its first position but does at a later one (FOR SHARE, then a write: in
 * REPEATABLE READ the read that waited fails with 40001, the later one does not).
 */
const EXAMPLES: GeneratedCase[] = [
  sameCase([{ kind: 'read' }, CHECK, { kind: 'write-read-value' }, { kind: 'insert-ticket' }], 1, [1, 1]),
  sameCase([BEGIN, FOR_UPDATE, CHECK, DECREMENT, { kind: 'insert-ticket' }, COMMIT], 1, [1, 1]),
  sameCase([BEGIN_REPEATABLE_READ, { kind: 'locking-read', mode: 'share' }, DECREMENT, COMMIT], 1, [1, 1]),
];

describe('explore on real PostgreSQL: generated purchase programs reach brute force’s outcomes', () => {
  it('2 buyers, programs of 2–6 steps, capacity 1–2, quantities 1–2', async () => {
    await fc.assert(
      fc.asyncProperty(generatedCases(2, 2, 6), (generated) => sameOutcomesAsBruteForce(generated)),
      {
        seed: 20_240_613,
        numRuns: 30,
        examples: EXAMPLES.map((example) => [example]),
      },
    );
  }, 600_000);

  it('3 buyers, programs of 1–3 steps', async () => {
    // Autocommit only: with three buyers, a transaction's BEGIN and COMMIT alone make brute force too long.
    const autocommit = generatedCases(3, 1, 3).filter(
      ({ program }) => !program.steps.some((step) => step.kind === 'begin'),
    );
    await fc.assert(
      fc.asyncProperty(autocommit, (generated) => sameOutcomesAsBruteForce(generated)),
      {
        seed: 20_240_614,
        numRuns: 6,
      },
    );
  }, 600_000);

  it('3 buyers of a FOR UPDATE purchase: the later positions of a blocked locking read are covered, not lost', async () => {
    // About 2,000 orders for brute force: the one 3-buyer case here with locks held across statements.
    await sameOutcomesAsBruteForce(
      sameCase([BEGIN, FOR_UPDATE, CHECK, DECREMENT, COMMIT], 2, [1, 1, 1]),
      5000,
    );
  }, 600_000);
});
