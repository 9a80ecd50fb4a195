import { defineStrategy } from 'oversold';

// Dave: lock the row first (still working on this one)
export default defineStrategy({
  name: 'dave',
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    const { rows } = await db.query('SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE', [eventId]);
    if (rows[0].remaining < quantity {
      await db.query('ROLLBACK');
      return 'sold-out';
    }
    await db.query('UPDATE events SET remaining = remaining - $2 WHERE event_id = $1', [eventId, quantity]);
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [eventId, buyerId, quantity]);
    await db.query('COMMIT');
    return 'purchased';
  },
});
