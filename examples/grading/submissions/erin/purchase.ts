import { defineStrategy } from 'oversold';

// Erin: the WHERE clause stops remaining from going below zero,
// so the stock can never be oversold. Then I issue the ticket.
export default defineStrategy({
  name: 'erin',
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
