import { defineStrategy } from 'oversold';

/**
 * Read-check-write at SERIALIZABLE, without the retry.
 *
 * Idea: the naive code in `BEGIN ISOLATION LEVEL SERIALIZABLE`, trusting the
 * isolation level to make it safe.
 * Right about stock: PostgreSQL's serializable snapshot isolation never lets
 * two buyers who read the same stock both commit their writes, so nothing is
 * oversold.
 * Wrong for customers: it keeps that promise by aborting one of them with
 * SQLSTATE 40001 (could not serialize access), at the UPDATE or at COMMIT. The
 * error is part of SERIALIZABLE's contract: the application must run the
 * transaction again. Without the retry, a buyer who could have bought sees an
 * error page.
 * Fix: retry the whole transaction on 40001 (serializable-retry).
 */
export default defineStrategy({
  name: 'serializable-no-retry',
  description: 'Read-check-write at SERIALIZABLE; a serialization failure (40001) reaches the buyer.',
  expect: { 'no-errors': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    try {
      await db.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      const { rows } = await db.query<{ remaining: number }>(
        'SELECT remaining FROM events WHERE event_id = $1',
        [eventId],
      );
      const remaining = rows[0]!.remaining;
      if (remaining < quantity) {
        await db.query('ROLLBACK');
        return 'sold-out';
      }
      await db.query('UPDATE events SET remaining = $2 WHERE event_id = $1', [eventId, remaining - quantity]);
      await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
        eventId,
        buyerId,
        quantity,
      ]);
      await db.query('COMMIT');
      return 'purchased';
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    }
  },
});
