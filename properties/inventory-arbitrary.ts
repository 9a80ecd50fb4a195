import fc from 'fast-check';
import type { InventoryCase } from '../harness/scenarios/inventory-scenario.ts';
import { type CaseRanges, defaultCaseRanges } from './case-arbitrary.ts';

/** The first item's id; items are numbered from here, in the order the case lists them. */
export const FIRST_ITEM_ID = 201;

/** How a cart is drawn: a walk around the items, so that carts list shared items in either order. */
export interface CartWalk {
  /** The index of the cart's first item (taken modulo the number of items). */
  readonly start: number;
  /** Walk towards lower indices instead of higher ones. */
  readonly backwards: boolean;
  /** Units per line; the cart has one line per entry, at most one per item. */
  readonly quantities: readonly number[];
}

/**
 * Cases of the inventory scenario: 2–3 items with stock from the capacity
 * range, and buyers whose carts hold 1–3 lines (`maxLines` lowers the 3)
 * with quantities from the quantity range.
 *
 * A cart is a walk around the items from a start, forwards or backwards,
 * wrapping: every ordered choice of distinct items is some walk, and two
 * buyers walking in opposite directions share items in opposite orders —
 * what makes locking in cart order deadlock — half the time. Buyers come
 * first so that shrinking removes buyers before it lowers stock; a walk
 * shrinks towards one line on the first item.
 */
export function inventoryCaseArbitrary(
  ranges: CaseRanges = defaultCaseRanges,
  { maxLines = 3 }: { readonly maxLines?: number } = {},
): fc.Arbitrary<InventoryCase> {
  const walk = fc.record({
    start: fc.nat({ max: 2 }),
    backwards: fc.boolean(),
    quantities: fc.array(fc.integer(ranges.quantity), { minLength: 1, maxLength: maxLines }),
  });
  return fc
    .record({
      carts: fc.array(walk, { minLength: ranges.buyers.min, maxLength: ranges.buyers.max }),
      stock: fc.array(fc.integer(ranges.capacity), { minLength: 2, maxLength: 3 }),
    })
    .map(({ carts, stock }) => inventoryCase(stock, carts));
}

/** Builds a case from stock per item and one walk per buyer. */
export function inventoryCase(stock: readonly number[], carts: readonly CartWalk[]): InventoryCase {
  const items = stock.map((units, index) => ({ id: FIRST_ITEM_ID + index, stock: units }));
  const count = items.length;
  return {
    items,
    buyers: carts.map((cart, index) => ({
      id: index + 1,
      lines: cart.quantities.slice(0, count).map((quantity, step) => {
        const offset = cart.backwards ? count - (step % count) : step;
        return { itemId: items[(cart.start + offset) % count]!.id, quantity };
      }),
    })),
  };
}
