import fc from 'fast-check';
import type { TicketCase } from '../harness/scenarios/tickets-scenario.ts';
import { type CaseRanges, defaultCaseRanges } from './case-ranges.ts';

export type { CaseRanges, Range } from './case-ranges.ts';
export { defaultCaseRanges } from './case-ranges.ts';

/**
 * Cases of the tickets scenario. Buyers come first so that shrinking removes
 * buyers before it lowers the stock: fewest buyers, then smallest stock.
 */
export function ticketCaseArbitrary(ranges: CaseRanges = defaultCaseRanges): fc.Arbitrary<TicketCase> {
  return fc
    .record({
      quantities: fc.array(fc.integer(ranges.quantity), {
        minLength: ranges.buyers.min,
        maxLength: ranges.buyers.max,
      }),
      capacity: fc.integer(ranges.capacity),
    })
    .map(({ quantities, capacity }) => ({
      capacity,
      buyers: quantities.map((quantity, index) => ({ id: index + 1, quantity })),
    }));
}

/**
 * A schedule as choices among the ready buyers: choice c at a decision
 * releases the (c mod ready)-th ready buyer in id order. Choices shrink
 * towards 0, the lowest-numbered ready buyer, which is also what happens when
 * the choices run out; so a shrunk schedule switches buyers as little as the
 * failure allows.
 */
export function scheduleArbitrary(maxBuyers: number, maxDecisions = 48): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: Math.max(0, maxBuyers - 1) }), { maxLength: maxDecisions, size: 'max' });
}

/** Turns choices into a chooser for the engine. */
export function chooserFromChoices(
  choices: readonly number[],
): (index: number, ready: readonly number[]) => number {
  return (index, ready) => ready[(choices[index] ?? 0) % ready.length]!;
}
