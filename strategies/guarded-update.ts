import { defineStrategy } from 'oversold';

/**
 * The atomic guarded UPDATE, acting on the affected-row count.
 *
 * Idea: let one statement check and decrement:
 * `UPDATE events SET remaining = remaining - $q WHERE event_id = $1 AND remaining >= $q`.
 * Holds: a concurrent UPDATE of the same row waits for the first to commit,
 * then PostgreSQL re-checks the WHERE clause against the new row version
 * (EvalPlanQual); with too little left it matches no row, and rowCount = 0
 * means sold out. The ticket is inserted in the same transaction, so a sale
 * and its ticket commit together.
 */
export default defineStrategy({
  name: 'guarded-update',
  description: 'One UPDATE … WHERE remaining >= $q checks and decrements; rowCount 0 means sold out.',
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const update = await db.query(
      'UPDATE events SET remaining = remaining - $2 WHERE event_id = $1 AND remaining >= $2',
      [eventId, quantity],
    );
    if (update.rowCount !== 1) {
      await db.query('ROLLBACK');
      return 'sold-out';
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
