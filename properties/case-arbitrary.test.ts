import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooserFromChoices, scheduleArbitrary, ticketCaseArbitrary } from './case-arbitrary.ts';

const range = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }))
  .map(([min, extra]) => ({ min, max: min + extra }));

describe('case and schedule arbitraries', () => {
  it('draw cases inside the ranges, buyers numbered from 1', () => {
    fc.assert(
      fc.property(range, range, range, fc.integer(), (capacity, buyers, quantity, seed) => {
        const [kase] = fc.sample(ticketCaseArbitrary({ capacity, buyers, quantity }), { seed, numRuns: 1 });
        expect(kase!.capacity).toBeGreaterThanOrEqual(capacity.min);
        expect(kase!.capacity).toBeLessThanOrEqual(capacity.max);
        expect(kase!.buyers.length).toBeGreaterThanOrEqual(buyers.min);
        expect(kase!.buyers.length).toBeLessThanOrEqual(buyers.max);
        expect(kase!.buyers.map((buyer) => buyer.id)).toEqual(kase!.buyers.map((_, index) => index + 1));
        for (const buyer of kase!.buyers) {
          expect(buyer.quantity).toBeGreaterThanOrEqual(quantity.min);
          expect(buyer.quantity).toBeLessThanOrEqual(quantity.max);
        }
      }),
    );
  });

  it('always pick a ready buyer, and the lowest one once the choices run out', () => {
    fc.assert(
      fc.property(
        scheduleArbitrary(4),
        fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1 }).map((ids) => ids.sort()),
        fc.nat(60),
        (choices, ready, index) => {
          const id = chooserFromChoices(choices)(index, ready);
          expect(ready).toContain(id);
          if (index >= choices.length) expect(id).toBe(ready[0]);
        },
      ),
    );
  });

  it('shrink a failure to the fewest buyers and the smallest stock', () => {
    // A stand-in property that fails whenever two buyers compete for the stock.
    const details = fc.check(
      fc.property(
        ticketCaseArbitrary({
          capacity: { min: 1, max: 5 },
          buyers: { min: 2, max: 6 },
          quantity: { min: 1, max: 3 },
        }),
        (kase) => {
          return kase.buyers.length < 2;
        },
      ),
      { seed: 1 },
    );
    expect(details.failed).toBe(true);
    expect(details.counterexample![0]).toEqual({
      capacity: 1,
      buyers: [
        { id: 1, quantity: 1 },
        { id: 2, quantity: 1 },
      ],
    });
  });
});
