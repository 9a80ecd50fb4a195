import { defineStrategy } from 'oversold';

// bob - lab 4
// read how many are left, if enough then write the new number and make the ticket
export default defineStrategy({
  name: 'bob',
  async purchase(db, { eventId, buyerId, quantity }) {
    const result = await db.query<{ remaining: number }>('SELECT remaining FROM events WHERE event_id = $1', [
      eventId,
    ]);
    const left = result.rows[0]!.remaining;
    if (left < quantity) {
      return 'sold-out';
    }
    await db.query('UPDATE events SET remaining = $2 WHERE event_id = $1', [eventId, left - quantity]);
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
      eventId,
      buyerId,
      quantity,
    ]);
    return 'purchased';
  },
});
