import { defineStrategy } from 'oversold';

/**
 * SELECT … FOR UPDATE inside a transaction.
 *
 * Idea: lock the event's row while reading it, so the check and the write see
 * the same value.
 * Holds: the second buyer's locking read waits until the first commits, then
 * reads the row's new version (READ COMMITTED re-reads a locked row after the
 * wait), so it sees the decremented stock.
 * Cost: buyers of one event queue on one row lock for the whole transaction.
 */
export default defineStrategy({
  name: 'select-for-update',
  description:
    'Locks the event row with SELECT … FOR UPDATE, then decides and writes in the same transaction.',
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const { rows } = await db.query<{ remaining: number }>(
      'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
      [eventId],
    );
    const remaining = rows[0]!.remaining;
    if (remaining < quantity) {
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
