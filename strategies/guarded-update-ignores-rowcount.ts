import { defineStrategy } from 'oversold';

/**
 * The guarded UPDATE, with its affected-row count ignored.
 *
 * Idea: the right statement, `UPDATE events SET remaining = remaining - $q
 * WHERE event_id = $1 AND remaining >= $q`, followed by the ticket insert.
 * Breaks: the guard works (stock never goes negative), but when too little is
 * left the UPDATE matches no row and succeeds anyway: PostgreSQL reports
 * `UPDATE 0`, not an error. The code goes on to insert the ticket and answer
 * 'purchased', so every buyer after the last unit gets a ticket for free.
 * `remaining` looks perfect; only counting tickets shows the oversell.
 * Fix: act on the row count: `rowCount === 0` means sold out (guarded-update),
 * or add `RETURNING` and check that a row came back.
 */
export default defineStrategy({
  name: 'guarded-update-ignores-rowcount',
  description: 'Guarded UPDATE … WHERE remaining >= $q, but inserts the ticket even when it matched no row.',
  expect: { 'no-oversell': false },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    await db.query('UPDATE events SET remaining = remaining - $2 WHERE event_id = $1 AND remaining >= $2', [
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
