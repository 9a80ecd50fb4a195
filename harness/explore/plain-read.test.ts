import { describe, expect, it } from 'vitest';
import { isLockingRead, isPlainRead } from './plain-read.ts';

const tables = new Set(['events', 'tickets']);

describe('isPlainRead: one SELECT of one base table that locks nothing and calls no function', () => {
  it.each([
    'SELECT remaining FROM events WHERE event_id = $1',
    'select remaining, capacity from events where event_id = $1 and remaining >= $2;',
    'SELECT count(*)::int AS sold FROM tickets WHERE event_id = $1',
    'SELECT coalesce(sum(quantity), 0) AS sold FROM tickets t WHERE t.event_id = $1',
    'SELECT * FROM events e ORDER BY event_id LIMIT 1',
    'SELECT remaining FROM events WHERE event_id IN ($1, 102) -- a comment',
  ])('%s is a plain read', (text) => {
    expect(isPlainRead(text, tables)).toBe(true);
  });

  it.each([
    'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
    'SELECT remaining FROM events WHERE event_id = $1 FOR SHARE',
    'SELECT remaining FROM events WHERE event_id = $1 FOR NO KEY UPDATE SKIP LOCKED',
    'SELECT remaining FROM sold_out_view',
    'SELECT remaining FROM public.events',
    'SELECT purchase($1, $2, $3)',
    'SELECT remaining, pg_advisory_lock(1) FROM events',
    "SELECT nextval('tickets_ticket_id_seq') FROM events",
    'SELECT * FROM events, tickets',
    'SELECT * FROM events JOIN tickets USING (event_id)',
    'SELECT * FROM events WHERE remaining > (SELECT count(*) FROM tickets)',
    'SELECT * INTO copy FROM events',
    'WITH e AS (SELECT * FROM events) SELECT * FROM e',
    'SELECT remaining::my_type FROM events',
    'SELECT remaining FROM events; UPDATE events SET remaining = 0',
    'UPDATE events SET remaining = remaining - 1',
    'SELECT 1',
    'SELECT remaining FROM events WHERE note = "x"',
  ])('%s is not', (text) => {
    expect(isPlainRead(text, tables)).toBe(false);
  });
});

describe('isLockingRead: a plain read with a locking clause that waits when the row is taken', () => {
  it.each([
    'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
    'select remaining from events where event_id = $1 for no key update;',
    'SELECT remaining FROM events WHERE event_id = $1 FOR SHARE',
    'SELECT 1 FROM events WHERE event_id = $1 FOR KEY SHARE',
  ])('%s is a locking read', (text) => {
    expect(isLockingRead(text, tables)).toBe(true);
  });

  it.each([
    'SELECT remaining FROM events WHERE event_id = $1',
    'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE NOWAIT',
    'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE SKIP LOCKED',
    'SELECT remaining FROM events e WHERE event_id = $1 FOR UPDATE OF e',
    'SELECT purchase($1) FROM events FOR UPDATE',
    'SELECT remaining FROM sold_out_view FOR UPDATE',
  ])('%s is not', (text) => {
    expect(isLockingRead(text, tables)).toBe(false);
  });
});
