import { inventoryCaseArbitrary } from '../../properties/inventory-arbitrary.ts';
import { StrategyLoadError } from '../engine/errors.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import type { SetupDb } from '../strategy/strategy.ts';
import {
  DECOY_ITEM_ID,
  describeCarts,
  type InventoryCase,
  parseInventoryCase,
} from './inventory-scenario.ts';
import type { Measurement, Scenario } from './scenario.ts';

/** One product's starting stock, as seed() receives it. */
export interface ProductStock {
  readonly productId: number;
  readonly stock: number;
}

/** A buyer's cart in your own schema's terms: product ids, in the order the buyer added them. */
export interface ProductCart {
  readonly buyerId: number;
  readonly lines: readonly { readonly productId: number; readonly quantity: number }[];
}

/**
 * A scenario module: your own tables, how a generated case becomes rows, and
 * how to count what was sold. Its default export; see the README's "Your own
 * schema".
 */
export interface ScenarioDefinition<Request = ProductCart> {
  /** SQL files, relative to the module, run in order once per strategy schema. */
  readonly migrations?: readonly string[];
  /** SQL text run after the migrations (or instead of them). */
  readonly schema?: string;
  /**
   * Puts the tables in the case's starting state before every run: remove
   * what the last run left (reservations, orders) and give each product its
   * stock. `products` includes one product that no buyer asks for; it must
   * not sell.
   */
  seed(db: SetupDb, context: { readonly products: readonly ProductStock[] }): Promise<void>;
  /**
   * A query over your tables returning one row per product and buyer that
   * holds units of it, with the columns `product`, `buyer` and `units`
   * (alias them). Units sold per product are the sum of `units`.
   */
  readonly unitsSold: string;
  /** What purchase() receives; defaults to the cart itself, `{ buyerId, lines: [{ productId, quantity }] }`. */
  request?(cart: ProductCart): Request;
  /** Lines per cart, 1 to 3 (default 3); 1 for a purchase that takes one product. */
  readonly maxLines?: 1 | 2 | 3;
}

/** Identity function that gives a scenario module its types. */
export function defineScenario<Request = ProductCart>(
  definition: ScenarioDefinition<Request>,
): ScenarioDefinition<Request> {
  return definition;
}

export interface CustomScenarioSource {
  /** The module's path as reports show it; also the scenario's registry name. */
  readonly file: string;
  readonly definition: ScenarioDefinition<unknown>;
  /** The migration files' contents in order, then `schema`. */
  readonly migrationSql: readonly string[];
}

/**
 * Adapts a scenario module to the engine's {@link Scenario}. The generated
 * case is the inventory scenario's (products with stock, carts of lines).
 *
 * The migrations run in the first seed of each strategy schema rather than as
 * `schemaSql`, so that a failing migration or counting query is reported as
 * this module's mistake, in one line, before any buyer runs.
 */
export function customScenario(source: CustomScenarioSource): Scenario<InventoryCase, unknown> {
  const { file, definition } = source;
  const prepared = new WeakSet<SqlSession>();
  // Per strategy schema (one control session each), the seed inputs whose
  // result has been checked to start with nothing sold.
  const checkedSeeds = new WeakMap<SqlSession, Set<string>>();
  const cartOf = (kase: InventoryCase, buyerId: number): ProductCart => ({
    buyerId,
    lines: (kase.buyers.find((buyer) => buyer.id === buyerId)?.lines ?? []).map((line) => ({
      productId: line.itemId,
      quantity: line.quantity,
    })),
  });
  const fail = (what: string, error: unknown, fix: string): never => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StrategyLoadError(file, `${what} (${oneLine(reason)}): ${fix}`, { cause: error });
  };
  const soldSql = `SELECT product::int AS product, buyer::int AS buyer, units::int AS units FROM (${definition.unitsSold.trim().replace(/;+$/, '')}\n) AS sold`;

  const querySold = async (session: SqlSession): Promise<SoldRow[]> => {
    const result = await session
      .query(soldSql)
      .catch((error: unknown) =>
        fail(
          'its unitsSold query fails',
          error,
          'fix it so it returns the columns product, buyer and units (one row per product and buyer holding units)',
        ),
      );
    return result.rows as SoldRow[];
  };

  const prepare = async (session: SqlSession): Promise<void> => {
    for (const [index, sql] of source.migrationSql.entries()) {
      const name = definition.migrations?.[index] ?? 'schema';
      await session
        .query(sql)
        .catch((error: unknown) =>
          fail(
            `its migration ${name} fails`,
            error,
            'fix the SQL so it runs on an empty schema (use unqualified table names; oversold sets search_path to a fresh schema)',
          ),
        );
    }
  };

  const scenario: Scenario<InventoryCase, unknown> = {
    name: file,
    // pg_dump does the same when it restores: a `.sql` strategy's LANGUAGE sql
    // function may name tables the migrations have not created yet (they run
    // at the first seed, after the strategy's SQL is installed).
    schemaSql: 'SET check_function_bodies = off',
    // A `.sql` strategy gets the request (whatever shape request() gives it) as JSON.
    sqlSignature: 'purchase(p_request jsonb) RETURNS text',
    sqlProcedure: 'purchase(jsonb)',

    async seed(session, kase) {
      if (!prepared.has(session)) {
        await prepare(session);
        prepared.add(session);
      }
      const products = [
        ...kase.items.map((item) => ({ productId: item.id, stock: item.stock })),
        { productId: DECOY_ITEM_ID, stock: 100 },
      ];
      await definition
        .seed({ query: (text, params) => session.query(text, params ?? []) as never }, { products })
        .catch((error: unknown) =>
          fail(
            'its seed() fails',
            error,
            'fix it so it removes what the last run left and gives each product its stock',
          ),
        );
      // A run is judged by what unitsSold counts afterwards, so it must count
      // nothing now, or a correct strategy is blamed for the seed's rows. One
      // query for each distinct seed input (and the first also checks the
      // query itself, before any buyer runs): a seed that keeps earlier orders
      // shows up as soon as the stock changes between runs.
      const seedInput = JSON.stringify(products);
      const checked = checkedSeeds.get(session) ?? new Set<string>();
      checkedSeeds.set(session, checked);
      if (!checked.has(seedInput)) {
        const leftover = soldPerProduct(await querySold(session));
        if (leftover.length > 0) {
          throw new StrategyLoadError(
            file,
            `its seed() left ${describeLeftover(leftover)} already sold: make seed() delete earlier orders (unitsSold must be 0 right after seed)`,
          );
        }
        checked.add(seedInput);
      }
    },

    request(kase, buyerId) {
      const cart = cartOf(kase, buyerId);
      return definition.request ? definition.request(cart) : cart;
    },

    setupContext(kase) {
      return { products: kase.items.map((item) => ({ productId: item.id, stock: item.stock })) };
    },

    wants(kase, buyerId) {
      return new Map(cartOf(kase, buyerId).lines.map((line) => [String(line.productId), line.quantity]));
    },

    async measure(session, kase): Promise<Measurement> {
      const rows = await querySold(session);
      const known = new Set(kase.items.map((item) => item.id));
      const buyers = new Set(kase.buyers.map((buyer) => buyer.id));
      const sold = new Map<number, number>();
      const holdings = new Map<number, Map<string, number>>();
      const strayChanges: string[] = [];
      for (const row of rows) {
        if (row.units === 0) continue;
        if (!known.has(row.product)) {
          strayChanges.push(
            `${row.units} unit(s) of product ${row.product}, which no buyer asked for, were sold`,
          );
          continue;
        }
        sold.set(row.product, (sold.get(row.product) ?? 0) + row.units);
        if (!buyers.has(row.buyer)) {
          strayChanges.push(
            `${row.units} unit(s) of product ${row.product} went to buyer ${row.buyer}, who did not take part`,
          );
          continue;
        }
        const mine = holdings.get(row.buyer) ?? new Map<string, number>();
        mine.set(String(row.product), (mine.get(String(row.product)) ?? 0) + row.units);
        holdings.set(row.buyer, mine);
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
      return { text: 'SELECT purchase($1::jsonb) AS outcome', params: [JSON.stringify(request)] };
    },

    caseArbitrary(ranges) {
      return inventoryCaseArbitrary(ranges, { maxLines: definition.maxLines ?? 3 });
    },

    replayCase() {
      throw new Error(
        `scenario ${file} replays a whole case: pass --case '<json>' as the counterexample's replay command does`,
      );
    },

    parseCase: parseInventoryCase,

    replayArgs(kase) {
      return ['--case', JSON.stringify(kase)];
    },

    describe(kase) {
      return describeCarts(kase, 'product');
    },
  };
  return scenario;
}

/** One row of a scenario's unitsSold query, after oversold's casts. */
type SoldRow = { readonly product: number; readonly buyer: number; readonly units: number };

/** Units counted as sold, per product, products in order; none when nothing is sold. */
function soldPerProduct(rows: readonly SoldRow[]): [product: number, units: number][] {
  const sold = new Map<number, number>();
  for (const row of rows) sold.set(row.product, (sold.get(row.product) ?? 0) + row.units);
  return [...sold].filter(([, units]) => units !== 0).sort(([a], [b]) => a - b);
}

/** "3 units for product 1", "1 unit for product 1, 2 for product 5". */
function describeLeftover(leftover: readonly [product: number, units: number][]): string {
  return leftover
    .map(
      ([product, units], index) =>
        `${units}${index === 0 ? ` unit${units === 1 ? '' : 's'}` : ''} for product ${product}`,
    )
    .join(', ');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
