import { defineStrategy } from 'oversold';

/**
 * Read-check-write inside a READ COMMITTED transaction: the case study.
 *
 * Idea: wrap the naive purchase in BEGIN … COMMIT and hope that makes it safe.
 * Breaks: a transaction makes the writes atomic, not the decision. Under READ
 * COMMITTED each statement sees what was committed when it started, and a
 * plain SELECT takes no lock, so both buyers read remaining = 1 before either
 * commits. The second UPDATE waits for the first buyer's row lock, then
 * overwrites its value: both sell the last ticket.
 * Fix: lock the row while reading (SELECT … FOR UPDATE), or let one guarded
 * UPDATE both check and decrement.
 */
export default defineStrategy({
  name: 'read-committed-transaction',
  description: 'Read-check-write inside BEGIN … COMMIT at READ COMMITTED: atomic, still oversells.',
  expect: { 'no-oversell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
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
