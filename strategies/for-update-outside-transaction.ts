import { defineStrategy } from 'oversold';

/**
 * SELECT … FOR UPDATE with no transaction around it.
 *
 * Idea: lock the event row while reading it, as the textbook says, but send
 * every statement in autocommit.
 * Breaks: in autocommit each statement is its own transaction, and a row lock
 * lives until its transaction ends. The locking read commits the moment it
 * returns, so the lock is gone before the buyer checks or writes; two buyers
 * read remaining = 1 one after the other and both sell the last ticket
 * (remaining goes to -1). PostgreSQL does not warn: FOR UPDATE in autocommit is
 * legal and simply useless.
 * Fix: BEGIN before the locking read and COMMIT after the ticket (select-for-update).
 */
export default defineStrategy({
  name: 'for-update-outside-transaction',
  description: 'SELECT … FOR UPDATE in autocommit: the lock ends with the statement, so it protects nothing.',
  expect: { 'no-oversell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    const { rows } = await db.query<{ remaining: number }>(
      'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
      [eventId],
    );
    if (rows[0]!.remaining < quantity) return 'sold-out';
    await db.query('UPDATE events SET remaining = remaining - $2 WHERE event_id = $1', [eventId, quantity]);
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
      eventId,
      buyerId,
      quantity,
    ]);
    return 'purchased';
  },
});
