import { defineStrategy } from 'oversold';

/** Most rows one event's stock is split over; fewer when there are fewer units. */
const MAX_BUCKETS = 64;

/**
 * The stock of one event split over several bucket rows, so that buyers do not
 * queue on one row lock.
 *
 * Idea: setup() spreads the event's capacity over up to 64 rows of
 * `event_buckets`; those rows, not `events.remaining`, hold the stock from then
 * on. A buyer takes its units from one bucket, in three tiers:
 * 1. One autocommit statement: `SELECT … FOR UPDATE SKIP LOCKED` picks a bucket
 *    with enough units that nobody holds (starting at a bucket chosen by the
 *    buyer's id, so that buyers spread out), decrements it and inserts the
 *    ticket from its RETURNING. No waiting at all.
 * 2. If every such bucket was locked, one autocommit statement waits for one
 *    bucket that had enough (PostgreSQL re-checks `remaining >= $q` on the
 *    row's newest version after the wait) and inserts the ticket.
 * 3. If that fails too, the stock may be scattered: buckets with 1 left each
 *    cannot serve 2 units alone. In a transaction the buyer locks every bucket
 *    of the event, in bucket order, and sees the exact total: enough, and it
 *    takes the units from several buckets; too little, and only then is it
 *    sold out.
 * Holds: every decrement is guarded and commits with its ticket, so units sold
 * never exceed the capacity; and 'sold-out' is only said while holding every
 * bucket's lock with fewer than $q units left in total. Stock only goes down,
 * so that stays true to the end of the run (no undersell). SKIP LOCKED alone
 * could not promise that: a skipped bucket may be one whose holder rolls back.
 * PostgreSQL fact: a row lock taken while re-checking a changed row stays held
 * even when the row is then skipped. Tiers 1 and 2 end their transaction with
 * the statement, so only tier 3 ever waits while holding locks, and always in
 * bucket order: no deadlock (an earlier version that ran all tiers in one
 * transaction deadlocked under `oversold check --quantity 1..2`).
 * Cost: one more row per bucket, and near the end of the sale buyers fall
 * through to tier 3 and queue on the whole event, as with one row.
 */
export default defineStrategy({
  name: 'bucketed-stock',
  description:
    "Splits one event's stock over up to 64 bucket rows; SKIP LOCKED picks a free bucket, and sold-out is decided with every bucket locked.",
  async setup(db, { eventId, capacity }) {
    // Fillfactor leaves room on the page for HOT updates of these few, very hot rows.
    await db.query(
      `CREATE TABLE IF NOT EXISTS event_buckets (
         event_id  int NOT NULL,
         bucket    int NOT NULL,
         remaining int NOT NULL CHECK (remaining >= 0),
         PRIMARY KEY (event_id, bucket)
       ) WITH (fillfactor = 50)`,
    );
    await db.query('DELETE FROM event_buckets WHERE event_id = $1', [eventId]);
    const buckets = Math.max(1, Math.min(MAX_BUCKETS, capacity));
    // Bucket b gets capacity / buckets units, and the first (capacity % buckets) get one more.
    await db.query(
      `INSERT INTO event_buckets (event_id, bucket, remaining)
       SELECT $1, b, $2::int / $3::int + (b < $2::int % $3::int)::int FROM generate_series(0, $3::int - 1) AS b`,
      [eventId, capacity, buckets],
    );
  },
  async purchase(db, { eventId, buyerId, quantity }) {
    // Tiers 1 and 2 are single statements in autocommit: the decrement and the
    // ticket commit together, and any row lock the statement took (even on a
    // row it then skipped) is released when it ends.
    // Tier 1: a free bucket with enough units; the UPDATE's own guard is
    // re-checked against the row the CTE locked.
    const free = await db.query(
      `WITH chosen AS (
         SELECT bucket FROM event_buckets
          WHERE event_id = $1 AND remaining >= $2
          ORDER BY (bucket + $3) % ${MAX_BUCKETS}
          LIMIT 1
          FOR UPDATE SKIP LOCKED),
       taken AS (
         UPDATE event_buckets AS b SET remaining = b.remaining - $2
           FROM chosen
          WHERE b.event_id = $1 AND b.bucket = chosen.bucket AND b.remaining >= $2
         RETURNING b.bucket)
       INSERT INTO tickets (event_id, buyer_id, quantity)
       SELECT $1, $3, $2 FROM taken`,
      [eventId, quantity, buyerId],
    );
    if (free.rowCount === 1) return 'purchased';
    // Tier 2: every bucket with enough was locked; wait for one of them.
    const waited = await db.query(
      `WITH taken AS (
         UPDATE event_buckets SET remaining = remaining - $2
          WHERE event_id = $1 AND remaining >= $2
            AND bucket = (SELECT bucket FROM event_buckets
                           WHERE event_id = $1 AND remaining >= $2
                           ORDER BY (bucket + $3) % ${MAX_BUCKETS} LIMIT 1)
         RETURNING bucket)
       INSERT INTO tickets (event_id, buyer_id, quantity)
       SELECT $1, $3, $2 FROM taken`,
      [eventId, quantity, buyerId],
    );
    if (waited.rowCount === 1) return 'purchased';
    // Tier 3: the exact total, with every bucket locked in bucket order. Only
    // this tier waits while holding locks, always in the same order: no deadlock.
    await db.query('BEGIN');
    const { rows } = await db.query<{ bucket: number; remaining: number }>(
      'SELECT bucket, remaining FROM event_buckets WHERE event_id = $1 ORDER BY bucket FOR UPDATE',
      [eventId],
    );
    const total = rows.reduce((sum, row) => sum + row.remaining, 0);
    if (total < quantity) {
      await db.query('ROLLBACK');
      return 'sold-out';
    }
    const buckets: number[] = [];
    const takes: number[] = [];
    let needed = quantity;
    for (const row of rows) {
      if (needed === 0) break;
      const take = Math.min(needed, row.remaining);
      if (take === 0) continue;
      buckets.push(row.bucket);
      takes.push(take);
      needed -= take;
    }
    await db.query(
      `UPDATE event_buckets AS b SET remaining = b.remaining - t.take
         FROM unnest($2::int[], $3::int[]) AS t(bucket, take)
        WHERE b.event_id = $1 AND b.bucket = t.bucket`,
      [eventId, buckets, takes],
    );
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
      eventId,
      buyerId,
      quantity,
    ]);
    await db.query('COMMIT');
    return 'purchased';
  },
});
