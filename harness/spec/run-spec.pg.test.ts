import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import { runSpec } from './run-spec.ts';
import { parseSpec } from './spec-parser.ts';

// Specs of PostgreSQL 15's isolation suite whose expected output PostgreSQL 18
// prints too, so they run on the embedded server the tests share.
const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'spec');

async function run(name: string) {
  const spec = parseSpec(readFileSync(join(fixtures, `${name}.spec`), 'utf8'));
  return runSpec(spec, { url: testDatabaseUrl(), timeoutMs: 60_000 });
}

function expected(name: string): string {
  return readFileSync(join(fixtures, `${name}.out`), 'utf8');
}

describe('oversold spec on the real server prints what isolationtester prints', () => {
  it.each([
    // a step that waits, then a deadlock that PostgreSQL's own detector breaks (its victim, not the longest waiter)
    'deadlock-simple',
    // deadlock_timeout chooses the victim among three sessions
    'deadlock-soft',
    // an error in a step, row locks and NOWAIT
    'nowait-3',
    'skip-locked-2',
    'insert-conflict-do-nothing',
    'delete-abort-savept',
    // the (*) and (s8a1) markers: a step reported waiting once, a completion held back until another's
    'deadlock-hard',
  ])('%s reproduces its expected output exactly', async (name) => {
    const result = await run(name);
    expect(result.unsupported).toBeNull();
    expect(result.output).toBe(expected(name));
  });

  it('reports a spec that needs prepared transactions as unsupported, never as passed', async () => {
    const spec = parseSpec(`
      setup { CREATE TABLE t (i int); }
      teardown { DROP TABLE t; }
      session s1
      step s1p { BEGIN; INSERT INTO t VALUES (1); PREPARE TRANSACTION 'x'; }
      step s1c { COMMIT PREPARED 'x'; }
    `);
    const result = await runSpec(spec, { url: testDatabaseUrl(), timeoutMs: 60_000 });
    expect(result.unsupported).toMatch(/max_prepared_transactions = 0/);
    expect(result.output).toBe('');
  });
});
