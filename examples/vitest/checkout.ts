import { defineStrategy } from 'oversold';

/**
 * The purchase code under test: one guarded UPDATE checks and decrements the
 * stock, and the ticket is written in the same transaction.
 */
export default defineStrategy({
  name: 'checkout',
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const update = await db.query(
      'UPDATE events SET remaining = remaining - $2 WHERE event_id = $1 AND remaining >= $2',
      [eventId, quantity],
    );
    if (update.rowCount !== 1) {
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
