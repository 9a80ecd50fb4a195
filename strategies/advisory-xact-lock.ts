import { defineStrategy } from 'oversold';

/**
 * A transaction-scoped advisory lock on the event, then read-check-write.
 *
 * Idea: serialise buyers of one event on `pg_advisory_xact_lock($eventId)`,
 * taken first thing in the transaction, and keep the naive code after it.
 * Holds: the second buyer waits in pg_advisory_xact_lock until the first
 * commits, and the lock is released only at COMMIT or ROLLBACK. Under READ
 * COMMITTED every statement takes a fresh snapshot, so the SELECT sent after
 * the lock is granted sees the first buyer's committed decrement.
 * PostgreSQL facts: the `_xact_` variant cannot be left held by mistake; a
 * session-level pg_advisory_lock released before COMMIT would let the next
 * buyer read the old stock. Advisory keys share one number space per database,
 * so pick keys that other code does not use.
 */
export default defineStrategy({
  name: 'advisory-xact-lock',
  description: 'pg_advisory_xact_lock on the event id first, then read-check-write in the same transaction.',
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    await db.query('SELECT pg_advisory_xact_lock($1)', [eventId]);
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
  },
});
