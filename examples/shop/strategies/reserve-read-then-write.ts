import { defineStrategy } from 'oversold';
import type { Checkout } from '../shop.scenario.ts';

/**
 * The shop's checkout, done wrong (and oversold finds it): read what is
 * available, decide in application code, then reserve.
 *
 * The SELECT takes no lock, so two customers read the same availability
 * before either commits; both reserve, and `reserved` climbs past `on_hand`.
 * The relative `reserved = reserved + $2` does not help: the decision was
 * already made on a stale number. (It does write in product order, so the
 * only thing wrong is the check.) See reserve-guarded.ts for the fix.
 */
export default defineStrategy<Checkout, unknown>({
  name: 'shop-reserve-read-then-write',
  description: 'Reads on_hand - reserved, checks in code, then reserves: oversells.',
  scenario: '../shop.scenario.ts',
  async purchase(db, { customerId, basket }) {
    await db.query('BEGIN');
    try {
      const { rows } = await db.query<{ product_id: number; available: number }>(
        'SELECT product_id, on_hand - reserved AS available FROM stock_levels WHERE product_id = ANY($1)',
        [basket.map((line) => line.productId)],
      );
      const short = basket.some(
        (line) => (rows.find((row) => row.product_id === line.productId)?.available ?? 0) < line.quantity,
      );
      if (short) {
        await db.query('ROLLBACK');
        return 'sold-out';
      }
      for (const line of [...basket].sort((a, b) => a.productId - b.productId)) {
        await db.query('UPDATE stock_levels SET reserved = reserved + $2 WHERE product_id = $1', [
          line.productId,
          line.quantity,
        ]);
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
