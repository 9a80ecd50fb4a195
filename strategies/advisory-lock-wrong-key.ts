import { defineStrategy } from 'oversold';

/**
 * A transaction-scoped advisory lock, on the buyer instead of the event.
 *
 * Idea: take `pg_advisory_xact_lock` before read-check-write, keyed on the
 * buyer (written to stop one customer's double click from buying twice).
 * Breaks: advisory locks only exclude sessions that ask for the same key. Two
 * different buyers take two different locks, never wait for each other, and
 * race through the read-check-write exactly as with no lock at all.
 * PostgreSQL cannot tell a wrong key from a right one: the key is just a number.
 * Fix: key the lock on what is being sold, the event
 * (`pg_advisory_xact_lock($eventId)`, see advisory-xact-lock).
 */
export default defineStrategy({
  name: 'advisory-lock-wrong-key',
  description: 'pg_advisory_xact_lock on the buyer id: different buyers never exclude each other.',
  expect: { 'no-oversell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    await db.query('SELECT pg_advisory_xact_lock($1)', [buyerId]);
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
