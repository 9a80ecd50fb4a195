import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestLab } from '../../test/support/test-lab.ts';
import type { Lab } from '../engine/lab.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import { PostgresError, type PostgresJsSql, postgresJsSql } from './postgres-js-facade.ts';

let lab: Lab;
let session: SqlSession;
let sql: PostgresJsSql;
const sent: string[] = [];

beforeAll(async () => {
  lab = await openTestLab();
  session = await lab.connector.connect();
  // Records what reaches PostgreSQL, in order, then sends it.
  sql = postgresJsSql({
    query: (text, params) => {
      sent.push(text);
      return session.query(text, params);
    },
  });
  await session.query(
    'CREATE TEMP TABLE stock (item_id int PRIMARY KEY, units int NOT NULL CHECK (units >= 0)); INSERT INTO stock VALUES (1, 5), (2, 0)',
  );
});
afterAll(async () => {
  await session?.close();
  await lab?.close();
});

describe('the postgres.js-style sql on PostgreSQL', () => {
  it('returns rows as an array with count and command', async () => {
    const rows = await sql<{
      item_id: number;
      units: number;
    }>`SELECT item_id, units FROM stock WHERE units > ${0}`;
    expect([...rows]).toEqual([{ item_id: 1, units: 5 }]);
    expect(rows.count).toBe(1);
    expect(rows.command).toBe('SELECT');
    const update = await sql`UPDATE stock SET units = units WHERE item_id IN ${sql([1, 2])}`;
    expect(update.count).toBe(2);
    expect(update.command).toBe('UPDATE');
    expect(await sql`SELECT item_id, units FROM stock ORDER BY item_id`.values()).toEqual([
      [1, 5],
      [2, 0],
    ]);
  });

  it('sends nothing until a query is awaited (postgres.js queries are lazy)', async () => {
    sent.length = 0;
    const query = sql`SELECT 1 AS one`;
    await Promise.resolve();
    expect(sent).toEqual([]);
    expect([...(await query)]).toEqual([{ one: 1 }]);
    expect(sent).toEqual(['SELECT 1 AS one']);
  });

  it('commits sql.begin and resolves to the callback’s value', async () => {
    sent.length = 0;
    const value = await sql.begin(async (sql) => {
      await sql`UPDATE stock SET units = units - ${1} WHERE item_id = ${1}`;
      return 'purchased';
    });
    expect(value).toBe('purchased');
    expect(sent).toEqual(['BEGIN', 'UPDATE stock SET units = units - $1 WHERE item_id = $2', 'COMMIT']);
    expect((await sql`SELECT units FROM stock WHERE item_id = 1`)[0]).toEqual({ units: 4 });
    expect(session.inTransaction()).toBe(false);
  });

  it('rolls sql.begin back when the callback throws, and rethrows the error with its SQLSTATE', async () => {
    sent.length = 0;
    const failure = await sql
      .begin('isolation level repeatable read', async (sql) => {
        await sql`UPDATE stock SET units = units - ${1} WHERE item_id = ${1}`;
        await sql`UPDATE stock SET units = units - ${1} WHERE item_id = ${2}`;
        return 'purchased';
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PostgresError);
    expect(failure).toMatchObject({
      name: 'PostgresError',
      code: '23514',
      constraint_name: 'stock_units_check',
    });
    expect((failure as PostgresError).query).toBe('UPDATE stock SET units = units - $1 WHERE item_id = $2');
    // The error points at the line of this test that wrote the failing query.
    expect((failure as Error).stack?.split('\n')[1]).toContain('postgres-js-facade.pg.test.ts');
    expect(sent).toEqual([
      'BEGIN isolation level repeatable read',
      'UPDATE stock SET units = units - $1 WHERE item_id = $2',
      'UPDATE stock SET units = units - $1 WHERE item_id = $2',
      'ROLLBACK',
    ]);
    expect((await sql`SELECT units FROM stock WHERE item_id = 1`)[0]).toEqual({ units: 4 });
  });

  it('rolls back to a savepoint and keeps the transaction', async () => {
    await sql.begin(async (sql) => {
      await sql`UPDATE stock SET units = 3 WHERE item_id = 1`;
      await sql
        .savepoint(async (sql) => {
          await sql`UPDATE stock SET units = -1 WHERE item_id = 1`;
        })
        .catch((error: unknown) => expect(error).toMatchObject({ code: '23514' }));
    });
    expect((await sql`SELECT units FROM stock WHERE item_id = 1`)[0]).toEqual({ units: 3 });
  });

  it('runs sql.unsafe with $n parameters, and queries awaited together one after another', async () => {
    const [a, b] = await Promise.all([
      sql.unsafe('SELECT $1::int + $2::int AS sum', [2, 3]),
      sql`SELECT ${'x'}::text AS x`,
    ]);
    expect(a?.[0]).toEqual({ sum: 5 });
    expect(b?.[0]).toEqual({ x: 'x' });
  });
});
