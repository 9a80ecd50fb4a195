import { defineStrategy } from 'oversold';
import type { Checkout } from '../shop.scenario.ts';

/**
 * The shop's checkout, done right: one guarded UPDATE per basket line, in
 * product-id order, inside one transaction.
 *
 * `UPDATE stock_levels SET reserved = reserved + q WHERE product_id = $1 AND
 * on_hand - reserved >= q` checks and reserves in one statement; a concurrent
 * checkout of the same product waits for the row lock, then PostgreSQL
 * re-checks the condition on the new row (EvalPlanQual). No row updated means
 * the product ran out: roll the whole basket back. Locking in product-id
 * order means two baskets never wait on each other in a cycle.
 */
export default defineStrategy<Checkout, unknown>({
  name: 'shop-reserve-guarded',
  description: 'Guarded UPDATE of stock_levels per line, in product order; no row means sold out.',
  scenario: '../shop.scenario.ts',
  async purchase(db, { customerId, basket }) {
    const lines = [...basket].sort((a, b) => a.productId - b.productId);
    await db.query('BEGIN');
    try {
      for (const line of lines) {
        const reserved = await db.query(
          `UPDATE stock_levels SET reserved = reserved + $2, updated_at = now()
            WHERE product_id = $1 AND on_hand - reserved >= $2`,
          [line.productId, line.quantity],
        );
        if (reserved.rowCount !== 1) {
          await db.query('ROLLBACK');
          return 'sold-out';
        }
        await db.query('INSERT INTO reservations (customer_id, product_id, quantity) VALUES ($1, $2, $3)', [
          customerId,
          line.productId,
          line.quantity,
        ]);
      }
      await db.query('COMMIT');
      return 'purchased';
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    }
  },
});
