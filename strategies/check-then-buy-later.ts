import { defineStrategy } from 'oversold';

/**
 * Check availability in one transaction, buy in a later one.
 *
 * Idea: an "is it available?" step (locked properly with FOR UPDATE) that
 * commits, then a "buy" step that decrements and inserts the ticket, as when a
 * web page checks stock and a second request completes the order.
 * Breaks: every lock taken in a transaction is released at its COMMIT, so
 * what the check saw is just history by the time the buy starts. Between the
 * two transactions other buyers check the same stock and all buy it: the
 * unguarded decrement drives remaining below zero.
 * Fix: check and buy in one transaction under the same lock, or make the buy
 * re-check on its own (a guarded UPDATE acting on its row count).
 */
export default defineStrategy({
  name: 'check-then-buy-later',
  description: 'Checks stock in one transaction (FOR UPDATE), then decrements and inserts in a later one.',
  expect: { 'no-oversell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const { rows } = await db.query<{ remaining: number }>(
      'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
      [eventId],
    );
    await db.query('COMMIT');
    if (rows[0]!.remaining < quantity) return 'sold-out';

    await db.query('BEGIN');
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
