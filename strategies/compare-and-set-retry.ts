import { defineStrategy } from 'oversold';

/**
 * Compare-and-set on `remaining`, retried when another buyer got there first.
 *
 * Idea: optimistic concurrency without locks held while deciding: read
 * remaining, then write the new value only if it is still what was read
 * (`UPDATE … SET remaining = $new WHERE event_id = $1 AND remaining = $old`).
 * Zero rows means someone else sold in between: read again and retry.
 * Holds: the UPDATE is the decision. If another buyer changed the row, this
 * UPDATE waits for its commit, then PostgreSQL re-checks the WHERE clause on
 * the newest version (EvalPlanQual) and matches nothing. Every failed attempt
 * means another buyer's sale went through, so the retries end. `remaining`
 * only ever goes down, so the compared value cannot come back (no ABA problem);
 * with restocking, compare a version column instead.
 */
export default defineStrategy({
  name: 'compare-and-set-retry',
  description: 'Reads remaining, then UPDATE … WHERE remaining = $old; retries when no row matched.',
  async purchase(db, { eventId, buyerId, quantity }) {
    for (;;) {
      const { rows } = await db.query<{ remaining: number }>(
        'SELECT remaining FROM events WHERE event_id = $1',
        [eventId],
      );
      const seen = rows[0]!.remaining;
      if (seen < quantity) return 'sold-out';
      await db.query('BEGIN');
      const swap = await db.query('UPDATE events SET remaining = $3 WHERE event_id = $1 AND remaining = $2', [
        eventId,
        seen,
        seen - quantity,
      ]);
      if (swap.rowCount !== 1) {
        await db.query('ROLLBACK');
        continue;
      }
      await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
        eventId,
        buyerId,
        quantity,
      ]);
      await db.query('COMMIT');
      return 'purchased';
    }
  },
});
