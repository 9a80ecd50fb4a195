import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInventoryCase } from '../harness/scenarios/inventory-scenario.ts';
import { FIRST_ITEM_ID, inventoryCase, inventoryCaseArbitrary } from './inventory-arbitrary.ts';

const ranges = { capacity: { min: 1, max: 4 }, buyers: { min: 2, max: 4 }, quantity: { min: 1, max: 3 } };

describe('inventory cases', () => {
  it('stay within the ranges: 2–3 items, carts of 1–3 distinct items, buyers numbered from 1', () => {
    fc.assert(
      fc.property(inventoryCaseArbitrary(ranges), (kase) => {
        expect(kase.items.length).toBeGreaterThanOrEqual(2);
        expect(kase.items.length).toBeLessThanOrEqual(3);
        const ids = kase.items.map((item) => item.id);
        for (const item of kase.items) expect(item.stock).toBeGreaterThanOrEqual(1);
        expect(kase.buyers.map((buyer) => buyer.id)).toEqual(kase.buyers.map((_, index) => index + 1));
        for (const buyer of kase.buyers) {
          const items = buyer.lines.map((line) => line.itemId);
          expect(new Set(items).size).toBe(items.length);
          expect(items.length).toBeGreaterThanOrEqual(1);
          for (const line of buyer.lines) {
            expect(ids).toContain(line.itemId);
            expect(line.quantity).toBeGreaterThanOrEqual(1);
            expect(line.quantity).toBeLessThanOrEqual(3);
          }
        }
      }),
    );
  });

  it('include carts that share items in opposite orders (what makes cart-order locking deadlock)', () => {
    const crossed = fc.sample(inventoryCaseArbitrary(ranges), { numRuns: 200, seed: 1 }).filter((kase) =>
      kase.buyers.some((a) =>
        kase.buyers.some((b) => {
          const order = (lines: typeof a.lines) => lines.map((line) => line.itemId);
          const [x, y] = [order(a.lines), order(b.lines)];
          return x.some((first, i) =>
            x.some((second, j) => i < j && y.indexOf(second) >= 0 && y.indexOf(second) < y.indexOf(first)),
          );
        }),
      ),
    );
    expect(crossed.length).toBeGreaterThan(20);
  });

  it('walk around the items from a start, either way, one line per item at most', () => {
    const lines = (start: number, backwards: boolean, quantities: number[]) =>
      inventoryCase([1, 1, 1], [{ start, backwards, quantities }]).buyers[0]?.lines.map((line) => [
        line.itemId - FIRST_ITEM_ID,
        line.quantity,
      ]);
    expect(lines(0, false, [1, 2])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(lines(0, true, [1, 2, 3])).toEqual([
      [0, 1],
      [2, 2],
      [1, 3],
    ]);
    expect(lines(2, false, [1, 1])).toEqual([
      [2, 1],
      [0, 1],
    ]);
    expect(
      inventoryCase([1, 1], [{ start: 1, backwards: false, quantities: [1, 1, 1] }]).buyers[0]?.lines,
    ).toEqual([
      { itemId: FIRST_ITEM_ID + 1, quantity: 1 },
      { itemId: FIRST_ITEM_ID, quantity: 1 },
    ]);
  });

  it('survive the round trip through replay --case', () => {
    fc.assert(
      fc.property(inventoryCaseArbitrary(ranges), (kase) => {
        expect(parseInventoryCase(JSON.parse(JSON.stringify(kase)))).toEqual(kase);
      }),
    );
  });

  it('refuse a --case that names an unknown item, with the shape to use', () => {
    expect(() =>
      parseInventoryCase({
        items: [{ id: 201, stock: 1 }],
        buyers: [{ id: 1, lines: [{ itemId: 205, quantity: 1 }] }],
      }),
    ).toThrow(
      /^--case buyer 1 has a line whose "itemId" is not one of the items: give the case as JSON like \{"items"/,
    );
    expect(() => parseInventoryCase([])).toThrow(/--case has no "items" list/);
  });
});
