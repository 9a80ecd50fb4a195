import { defineStrategy } from 'oversold';

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK = '40P01';
const ATTEMPTS = 10;

/**
 * Read-check-write at REPEATABLE READ, retried on serialization failure.
 *
 * Idea: the naive code, in a REPEATABLE READ transaction that is retried
 * from the start when PostgreSQL refuses it.
 * Holds: at REPEATABLE READ the whole transaction reads one snapshot, and
 * PostgreSQL will not let it update a row that another transaction changed
 * after that snapshot: the UPDATE fails with SQLSTATE 40001 ("could not
 * serialize access due to concurrent update"), waiting first if the other is
 * still open. Both buyers write the same events row, so of two buyers who read
 * the same stock only one can write it; the other retries and sees the new value.
 * PostgreSQL fact: this catches write/write conflicts only. Had the buyers
 * written different rows (count-then-insert), REPEATABLE READ would let both
 * commit; that needs SERIALIZABLE.
 */
export default defineStrategy({
  name: 'repeatable-read-retry',
  description: 'Read-check-write at REPEATABLE READ; retries the whole transaction on 40001.',
  async purchase(db, { eventId, buyerId, quantity }) {
    for (let attempt = 1; ; attempt++) {
      try {
        await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        const { rows } = await db.query<{ remaining: number }>(
          'SELECT remaining FROM events WHERE event_id = $1',
          [eventId],
        );
        const remaining = rows[0]!.remaining;
        if (remaining < quantity) {
          await db.query('ROLLBACK');
          return 'sold-out';
        }
        await db.query('UPDATE events SET remaining = $2 WHERE event_id = $1', [
          eventId,
          remaining - quantity,
        ]);
        await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
          eventId,
          buyerId,
          quantity,
        ]);
        await db.query('COMMIT');
        return 'purchased';
      } catch (error) {
        await db.query('ROLLBACK');
        const code = (error as { code?: string }).code;
        const retryable = code === SERIALIZATION_FAILURE || code === DEADLOCK;
        if (!retryable || attempt === ATTEMPTS) throw error;
      }
    }
  },
});
