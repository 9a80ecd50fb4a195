import { defineScenario } from 'oversold';

/** What the shop's checkout code receives: a customer and the products in their basket. */
export interface Checkout {
  readonly customerId: number;
  readonly basket: readonly { readonly productId: number; readonly quantity: number }[];
}

/**
 * The shop's own tables, as its migrations create them: products,
 * stock_levels (on_hand, reserved) and reservations. A unit is sold when a
 * reservation that is not released holds it.
 */
export default defineScenario<Checkout>({
  migrations: ['./migrations/001_products.sql', './migrations/002_reservations.sql'],

  // Before every run: no reservations, and each product with the generated stock.
  async seed(db, { products }) {
    const ids = products.map((product) => product.productId);
    const stock = products.map((product) => product.stock);
    await db.query('DELETE FROM reservations');
    await db.query('ALTER TABLE reservations ALTER COLUMN reservation_id RESTART');
    await db.query('DELETE FROM stock_levels');
    await db.query('DELETE FROM products');
    await db.query(
      `INSERT INTO products (product_id, sku, name, price_cents)
       SELECT id, 'SKU-' || id, 'Product ' || id, 1999 FROM unnest($1::int[]) AS id`,
      [ids],
    );
    await db.query(
      'INSERT INTO stock_levels (product_id, on_hand) SELECT * FROM unnest($1::int[], $2::int[])',
      [ids, stock],
    );
  },

  unitsSold: `
    SELECT product_id AS product, customer_id AS buyer, sum(quantity) AS units
      FROM reservations
     WHERE status <> 'released'
     GROUP BY product_id, customer_id`,

  request: ({ buyerId, lines }) => ({ customerId: buyerId, basket: lines }),
});
