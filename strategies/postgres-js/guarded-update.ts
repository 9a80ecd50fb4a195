import { definePostgresJsStrategy } from 'oversold';

/**
 * The atomic guarded UPDATE, written with postgres.js.
 *
 * Idea: let one statement check and decrement, and act on its row count:
 * `UPDATE events SET remaining = remaining - ${quantity} WHERE … AND remaining >= ${quantity}`.
 * Holds: a concurrent UPDATE of the same row waits for the first buyer's
 * COMMIT, then PostgreSQL re-checks the WHERE clause against the new row
 * version (EvalPlanQual); with too little left it matches no row, and
 * `count === 0` means sold out. `sql.begin` commits the ticket with the
 * decrement, or rolls both back when the callback throws.
 * postgres.js fact: a result is an array of rows with `.count`, the number of
 * rows the statement returned or changed.
 */
export default definePostgresJsStrategy({
  name: 'postgres-js-guarded-update',
  description: 'postgres.js: one UPDATE … WHERE remaining >= q inside sql.begin; count 0 means sold out.',
  driver: 'postgres',
  async purchase(sql, { eventId, buyerId, quantity }) {
    return sql.begin(async (sql) => {
      const update =
        await sql`UPDATE events SET remaining = remaining - ${quantity} WHERE event_id = ${eventId} AND remaining >= ${quantity}`;
      if (update.count !== 1) return 'sold-out';
      await sql`INSERT INTO tickets (event_id, buyer_id, quantity) VALUES (${eventId}, ${buyerId}, ${quantity})`;
      return 'purchased';
    });
  },
});
