import { describe, expect, it } from 'vitest';
import type { Step } from '../engine/interleaving.ts';
import { independent, SessionModel } from './session-model.ts';

const query = (text: string): Step => ({ kind: 'query', text, params: [] });
const READ = query('SELECT remaining FROM events WHERE event_id = $1');
const facts = { tables: new Set(['events']), defaultIsolation: 'read committed' };

/** The class of READ after the buyer sent `texts`. */
function readAfter(texts: readonly string[], defaultIsolation = 'read committed') {
  const session = new SessionModel({ ...facts, defaultIsolation });
  for (const text of texts) session.advance(query(text));
  return session.classify(READ);
}

describe('SessionModel: a plain read commutes with plain reads only outside SERIALIZABLE and while the session is known', () => {
  it('in autocommit and in READ COMMITTED or REPEATABLE READ blocks, a plain read is a read', () => {
    expect(readAfter([])).toBe('read');
    expect(readAfter(['BEGIN'])).toBe('read');
    expect(readAfter(['BEGIN ISOLATION LEVEL REPEATABLE READ'])).toBe('read');
    expect(readAfter(['BEGIN', 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ'])).toBe('read');
    expect(readAfter(['BEGIN ISOLATION LEVEL SERIALIZABLE', 'COMMIT'])).toBe('read');
    expect(readAfter(['BEGIN', 'SELECT remaining FROM events WHERE event_id = $1', 'COMMIT'])).toBe('read');
    expect(readAfter(['BEGIN', 'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE'])).toBe('read');
  });

  it('in SERIALIZABLE it is shared: there the order of two reads can pick the serialization failure’s victim', () => {
    expect(readAfter(['BEGIN ISOLATION LEVEL SERIALIZABLE'])).toBe('shared');
    expect(readAfter(['BEGIN', 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE'])).toBe('shared');
    expect(readAfter(['START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE'])).toBe(
      'shared',
    );
    expect(readAfter([], 'serializable')).toBe('shared');
    expect(readAfter(['BEGIN'], 'serializable')).toBe('shared');
    expect(readAfter(['BEGIN ISOLATION LEVEL READ COMMITTED'], 'serializable')).toBe('read');
  });

  it('after anything that may change names or the default isolation (SET, a write, a function), it is shared for good', () => {
    expect(readAfter(['SET search_path = elsewhere'])).toBe('shared');
    expect(readAfter(['SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE'])).toBe(
      'shared',
    );
    expect(readAfter(['UPDATE events SET remaining = 0', 'COMMIT'])).toBe('shared');
    expect(readAfter(["SELECT set_config('default_transaction_isolation', 'serializable', false)"])).toBe(
      'shared',
    );
    expect(readAfter(['BEGIN', 'SAVEPOINT a', 'COMMIT'])).toBe('shared');
  });

  it('local steps stay local; without facts nothing is a read', () => {
    const session = new SessionModel(facts);
    expect(session.classify(query('BEGIN'))).toBe('local');
    expect(session.classify({ kind: 'pause', label: 'x' })).toBe('local');
    expect(session.classify(null)).toBe('shared');
    expect(new SessionModel(null).classify(READ)).toBe('shared');
  });

  it('independence: local with anything, read with read, nothing else', () => {
    expect(independent('local', 'shared')).toBe(true);
    expect(independent('read', 'read')).toBe(true);
    expect(independent('read', 'shared')).toBe(false);
    expect(independent('shared', 'shared')).toBe(false);
  });

  it('a locking read may wait as a blocked read outside SERIALIZABLE; statements inside a block keep their locks', () => {
    const session = new SessionModel(facts);
    const forUpdate = query('SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE');
    const update = query('UPDATE events SET remaining = remaining - 1 WHERE event_id = $1');
    expect(session.isBlockingReadCandidate(forUpdate)).toBe(true);
    expect(session.keepsLocks(update)).toBe(false);
    session.advance(query('BEGIN'));
    expect(session.keepsLocks(update)).toBe(true);
    expect(session.keepsLocks(query('COMMIT'))).toBe(false);
    expect(session.keepsLocks(query('ROLLBACK TO SAVEPOINT a'))).toBe(false);
    expect(session.keepsLocks(query('SELECT pg_advisory_unlock_all(); SELECT 1'))).toBe(false);
    session.advance(query('COMMIT'));
    expect(session.keepsLocks(update)).toBe(false);
    const serializable = new SessionModel(facts);
    serializable.advance(query('BEGIN ISOLATION LEVEL SERIALIZABLE'));
    expect(serializable.isBlockingReadCandidate(forUpdate)).toBe(false);
    const procedure = new SessionModel(facts);
    procedure.advance(query('BEGIN'));
    procedure.advance(query('CALL restock(1)'));
    expect(procedure.keepsLocks(update)).toBe(false);
  });
});
