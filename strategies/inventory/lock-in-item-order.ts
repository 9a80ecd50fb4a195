import { defineStrategy, type InventoryContext, type InventoryRequest } from 'oversold';

/**
 * SELECT … FOR UPDATE per line, in item-id order.
 *
 * Idea: the same as lock-in-cart-order.ts, but lock the rows in one global
 * order (ascending item id), whatever order the cart lists them in.
 * Holds: a deadlock needs a cycle of waits, and waits can only point from a
 * lower-numbered lock held to a higher-numbered one wanted, so no cycle can
 * form; a buyer that waits simply waits for the holder's COMMIT, then re-reads
 * the row's new version (READ COMMITTED re-reads a locked row after the wait).
 * Every check happens under the row lock, so stock is never oversold.
 * PostgreSQL fact: `SELECT … WHERE item_id = ANY($1) ORDER BY item_id FOR
 * UPDATE` also locks in order; one statement per line keeps the steps visible.
 */
export default defineStrategy<InventoryRequest, InventoryContext>({
  name: 'lock-in-item-order',
  description: 'Locks the cart lines with FOR UPDATE in item-id order: no deadlock, no oversell.',
  scenario: 'inventory',
  async purchase(db, { buyerId, lines }) {
    const sorted = [...lines].sort((a, b) => a.itemId - b.itemId);
    await db.query('BEGIN');
    try {
      for (const line of sorted) {
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
      for (const line of sorted) {
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
      await db.query('ROLLBACK');
      throw error;
    }
  },
});
