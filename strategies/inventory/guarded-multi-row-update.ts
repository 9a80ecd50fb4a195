import { defineStrategy, type InventoryContext, type InventoryRequest } from 'oversold';

/**
 * One guarded UPDATE over every line, acting on the affected-row count.
 *
 * Idea: let one statement check and decrement all lines:
 * `UPDATE items SET stock = stock - l.quantity FROM jsonb_to_recordset($1) AS l
 *  WHERE items.item_id = l.item_id AND items.stock >= l.quantity`.
 * It updates one row per line that has enough stock; if it updated fewer rows
 * than the cart has lines, some line is short and the transaction rolls back,
 * so the cart sells all or nothing.
 * Holds: a concurrent UPDATE of the same row waits for the first buyer's
 * COMMIT, then PostgreSQL re-checks the WHERE clause against the row's new
 * version (EvalPlanQual); a line that no longer fits matches no row, and the
 * row count gives it away.
 * PostgreSQL fact: the statement locks rows in the order its plan visits
 * them, not in the cart's order. On these tables the plan is a hash join
 * driven by a sequential scan of items, so buyers lock in heap order, the
 * same for all of them. That is the planner's choice, not a guarantee (heap
 * order changes as rows get new versions, and a bigger table may get an index
 * nested loop in cart order); where it matters, lock first with
 * `SELECT … ORDER BY item_id FOR UPDATE`, as lock-in-item-order.ts does.
 */
export default defineStrategy<InventoryRequest, InventoryContext>({
  name: 'guarded-multi-row-update',
  description: 'One UPDATE … FROM the cart WHERE stock >= quantity; fewer rows than lines means sold out.',
  scenario: 'inventory',
  async purchase(db, { buyerId, lines }) {
    const cart = [...lines]
      .sort((a, b) => a.itemId - b.itemId)
      .map((line) => ({ item_id: line.itemId, quantity: line.quantity }));
    await db.query('BEGIN');
    try {
      const update = await db.query(
        `UPDATE items SET stock = stock - l.quantity
           FROM jsonb_to_recordset($1::jsonb) AS l(item_id int, quantity int)
          WHERE items.item_id = l.item_id AND items.stock >= l.quantity`,
        [JSON.stringify(cart)],
      );
      if (update.rowCount !== cart.length) {
        await db.query('ROLLBACK');
        return 'sold-out';
      }
      await db.query(
        `WITH o AS (INSERT INTO orders (buyer_id) VALUES ($1) RETURNING order_id)
         INSERT INTO order_lines (order_id, item_id, quantity)
         SELECT o.order_id, l.item_id, l.quantity FROM o, jsonb_to_recordset($2::jsonb) AS l(item_id int, quantity int)`,
        [buyerId, JSON.stringify(cart)],
      );
      await db.query('COMMIT');
      return 'purchased';
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    }
  },
});
