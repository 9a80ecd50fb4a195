import fc from 'fast-check';
import type { InventoryCase } from '../harness/scenarios/inventory-scenario.ts';
import { type CaseRanges, defaultCaseRanges } from './case-arbitrary.ts';

/** The first item's id; items are numbered from here, in the order the case lists them. */
export const FIRST_ITEM_ID = 201;

/**
 * Cases of the inventory scenario: 2–3 items with stock from the capacity
 * range, and buyers with carts of 1–3 lines, each line a pick among the items
 * with a quantity from the quantity range (`maxLines` lowers the 3).
 *
 * A line is drawn as a pick (an index into the items, taken modulo their
 * count) rather than an item id, and a repeated pick is dropped; so carts
 * list shared items in every order, which is what makes locking in cart order
 * deadlock, and shrinking keeps a cart's order (picks shrink towards the first
 * item, which would merge lines) only as long as the failure needs it.
 * Buyers come first so that shrinking removes buyers before it lowers stock.
 */
export function inventoryCaseArbitrary(
  ranges: CaseRanges = defaultCaseRanges,
  { maxLines = 3 }: { readonly maxLines?: number } = {},
): fc.Arbitrary<InventoryCase> {
  const line = fc.record({ pick: fc.nat({ max: 2 }), quantity: fc.integer(ranges.quantity) });
  return fc
    .record({
      carts: fc.array(fc.array(line, { minLength: 1, maxLength: maxLines }), {
        minLength: ranges.buyers.min,
        maxLength: ranges.buyers.max,
      }),
      stock: fc.array(fc.integer(ranges.capacity), { minLength: 2, maxLength: 3 }),
    })
    .map(({ carts, stock }) => inventoryCase(stock, carts));
}

/** Builds a case from stock per item and carts of picks (indices into the items). */
export function inventoryCase(
  stock: readonly number[],
  carts: readonly (readonly { readonly pick: number; readonly quantity: number }[])[],
): InventoryCase {
  const items = stock.map((units, index) => ({ id: FIRST_ITEM_ID + index, stock: units }));
  return {
    items,
    buyers: carts.map((cart, index) => {
      const lines: { itemId: number; quantity: number }[] = [];
      for (const { pick, quantity } of cart) {
        const itemId = items[pick % items.length]!.id;
        if (!lines.some((line) => line.itemId === itemId)) lines.push({ itemId, quantity });
      }
      return { id: index + 1, lines };
    }),
  };
}
