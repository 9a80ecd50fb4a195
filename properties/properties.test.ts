import { describe, expect, it } from 'vitest';
import type { BuyerOutcome } from '../harness/engine/trace.ts';
import { evaluateProperty, type RunFacts } from './properties.ts';

const purchased: BuyerOutcome = { kind: 'returned', value: 'purchased' };
const soldOut: BuyerOutcome = { kind: 'returned', value: 'sold-out' };

function facts(options: {
  capacity: number;
  sold: number;
  outcomes: BuyerOutcome[];
  holdings?: number[];
  wants?: number[];
  stray?: string[];
}): RunFacts {
  const ids = options.outcomes.map((_, index) => index + 1);
  return {
    outcomes: new Map(ids.map((id, index) => [id, options.outcomes[index]!])),
    wants: new Map(ids.map((id, index) => [id, new Map([['101', options.wants?.[index] ?? 1]])])),
    measurement: {
      stock: [{ key: '101', capacity: options.capacity, sold: options.sold }],
      holdings: new Map(
        ids
          .filter((_, index) => (options.holdings?.[index] ?? 0) > 0)
          .map((id) => [id, new Map([['101', options.holdings![id - 1]!]])]),
      ),
      strayChanges: options.stray ?? [],
    },
  };
}

describe('no-oversell', () => {
  it('holds at capacity and fails above it, naming who was told purchased', () => {
    expect(
      evaluateProperty('no-oversell', facts({ capacity: 1, sold: 1, outcomes: [purchased, soldOut] })).holds,
    ).toBe(true);
    const verdict = evaluateProperty(
      'no-oversell',
      facts({ capacity: 1, sold: 2, outcomes: [purchased, purchased] }),
    );
    expect(verdict).toEqual({
      holds: false,
      why: "2 units of event 101 were sold but only 1 existed: buyers 1 and 2 were each told 'purchased' (1 + 1 units).",
    });
  });
});

describe('honest-outcome', () => {
  it('fails when a buyer told purchased holds nothing, or one told sold-out holds tickets', () => {
    expect(
      evaluateProperty(
        'honest-outcome',
        facts({ capacity: 2, sold: 1, outcomes: [purchased, soldOut], holdings: [1, 0] }),
      ).holds,
    ).toBe(true);
    expect(
      evaluateProperty(
        'honest-outcome',
        facts({ capacity: 2, sold: 0, outcomes: [purchased], holdings: [0] }),
      ),
    ).toMatchObject({
      holds: false,
      why: expect.stringMatching(/buyer 1 was told 'purchased' for 1 unit\(s\) of event 101 but holds 0/),
    });
    expect(
      evaluateProperty('honest-outcome', facts({ capacity: 2, sold: 1, outcomes: [soldOut], holdings: [1] })),
    ).toMatchObject({
      holds: false,
      why: "buyer 1 was told 'sold-out' but holds 1 unit(s) all the same.",
    });
  });

  it('fails when an event nobody asked for changed', () => {
    const verdict = evaluateProperty(
      'honest-outcome',
      facts({
        capacity: 1,
        sold: 1,
        outcomes: [purchased],
        holdings: [1],
        stray: ['event 102, which no buyer asked for, changed'],
      }),
    );
    expect(verdict).toMatchObject({ holds: false, why: 'event 102, which no buyer asked for, changed.' });
  });
});

describe('no-undersell', () => {
  it('fails only when enough stock was left for the buyer told sold-out', () => {
    expect(
      evaluateProperty('no-undersell', facts({ capacity: 1, sold: 1, outcomes: [purchased, soldOut] })).holds,
    ).toBe(true);
    expect(
      evaluateProperty('no-undersell', facts({ capacity: 3, sold: 2, outcomes: [soldOut], wants: [2] }))
        .holds,
    ).toBe(true);
    expect(
      evaluateProperty('no-undersell', facts({ capacity: 2, sold: 1, outcomes: [purchased, soldOut] })),
    ).toMatchObject({
      holds: false,
      why: expect.stringMatching(/buyer 2 was told 'sold-out', yet 1 of event 101 still unsold/),
    });
  });
});

describe('no-errors', () => {
  it('fails with the SQLSTATE when a buyer threw', () => {
    const threw: BuyerOutcome = { kind: 'threw', message: 'could not serialize access', code: '40001' };
    expect(evaluateProperty('no-errors', facts({ capacity: 1, sold: 0, outcomes: [soldOut] })).holds).toBe(
      true,
    );
    expect(
      evaluateProperty('no-errors', facts({ capacity: 1, sold: 0, outcomes: [soldOut, threw] })),
    ).toEqual({
      holds: false,
      why: "buyer 2's purchase threw (SQLSTATE 40001): could not serialize access",
    });
  });
});
