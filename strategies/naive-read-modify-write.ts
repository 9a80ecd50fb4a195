import { defineStrategy } from 'oversold';

/**
 * Naive read-check-write, every statement in autocommit.
 *
 * Idea: read `remaining`, decide in code, write the new value and a ticket.
 * Breaks: two buyers both read remaining = 1 before either writes; each
 * statement commits on its own, so nothing orders one buyer's read against the
 * other's write, and both sell the last ticket. The absolute write
 * (`SET remaining = $2`) also loses one of the two decrements.
 * Fix: an atomic guarded `UPDATE … SET remaining = remaining - $q WHERE remaining >= $q`
 * acting on the affected-row count, or `SELECT … FOR UPDATE` inside a transaction.
 */
export default defineStrategy({
  name: 'naive-read-modify-write',
  description: 'Reads remaining, decides in code, writes; every statement in autocommit.',
  expect: { 'no-oversell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    const { rows } = await db.query<{ remaining: number }>(
      'SELECT remaining FROM events WHERE event_id = $1',
      [eventId],
    );
    const remaining = rows[0]!.remaining;
    if (remaining < quantity) return 'sold-out';
    await db.query('UPDATE events SET remaining = $2 WHERE event_id = $1', [eventId, remaining - quantity]);
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
      eventId,
      buyerId,
      quantity,
    ]);
    return 'purchased';
  },
});
