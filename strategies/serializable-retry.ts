import { defineStrategy } from 'oversold';

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK = '40P01';
const ATTEMPTS = 10;

/**
 * Read-check-write at SERIALIZABLE, retried on serialization failure.
 *
 * Idea: keep the naive code, and let PostgreSQL's serializable snapshot
 * isolation (SSI) refuse any interleaving that no serial order could produce.
 * Holds: when two buyers read remaining = 1 and both write, one of them gets
 * SQLSTATE 40001 (could not serialize) at its UPDATE or COMMIT; it rolls back
 * and starts over, and then sees the stock the other one left.
 * The retry is part of the contract: without it buyers see errors (see
 * serializable-no-retry).
 */
export default defineStrategy({
  name: 'serializable-retry',
  description: 'Read-check-write at SERIALIZABLE; retries the whole transaction on 40001.',
  async purchase(db, { eventId, buyerId, quantity }) {
    for (let attempt = 1; ; attempt++) {
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
