import { defineStrategy } from 'oversold';

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * FOR UPDATE NOWAIT, with "could not lock" reported as sold out.
 *
 * Idea: lock the event row without waiting, so a busy event never makes a
 * request hang; when the lock is taken, tell the buyer the event is sold out.
 * Right about stock: whoever holds the lock reads, checks and writes alone,
 * exactly as in select-for-update, so nothing is oversold.
 * Wrong for customers: SQLSTATE 55P03 (lock_not_available) means another
 * buyer is in the middle of a purchase, not that the stock is gone. With 3
 * tickets left, a buyer who arrives while another is paying for one is turned
 * away and 2 tickets stay unsold.
 * Fix: wait for the lock (plain FOR UPDATE, bounded by lock_timeout if needed),
 * or answer "busy, try again" (or retry) on 55P03 instead of "sold out".
 */
export default defineStrategy({
  name: 'nowait-sold-out',
  description: "FOR UPDATE NOWAIT; a lock held by another buyer (55P03) is answered 'sold-out'.",
  expect: { 'no-undersell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    let remaining: number;
    try {
      const { rows } = await db.query<{ remaining: number }>(
        'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE NOWAIT',
        [eventId],
      );
      remaining = rows[0]!.remaining;
    } catch (error) {
      await db.query('ROLLBACK');
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return 'sold-out';
      throw error;
    }
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
