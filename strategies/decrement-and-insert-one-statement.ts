import { defineStrategy } from 'oversold';

/**
 * The guarded decrement and the ticket insert in one statement.
 *
 * Idea: a data-modifying CTE does both in autocommit:
 * `WITH sold AS (UPDATE … WHERE remaining >= $q RETURNING event_id)
 *  INSERT INTO tickets … SELECT … FROM sold`.
 * The ticket is inserted only if the guarded UPDATE matched; the INSERT's row
 * count is the answer.
 * Holds: one statement is one transaction, so there is no window between the
 * decrement and the ticket. A concurrent buyer's UPDATE waits for the row
 * lock, then PostgreSQL re-checks `remaining >= $q` on the newest version
 * (EvalPlanQual); with too little left it matches nothing and inserts nothing.
 * PostgreSQL fact: all parts of a WITH statement run on one snapshot and the
 * INSERT reads the UPDATE's output through RETURNING, not by re-reading events.
 */
export default defineStrategy({
  name: 'decrement-and-insert-one-statement',
  description: 'One statement: WITH sold AS (guarded UPDATE … RETURNING) INSERT INTO tickets … FROM sold.',
  async purchase(db, { eventId, buyerId, quantity }) {
    const sale = await db.query(
      `WITH sold AS (
         UPDATE events SET remaining = remaining - $3
          WHERE event_id = $1 AND remaining >= $3
         RETURNING event_id
       )
       INSERT INTO tickets (event_id, buyer_id, quantity)
       SELECT event_id, $2, $3 FROM sold`,
      [eventId, buyerId, quantity],
    );
    return sale.rowCount === 1 ? 'purchased' : 'sold-out';
  },
});
