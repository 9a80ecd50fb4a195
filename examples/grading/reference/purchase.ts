import { defineStrategy } from 'oversold';

/**
 * Lab 4 reference solution: lock the event row, then decide.
 *
 * SELECT … FOR UPDATE makes a second buyer wait until the first commits; under
 * READ COMMITTED it then re-reads the row, so it sees the stock the first left.
 * The decrement and the ticket commit together, or not at all.
 */
export default defineStrategy({
  name: 'lab4-reference',
  description: 'Locks the event row with SELECT … FOR UPDATE, then checks, decrements and issues the ticket.',
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const { rows } = await db.query<{ remaining: number }>(
      'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
      [eventId],
    );
    if (rows[0]!.remaining < quantity) {
      await db.query('ROLLBACK');
      return 'sold-out';
    }
    await db.query('UPDATE events SET remaining = remaining - $2 WHERE event_id = $1', [eventId, quantity]);
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
      eventId,
      buyerId,
      quantity,
    ]);
    await db.query('COMMIT');
    return 'purchased';
  },
});
