import { test } from '@fast-check/vitest';
import {
  expectNoOversell,
  openStrategyRunner,
  type StrategyRunner,
  scheduleArbitrary,
  ticketCaseArbitrary,
} from 'oversold';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const checkout = new URL('./checkout.ts', import.meta.url);

describe('checkout', () => {
  it('never sells more tickets than exist', async () => {
    // Fails with the smallest interleaving that oversells: a timeline with
    // one column per buyer and the `oversold replay …` command.
    await expectNoOversell(checkout, { runs: 50, seed: 42 });
  });

  describe('in any interleaving', () => {
    let runner: StrategyRunner;
    beforeAll(async () => {
      runner = await openStrategyRunner(checkout);
    });
    afterAll(() => runner.close());

    const ranges = {
      capacity: { min: 1, max: 3 },
      buyers: { min: 2, max: 3 },
      quantity: { min: 1, max: 2 },
    };

    test.prop([ticketCaseArbitrary(ranges), scheduleArbitrary(ranges.buyers.max)], { numRuns: 40, seed: 42 })(
      'units sold are exactly what the buyers were told they bought',
      async (kase, choices) => {
        const run = await runner.run(kase, choices);
        const promised = kase.buyers
          .filter((buyer) => run.outcomes[buyer.id] === 'purchased')
          .reduce((units, buyer) => units + buyer.quantity, 0);
        expect(run.sold, run.explain()).toBe(promised);
        expect(run.sold, run.explain()).toBeLessThanOrEqual(kase.capacity);
      },
    );
  });
});
