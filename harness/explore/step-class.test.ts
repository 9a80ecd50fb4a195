import { describe, expect, it } from 'vitest';
import { classifyStep, transactionBlockAfter } from './step-class.ts';

const query = (text: string) => ({ kind: 'query' as const, text, params: [] });

describe('classifyStep: only steps that touch nothing but the buyer’s own session are local', () => {
  it.each([
    'BEGIN',
    'begin;',
    'START TRANSACTION',
    'BEGIN ISOLATION LEVEL SERIALIZABLE',
    'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY, DEFERRABLE',
    'SET lock_timeout = 100',
    "SET LOCAL application_name = 'x'",
    'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
    'SHOW transaction_isolation',
    'RESET ALL',
    '-- a comment\nBEGIN',
  ])('%s is local', (text) => {
    expect(classifyStep(query(text), false)).toBe('local');
  });

  it.each([
    'SELECT remaining FROM events WHERE event_id = $1',
    'SELECT remaining FROM events WHERE event_id = $1 FOR UPDATE',
    'UPDATE events SET remaining = remaining - 1',
    'INSERT INTO tickets (event_id) VALUES (1)',
    'COMMIT',
    'ROLLBACK',
    'SELECT purchase($1, $2, $3)',
    'SELECT pg_advisory_xact_lock($1)',
    "SELECT nextval('tickets_ticket_id_seq')",
    'SET TRANSACTION SNAPSHOT $1',
    'SET CONSTRAINTS ALL IMMEDIATE',
    'BEGIN; UPDATE events SET remaining = 0',
    "SET search_path = 'a;b'",
    'LOCK TABLE events',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'VACUUM events',
  ])('%s is shared', (text) => {
    expect(classifyStep(query(text), false)).toBe('shared');
  });

  it('a constant SELECT is local only outside a transaction block (inside, it may take the REPEATABLE READ snapshot)', () => {
    expect(classifyStep(query('SELECT 1'), false)).toBe('local');
    expect(classifyStep(query('SELECT $1::int AS x, 2'), false)).toBe('local');
    expect(classifyStep(query('SELECT 1'), true)).toBe('shared');
  });

  it('a pause is local; a buyer parked at a SQL barrier (null) is shared', () => {
    expect(classifyStep({ kind: 'pause', label: 'x' }, true)).toBe('local');
    expect(classifyStep(null, false)).toBe('shared');
  });

  it('tracks the transaction block from the buyer’s own statements', () => {
    expect(transactionBlockAfter(query('BEGIN'), false)).toBe(true);
    expect(transactionBlockAfter(query('COMMIT'), true)).toBe(false);
    expect(transactionBlockAfter(query('ROLLBACK AND CHAIN'), true)).toBe(true);
    expect(transactionBlockAfter(query('ROLLBACK TO SAVEPOINT a'), true)).toBe(true);
    expect(transactionBlockAfter(query('SELECT 1; BEGIN'), false)).toBe(true);
    expect(transactionBlockAfter(query('UPDATE events SET remaining = 0'), false)).toBe(false);
  });
});
