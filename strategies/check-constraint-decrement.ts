import { defineStrategy } from 'oversold';

const CHECK_VIOLATION = '23514';

/**
 * A CHECK (remaining >= 0) constraint and a relative decrement.
 *
 * Idea: let the table refuse negative stock, and decrement without looking:
 * `UPDATE events SET remaining = remaining - $q`. A check violation means sold out.
 * Holds: a concurrent UPDATE of the same row waits for the first to commit,
 * then recomputes `remaining - $q` from the row's newest version (READ
 * COMMITTED re-reads the locked row after the wait), and the constraint is
 * checked on that new value. Stock can never go below zero, and the ticket is
 * inserted in the same transaction, so a sale and its ticket commit together.
 * PostgreSQL fact: the violation (SQLSTATE 23514) aborts the transaction: roll
 * back before answering.
 * Cost: the constraint is the only guard; any code path that writes an
 * absolute `remaining` still bypasses the decision.
 */
export default defineStrategy({
  name: 'check-constraint-decrement',
  description: 'CHECK (remaining >= 0) on events; relative decrement; a check violation means sold out.',
  async setup(db) {
    // setup() runs before every run: add the constraint only once.
    await db.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_constraint
                        WHERE conrelid = 'events'::regclass AND conname = 'events_remaining_not_negative') THEN
          ALTER TABLE events ADD CONSTRAINT events_remaining_not_negative CHECK (remaining >= 0);
        END IF;
      END $$`);
  },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    try {
      await db.query('UPDATE events SET remaining = remaining - $2 WHERE event_id = $1', [eventId, quantity]);
    } catch (error) {
      await db.query('ROLLBACK');
      if ((error as { code?: string }).code === CHECK_VIOLATION) return 'sold-out';
      throw error;
    }
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
      eventId,
      buyerId,
      quantity,
    ]);
    await db.query('COMMIT');
    return 'purchased';
  },
});
