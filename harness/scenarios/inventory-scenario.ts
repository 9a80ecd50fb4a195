import { inventoryCaseArbitrary } from '../../properties/inventory-arbitrary.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import type { Measurement, Scenario } from './scenario.ts';

export interface InventoryLine {
  readonly itemId: number;
  readonly quantity: number;
}

/** Items with stock, and what each buyer's cart holds, in cart order. */
export interface InventoryCase {
  readonly items: readonly { readonly id: number; readonly stock: number }[];
  readonly buyers: readonly { readonly id: number; readonly lines: readonly InventoryLine[] }[];
}

/** What purchase() receives in the inventory scenario. */
export interface InventoryRequest {
  readonly buyerId: number;
  /** The cart, in the order the buyer put things in it (not sorted). */
  readonly lines: readonly InventoryLine[];
}

/** What setup() receives in the inventory scenario. */
export interface InventoryContext {
  readonly items: readonly { readonly itemId: number; readonly stock: number }[];
}

/** An item that no buyer asks for: it must not change. */
export const DECOY_ITEM_ID = 299;
const DECOY_STOCK = 100;

const schemaSql = `
CREATE TABLE items (
  item_id int PRIMARY KEY,
  stock   int NOT NULL
);
CREATE TABLE orders (
  order_id bigserial PRIMARY KEY,
  buyer_id int NOT NULL
);
CREATE TABLE order_lines (
  order_id bigint NOT NULL REFERENCES orders,
  item_id  int NOT NULL REFERENCES items,
  quantity int NOT NULL
);
INSERT INTO items VALUES (${DECOY_ITEM_ID}, ${DECOY_STOCK});
`;

/**
 * The e-commerce case: several items, orders with several lines. Units sold
 * of an item = SUM(order_lines.quantity) of its lines; the four properties
 * hold per item. See SPEC.md.
 */
export const inventoryScenario: Scenario<InventoryCase, InventoryRequest> = {
  name: 'inventory',
  schemaSql,
  sqlSignature: 'purchase_order(p_buyer_id int, p_lines jsonb) RETURNS text',
  sqlProcedure: 'purchase_order(int,jsonb)',

  async seed(session: SqlSession, kase: InventoryCase): Promise<void> {
    // Same starting state every run, order ids included, so traces repeat exactly.
    const rows = [...kase.items, { id: DECOY_ITEM_ID, stock: DECOY_STOCK }]
      .map((item) => `(${item.id | 0}, ${item.stock | 0})`)
      .join(', ');
    const ids = [...kase.items.map((item) => item.id | 0), DECOY_ITEM_ID].join(', ');
    await session.query(
      `DELETE FROM order_lines;
       DELETE FROM orders;
       SELECT setval(pg_get_serial_sequence('orders', 'order_id'), 1, false);
       DELETE FROM items WHERE item_id NOT IN (${ids});
       INSERT INTO items VALUES ${rows} ON CONFLICT (item_id) DO UPDATE SET stock = EXCLUDED.stock`,
    );
  },

  request(kase, buyerId) {
    return { buyerId, lines: cartOf(kase, buyerId) };
  },

  setupContext(kase): Record<string, unknown> {
    const context: InventoryContext = {
      items: kase.items.map((item) => ({ itemId: item.id, stock: item.stock })),
    };
    return { ...context };
  },

  wants(kase, buyerId) {
    return new Map(cartOf(kase, buyerId).map((line) => [String(line.itemId), line.quantity]));
  },

  async measure(session: SqlSession, kase: InventoryCase): Promise<Measurement> {
    const result = await session.query(
      `SELECT
         (SELECT coalesce(json_agg(json_build_array(buyer_id, item_id, units)), '[]') FROM
            (SELECT o.buyer_id, l.item_id, sum(l.quantity)::int AS units
               FROM order_lines AS l JOIN orders AS o USING (order_id)
              GROUP BY o.buyer_id, l.item_id) AS held) AS held,
         (SELECT stock FROM items WHERE item_id = $1) AS decoy_stock`,
      [DECOY_ITEM_ID],
    );
    const row = result.rows[0]!;
    const held = row.held as [number, number, number][];
    const known = new Set(kase.items.map((item) => item.id));
    const buyers = new Set(kase.buyers.map((buyer) => buyer.id));
    const sold = new Map<number, number>();
    const holdings = new Map<number, Map<string, number>>();
    const strayChanges: string[] = [];
    for (const [buyer, item, units] of held) {
      if (!known.has(item)) {
        strayChanges.push(`${units} unit(s) of item ${item}, which no buyer asked for, were sold`);
        continue;
      }
      sold.set(item, (sold.get(item) ?? 0) + units);
      if (!buyers.has(buyer)) {
        strayChanges.push(`${units} unit(s) of item ${item} went to buyer ${buyer}, who did not take part`);
        continue;
      }
      const mine = holdings.get(buyer) ?? new Map<string, number>();
      mine.set(String(item), units);
      holdings.set(buyer, mine);
    }
    if (row.decoy_stock !== DECOY_STOCK) {
      strayChanges.push(
        `item ${DECOY_ITEM_ID}, which no buyer asked for, changed (stock ${String(row.decoy_stock)} of ${DECOY_STOCK})`,
      );
    }
    return {
      stock: kase.items.map((item) => ({
        key: String(item.id),
        capacity: item.stock,
        sold: sold.get(item.id) ?? 0,
      })),
      holdings,
      strayChanges,
    };
  },

  sqlCall(request) {
    return {
      text: 'SELECT purchase_order($1, $2::jsonb) AS outcome',
      params: [request.buyerId, JSON.stringify(sqlLines(request.lines))],
    };
  },

  caseArbitrary: (ranges) => inventoryCaseArbitrary(ranges),

  replayCase() {
    throw new Error(
      "the inventory scenario replays a whole case: pass --case '<json>' as the counterexample's replay command does",
    );
  },

  parseCase: parseInventoryCase,

  replayArgs(kase) {
    return ['--case', JSON.stringify(kase)];
  },

  describe(kase) {
    return describeCarts(kase, 'item');
  },
};

/** One line for reports: each stock, then each buyer's cart in the order it was filled. */
export function describeCarts(kase: InventoryCase, noun: 'item' | 'product'): string {
  const stock = kase.items.map((item) => `${noun} ${item.id} stock ${item.stock}`).join(', ');
  const carts = kase.buyers
    .map(
      (buyer) =>
        `buyer ${buyer.id} buys ${buyer.lines.map((line) => `${line.itemId}×${line.quantity}`).join(' then ')}`,
    )
    .join(', ');
  return `${stock}; ${carts}`;
}

/** The lines as a `.sql` strategy's purchase_order() receives them: `[{"item_id": 201, "quantity": 1}]`. */
export function sqlLines(lines: readonly InventoryLine[]): { item_id: number; quantity: number }[] {
  return lines.map((line) => ({ item_id: line.itemId, quantity: line.quantity }));
}

function cartOf(kase: InventoryCase, buyerId: number): readonly InventoryLine[] {
  return kase.buyers.find((buyer) => buyer.id === buyerId)?.lines ?? [];
}

/** Checks a case given on the command line (`--case`), naming the first thing wrong with it. */
export function parseInventoryCase(value: unknown): InventoryCase {
  const shape = '{"items":[{"id":201,"stock":1}],"buyers":[{"id":1,"lines":[{"itemId":201,"quantity":1}]}]}';
  const fail = (what: string): never => {
    throw new Error(`--case ${what}: give the case as JSON like ${shape}`);
  };
  const record = value as Partial<Record<'items' | 'buyers', unknown>> | null;
  if (record === null || typeof record !== 'object') return fail('is not an object');
  if (!Array.isArray(record.items) || record.items.length === 0) return fail('has no "items" list');
  if (!Array.isArray(record.buyers) || record.buyers.length === 0) return fail('has no "buyers" list');
  const whole = (number: unknown, min: number): number is number =>
    Number.isSafeInteger(number) && (number as number) >= min;
  const items = record.items.map((item: { id?: unknown; stock?: unknown } | null, index) => {
    if (!whole(item?.id, 1) || !whole(item?.stock, 0) || item?.id === DECOY_ITEM_ID) {
      return fail(`item ${index + 1} needs a whole "id" (not ${DECOY_ITEM_ID}) and a whole "stock"`);
    }
    return { id: item.id as number, stock: item.stock as number };
  });
  const ids = new Set(items.map((item) => item.id));
  const buyers = record.buyers.map((buyer: { id?: unknown; lines?: unknown } | null, index) => {
    if (!whole(buyer?.id, 1) || !Array.isArray(buyer?.lines)) {
      return fail(`buyer ${index + 1} needs a whole "id" and a "lines" list`);
    }
    const lines = (buyer.lines as ({ itemId?: unknown; quantity?: unknown } | null)[]).map((line) => {
      if (!whole(line?.itemId, 1) || !ids.has(line?.itemId as number) || !whole(line?.quantity, 1)) {
        return fail(`buyer ${String(buyer.id)} has a line whose "itemId" is not one of the items`);
      }
      return { itemId: line.itemId as number, quantity: line.quantity as number };
    });
    return { id: buyer.id as number, lines };
  });
  return { items, buyers };
}
