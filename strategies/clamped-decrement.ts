import { defineStrategy } from 'oversold';

/**
 * Read-check-write with the decrement clamped at zero.
 *
 * Idea: after a negative stock showed up in production, someone wrote
 * `SET remaining = GREATEST(remaining - $q, 0)` so it can never happen again.
 * Breaks: the clamp hides the symptom, not the race. Two buyers both read
 * remaining = 1 (a plain SELECT takes no lock), both decide to buy, both
 * decrement; remaining ends at 0, which looks right, and two tickets exist for
 * one seat. Any monitor that watches `remaining` now sees nothing.
 * PostgreSQL fact: the relative UPDATE is atomic by itself (the second waits for
 * the first's row lock and re-reads the row), but the decision was made earlier,
 * on a value nobody locked.
 * Fix: let the guarded UPDATE decide (`WHERE remaining >= $q`, act on the row
 * count) and count units sold, never trust `remaining` alone.
 */
export default defineStrategy({
  name: 'clamped-decrement',
  description:
    'Reads, checks, then SET remaining = GREATEST(remaining - $q, 0): never negative, still oversells.',
  expect: { 'no-oversell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const { rows } = await db.query<{ remaining: number }>(
      'SELECT remaining FROM events WHERE event_id = $1',
      [eventId],
    );
    if (rows[0]!.remaining < quantity) {
      await db.query('ROLLBACK');
      return 'sold-out';
    }
    await db.query('UPDATE events SET remaining = GREATEST(remaining - $2, 0) WHERE event_id = $1', [
      eventId,
      quantity,
    ]);
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
      eventId,
      buyerId,
      quantity,
    ]);
    await db.query('COMMIT');
    return 'purchased';
  },
});
