import { defineStrategy } from 'oversold';

/**
 * One row per seat, claimed with FOR UPDATE SKIP LOCKED.
 *
 * Idea: instead of one hot `remaining` counter, store each unit as a row and
 * let buyers claim free rows: `SELECT … WHERE buyer_id IS NULL ORDER BY seat_no
 * LIMIT $q FOR UPDATE SKIP LOCKED`, then mark them sold and insert the ticket.
 * Buyers who want different seats never wait for each other.
 * Holds: a seat row is locked by at most one transaction, and SKIP LOCKED
 * makes the others pass over it instead of waiting, so no seat is sold twice.
 * The trap for orders of several seats: a buyer that found fewer free seats
 * than it wants may have skipped seats that another buyer holds only for a
 * moment (one who will roll back because it, too, found too few). Answering
 * 'sold-out' then would turn customers away with seats left. So when the
 * quick claim comes up short, this strategy releases what it took and locks
 * every unsold seat in seat order without SKIP LOCKED, waiting for their
 * holders; what it finds then is exact. (The same order for everyone means no
 * deadlock.) With one seat per buyer the quick claim only comes up short when
 * every free seat is held by a buyer who will buy it.
 * PostgreSQL fact: after waiting for a row lock, READ COMMITTED re-checks the
 * WHERE clause on the row's newest version, so seats sold meanwhile drop out.
 * `events.remaining` is deliberately not touched: that would bring back the
 * single hot row; units sold are the tickets (and the claimed seats).
 */
export default defineStrategy({
  name: 'seat-rows-skip-locked',
  description:
    'One row per seat; claims free seats with FOR UPDATE SKIP LOCKED, waits only when too few are free.',
  async setup(db, { eventId, capacity }) {
    await db.query(`CREATE TABLE IF NOT EXISTS seats (
      event_id int NOT NULL REFERENCES events,
      seat_no  int NOT NULL,
      buyer_id int,
      PRIMARY KEY (event_id, seat_no)
    )`);
    await db.query('DELETE FROM seats WHERE event_id = $1', [eventId]);
    await db.query('INSERT INTO seats (event_id, seat_no) SELECT $1, generate_series(1, $2)', [
      eventId,
      capacity,
    ]);
  },
  async purchase(db, { eventId, buyerId, quantity }) {
    await db.query('BEGIN');
    let seats = await db.query<{ seat_no: number }>(
      `SELECT seat_no FROM seats WHERE event_id = $1 AND buyer_id IS NULL
        ORDER BY seat_no LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [eventId, quantity],
    );
    if (seats.rows.length < quantity) {
      // Some free seats may be held by buyers who will give them back: wait for them.
      await db.query('ROLLBACK');
      await db.query('BEGIN');
      seats = await db.query<{ seat_no: number }>(
        'SELECT seat_no FROM seats WHERE event_id = $1 AND buyer_id IS NULL ORDER BY seat_no FOR UPDATE',
        [eventId],
      );
      if (seats.rows.length < quantity) {
        await db.query('ROLLBACK');
        return 'sold-out';
      }
    }
    const claimed = seats.rows.slice(0, quantity).map((seat) => seat.seat_no);
    await db.query('UPDATE seats SET buyer_id = $2 WHERE event_id = $1 AND seat_no = ANY($3::int[])', [
      eventId,
      buyerId,
      claimed,
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
