import { defineStrategy } from 'oversold';

// Alice: let the UPDATE do the check. If fewer tickets are left than I want,
// the WHERE matches nothing and rowCount is 0, so I roll back and say sold out.
export default defineStrategy({
  name: 'alice',
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const taken = await db.query(
      'UPDATE events SET remaining = remaining - $2 WHERE event_id = $1 AND remaining >= $2',
      [eventId, quantity],
    );
    if (taken.rowCount === 0) {
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
