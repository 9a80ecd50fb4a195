import { defineStrategy, type InventoryContext, type InventoryRequest } from 'oversold';

/**
 * SELECT … FOR UPDATE per line, in the order the cart lists them.
 *
 * Idea: lock each item's row while reading its stock, check every line, then
 * decrement and write the order, all in one transaction.
 * Breaks (for customers, not for stock): two carts that share items in
 * different orders lock them in different orders. Buyer 1 holds item 201 and
 * waits for 202; buyer 2 holds 202 and waits for 201. PostgreSQL finds the
 * cycle after deadlock_timeout and fails one of them with 40P01
 * (deadlock_detected); that buyer's purchase throws although stock was there.
 * Stock is never oversold: every check happens under the row lock.
 * Fix: take the locks in one global order (sort the lines by item id), as
 * lock-in-item-order.ts does, or retry on 40P01.
 */
export default defineStrategy<InventoryRequest, InventoryContext>({
  name: 'lock-in-cart-order',
  description: 'Locks each cart line with FOR UPDATE in cart order: deadlocks (40P01), never oversells.',
  scenario: 'inventory',
  expect: { 'no-errors': false },
  async purchase(db, { buyerId, lines }) {
    await db.query('BEGIN');
    try {
      for (const line of lines) {
        const { rows } = await db.query<{ stock: number }>(
          'SELECT stock FROM items WHERE item_id = $1 FOR UPDATE',
          [line.itemId],
        );
        if (rows[0]!.stock < line.quantity) {
          await db.query('ROLLBACK');
          return 'sold-out';
        }
      }
      const order = await db.query<{ order_id: string }>(
        'INSERT INTO orders (buyer_id) VALUES ($1) RETURNING order_id',
        [buyerId],
      );
      for (const line of lines) {
        await db.query('UPDATE items SET stock = stock - $2 WHERE item_id = $1', [
          line.itemId,
          line.quantity,
        ]);
        await db.query('INSERT INTO order_lines (order_id, item_id, quantity) VALUES ($1, $2, $3)', [
          order.rows[0]!.order_id,
          line.itemId,
          line.quantity,
        ]);
      }
      await db.query('COMMIT');
      return 'purchased';
    } catch (error) {
      // A failed statement (the deadlock victim's) leaves the transaction aborted: end it, then report.
      await db.query('ROLLBACK');
      throw error;
    }
  },
});
