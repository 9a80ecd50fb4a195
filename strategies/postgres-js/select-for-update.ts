import { definePostgresJsStrategy } from 'oversold';

/**
 * SELECT … FOR UPDATE inside sql.begin, written with postgres.js.
 *
 * Idea: lock the event's row while reading it, so the check and the write see
 * the same value.
 * Holds: the second buyer's locking read waits until the first commits, then
 * reads the row's new version (READ COMMITTED re-reads a locked row after the
 * wait), so it sees the decremented stock.
 * postgres.js fact: `sql.begin(async sql => …)` sends BEGIN, runs the
 * callback on the same connection, and sends COMMIT when it resolves (its
 * value is begin's value) or ROLLBACK when it throws. Returning 'sold-out'
 * from the callback commits a transaction that changed nothing, which is fine.
 */
export default definePostgresJsStrategy({
  name: 'postgres-js-select-for-update',
  description: 'postgres.js: locks the event row with SELECT … FOR UPDATE inside sql.begin, then writes.',
  driver: 'postgres',
  async purchase(sql, { eventId, buyerId, quantity }) {
    return sql.begin(async (sql) => {
      const [event] = await sql<{
        remaining: number;
      }>`SELECT remaining FROM events WHERE event_id = ${eventId} FOR UPDATE`;
      if (event!.remaining < quantity) return 'sold-out';
      await sql`UPDATE events SET remaining = remaining - ${quantity} WHERE event_id = ${eventId}`;
      await sql`INSERT INTO tickets (event_id, buyer_id, quantity) VALUES (${eventId}, ${buyerId}, ${quantity})`;
      return 'purchased';
    });
  },
});
