import type { InventoryCase } from '../harness/scenarios/inventory-scenario.ts';
import type { ScenarioCase } from '../harness/scenarios/scenario.ts';
import type { TicketCase } from '../harness/scenarios/tickets-scenario.ts';
import type { CaseRanges } from './case-ranges.ts';

/** A case smaller than a given one, made of some of its buyers with no more stock and no more units. */
export interface SmallerCase {
  readonly kase: ScenarioCase;
  /** The given case's id of each buyer of `kase`, in order: buyer i + 1 was buyer kept[i]. */
  readonly kept: readonly number[];
  /** See {@link caseSize}. */
  readonly size: number;
}

/**
 * How big a case is: its stock plus its buyers plus the units they ask for.
 * Null for a case of a shape this file does not know (its buyers are then
 * left as fast-check shrank them).
 */
export function caseSize(kase: ScenarioCase): number | null {
  const shape = shapeOf(kase);
  return shape === null ? null : sizeOf(shape.stock, shape.carts);
}

/**
 * Every case inside the ranges that keeps some of the buyers of `kase` (in
 * order, numbered again from 1), each asking for no more than it did (in the
 * inventory scenario, a cart may also lose lines, and an item no cart asks
 * for may go, down to two items), against no more stock, and that is smaller
 * than `kase` (see {@link caseSize}): smallest first; of one size, fewer
 * buyers first, then fewer items, then less stock. Lazy: a search stops when
 * it has found what it wants, long before the last.
 *
 * fast-check shrinks one number at a time and keeps a step only when the case
 * still fails on its own, so it stops at a case like "capacity 2, buyers
 * wanting 1 and 2" when only "capacity 1, 1 and 1" fails as well: both
 * numbers must go down at once. Trying every smaller case in order of size
 * finds it.
 */
export function* smallerCases(kase: ScenarioCase, ranges: CaseRanges): Generator<SmallerCase> {
  const shape = shapeOf(kase);
  if (shape === null) return;
  const limit = sizeOf(shape.stock, shape.carts);
  const minStock = (units: number) => Math.min(ranges.capacity.min, units);
  const minQuantity = Math.min(ranges.quantity.min, ...shape.carts.flat().map((line) => line.quantity));
  const fewestBuyers = Math.max(1, Math.min(ranges.buyers.min, shape.carts.length));
  const fewestStocks = Math.min(shape.fewestStocks, shape.stock.length);
  // A lower bound: the search starts there and finds nothing until the first real size.
  const smallest = fewestStocks * Math.min(...shape.stock.map(minStock)) + fewestBuyers * (1 + minQuantity);
  const variants = new Map<string, { weight: number; lines: Line[] }[]>();
  const variantsOf = (buyer: number, stocks: readonly number[]) => {
    const key = `${buyer} ${stocks.join(',')}`;
    let found = variants.get(key);
    if (!found) {
      const keys = new Set(stocks.map((index) => shape.keys[index]));
      const lines = shape.carts[buyer]!.filter((line) => keys.has(line.key));
      // A cart whose every line asks for an item left out has no variant: that case is not made.
      found = lines.length === 0 ? [] : cartVariants(lines, ranges.quantity.min, shape.linesMayGo);
      variants.set(key, found);
    }
    return found;
  };
  for (let size = smallest; size < limit; size++) {
    for (let count = fewestBuyers; count <= shape.carts.length; count++) {
      for (const kept of combinations(shape.carts.length, count)) {
        for (let stockCount = fewestStocks; stockCount <= shape.stock.length; stockCount++) {
          for (const stocks of combinations(shape.stock.length, stockCount)) {
            const carts = kept.map((buyer) => variantsOf(buyer, stocks));
            if (carts.some((options) => options.length === 0)) continue;
            const components: { weight: number; value: number | Line[] }[][] = [
              ...stocks.map((index) => {
                const units = shape.stock[index]!;
                return span(minStock(units), units).map((value) => ({ weight: value, value }));
              }),
              ...carts.map((options) =>
                options.map((variant) => ({ weight: variant.weight, value: variant.lines })),
              ),
            ];
            for (const values of exactly(components, size)) {
              yield {
                kase: shape.build(
                  stocks,
                  values.slice(0, stocks.length) as number[],
                  values.slice(stocks.length) as Line[][],
                ),
                kept: kept.map((index) => index + 1),
                size,
              };
            }
          }
        }
      }
    }
  }
}

interface Line {
  readonly key: number;
  readonly quantity: number;
}

/** A case as stock per key and one cart of lines per buyer, and how to make one like it again. */
interface Shape {
  readonly stock: readonly number[];
  /** The key of each stock: what a line's `key` names. */
  readonly keys: readonly number[];
  /** Fewest stocks a smaller case keeps (the stocks no kept line asks for may go, down to this). */
  readonly fewestStocks: number;
  readonly carts: readonly (readonly Line[])[];
  /** Whether a cart may lose lines (inventory) or has exactly one (tickets). */
  readonly linesMayGo: boolean;
  /** The case with the stocks at these indices, holding `stock` units each, and these carts. */
  readonly build: (
    stocks: readonly number[],
    stock: readonly number[],
    carts: readonly (readonly Line[])[],
  ) => ScenarioCase;
}

function shapeOf(kase: ScenarioCase): Shape | null {
  if (isTicketCase(kase)) {
    return {
      stock: [kase.capacity],
      keys: [0],
      fewestStocks: 1,
      carts: kase.buyers.map((buyer) => [{ key: 0, quantity: buyer.quantity }]),
      linesMayGo: false,
      build: (_, stock, carts): TicketCase => ({
        capacity: stock[0]!,
        buyers: carts.map((cart, index) => ({ id: index + 1, quantity: cart[0]!.quantity })),
      }),
    };
  }
  if (isInventoryCase(kase)) {
    return {
      stock: kase.items.map((item) => item.stock),
      keys: kase.items.map((item) => item.id),
      // The inventory scenario draws two or three items.
      fewestStocks: 2,
      carts: kase.buyers.map((buyer) =>
        buyer.lines.map((line) => ({ key: line.itemId, quantity: line.quantity })),
      ),
      linesMayGo: true,
      build: (stocks, stock, carts): InventoryCase => ({
        items: stocks.map((index, at) => ({ id: kase.items[index]!.id, stock: stock[at]! })),
        buyers: carts.map((cart, index) => ({
          id: index + 1,
          lines: cart.map((line) => ({ itemId: line.key, quantity: line.quantity })),
        })),
      }),
    };
  }
  return null;
}

function isTicketCase(kase: ScenarioCase): kase is TicketCase {
  const candidate = kase as Partial<TicketCase>;
  return (
    typeof candidate.capacity === 'number' &&
    kase.buyers.every((buyer) => typeof (buyer as { quantity?: unknown }).quantity === 'number')
  );
}

function isInventoryCase(kase: ScenarioCase): kase is InventoryCase {
  const candidate = kase as Partial<InventoryCase>;
  return (
    Array.isArray(candidate.items) &&
    kase.buyers.every((buyer) => Array.isArray((buyer as { lines?: unknown }).lines))
  );
}

function sizeOf(stock: readonly number[], carts: readonly (readonly Line[])[]): number {
  const units = carts.reduce((sum, cart) => sum + cart.reduce((lines, line) => lines + line.quantity, 0), 0);
  return stock.reduce((sum, value) => sum + value, 0) + carts.length + units;
}

/** low, low + 1, …, high. */
function span(low: number, high: number): number[] {
  return Array.from({ length: high - low + 1 }, (_, index) => low + index);
}

/** A buyer's possible carts, lightest first; weight = 1 (the buyer) + its units. */
function cartVariants(
  cart: readonly Line[],
  minQuantity: number,
  linesMayGo: boolean,
): { weight: number; lines: Line[] }[] {
  if (cart.length === 0) return [{ weight: 1, lines: [] }];
  const variants: { weight: number; lines: Line[] }[] = [];
  const subsets = linesMayGo ? (1 << cart.length) - 1 : 1;
  for (let mask = 1; mask <= subsets; mask++) {
    const lines = linesMayGo ? cart.filter((_, index) => (mask >> index) & 1) : [...cart];
    const choices = lines.map((line) => span(Math.min(minQuantity, line.quantity), line.quantity));
    for (const quantities of product(choices)) {
      variants.push({
        weight: 1 + quantities.reduce((sum, quantity) => sum + quantity, 0),
        lines: lines.map((line, index) => ({ key: line.key, quantity: quantities[index]! })),
      });
    }
  }
  // Stable: of one weight, the variants keep the order they were made in.
  return variants.sort((a, b) => a.weight - b.weight);
}

function* product(choices: readonly (readonly number[])[]): Generator<number[]> {
  if (choices.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = choices;
  for (const value of first!) for (const tail of product(rest)) yield [value, ...tail];
}

/** The ways to pick `count` of `total` indices, in lexicographic order. */
function* combinations(total: number, count: number, from = 0): Generator<number[]> {
  if (count === 0) {
    yield [];
    return;
  }
  for (let index = from; index <= total - count; index++) {
    for (const tail of combinations(total, count - 1, index + 1)) yield [index, ...tail];
  }
}

/** One option of each component, in order, whose weights add up to `target`. */
function* exactly<Value>(
  components: readonly (readonly { weight: number; value: Value }[])[],
  target: number,
): Generator<Value[]> {
  // The lightest and heaviest the components from each index on can weigh, to prune early.
  const lightest: number[] = [];
  const heaviest: number[] = [];
  lightest[components.length] = 0;
  heaviest[components.length] = 0;
  for (let index = components.length - 1; index >= 0; index--) {
    const weights = components[index]!.map((option) => option.weight);
    lightest[index] = lightest[index + 1]! + Math.min(...weights);
    heaviest[index] = heaviest[index + 1]! + Math.max(...weights);
  }
  function* from(index: number, left: number): Generator<Value[]> {
    if (left < lightest[index]! || left > heaviest[index]!) return;
    if (index === components.length) {
      yield [];
      return;
    }
    for (const option of components[index]!) {
      for (const tail of from(index + 1, left - option.weight)) yield [option.value, ...tail];
    }
  }
  yield* from(0, target);
}
