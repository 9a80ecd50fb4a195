import { defineStrategy } from 'oversold';

/**
 * Count the tickets sold, then insert one: no stock column at all.
 *
 * Idea: the tickets table is the truth, so count `SUM(quantity)` for the event,
 * compare with its capacity, and insert a ticket if there is room.
 * Breaks: under READ COMMITTED a plain SELECT sees only committed tickets and
 * takes no lock, and an INSERT conflicts with nothing: two buyers both count 0
 * of 1 sold, both insert, and nothing in PostgreSQL ever makes one wait for the
 * other. There is no row both buyers write, so there is nothing to lock on.
 * Fix: serialise buyers of one event on something they all touch, e.g.
 * `SELECT … FROM events WHERE event_id = $1 FOR UPDATE` before counting, a
 * transaction-scoped advisory lock on the event (advisory-xact-lock), or
 * SERIALIZABLE with retry, which detects the read/write dependency.
 */
export default defineStrategy({
  name: 'count-then-insert',
  description: 'Counts sold tickets against capacity, then inserts; nothing serialises two buyers.',
  expect: { 'no-oversell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const { rows } = await db.query<{ capacity: number; sold: number }>(
      `SELECT capacity,
              (SELECT coalesce(sum(quantity), 0)::int FROM tickets WHERE event_id = $1) AS sold
         FROM events WHERE event_id = $1`,
      [eventId],
    );
    const { capacity, sold } = rows[0]!;
    if (capacity - sold < quantity) {
      await db.query('ROLLBACK');
      return 'sold-out';
    }
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
      eventId,
      buyerId,
      quantity,
    ]);
    await db.query('COMMIT');
    return 'purchased';
  },
});
