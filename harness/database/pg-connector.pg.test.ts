import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import { pgConnector } from './pg-connector.ts';

describe('pgConnector on PostgreSQL', () => {
  it("settles a failed statement only after PostgreSQL released the transaction's locks (regression: a deadlock victim's waiter resumed in one run, not in the next)", async () => {
    const connector = pgConnector(testDatabaseUrl());
    const buyer = await connector.connect();
    const observer = await connector.connect();
    try {
      await buyer.query('CREATE TEMP TABLE lock_probe (id int PRIMARY KEY)');
      await buyer.query('INSERT INTO lock_probe VALUES (1)');
      const probe = await buyer.query("SELECT 'lock_probe'::regclass::oid::int AS oid");
      const table = probe.rows[0]?.oid as number;
      for (let attempt = 0; attempt < 30; attempt++) {
        await buyer.query('BEGIN');
        await buyer.query('SELECT id FROM lock_probe WHERE id = 1 FOR UPDATE');
        const failed = await buyer.query('SELECT 1 / 0').catch((error: unknown) => error);
        expect((failed as { code?: string }).code).toBe('22012');
        // The moment the failure is known, the aborted transaction holds no lock on the table.
        const held = await observer.query(
          'SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND relation = $2',
          [buyer.pid, table],
        );
        expect(held.rows[0]?.n).toBe(0);
        expect(buyer.inTransaction()).toBe(true);
        await buyer.query('ROLLBACK');
      }
    } finally {
      await buyer.close();
      await observer.close();
    }
  });
});
