import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';
import { testDatabaseUrl } from './support/test-lab.ts';

// A role that may not create databases: every oversold process works inside
// the one database it is given, side by side, each in its own schemas.
const suffix = randomBytes(4).toString('hex');
const role = `oversold_shared_${suffix}`;
const database = `oversold_shared_db_${suffix}`;
let admin: pg.Client;
let sharedUrl: string;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN NOCREATEDB NOSUPERUSER`);
  await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
  const url = new URL(testDatabaseUrl());
  url.username = role;
  url.password = '';
  url.pathname = `/${database}`;
  sharedUrl = url.toString();
});
afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

describe('oversold processes sharing one database (regression: barrier keys collided, SQL strategies reported as hanging)', () => {
  it('runs four checks of a SQL strategy with barriers at once, each with the verdicts it gets alone', async () => {
    const check = () =>
      runCli([
        'check',
        'strategies/plpgsql-lock-first.sql',
        'test/fixtures/strategies/plpgsql-read-pause-write.sql',
        '--runs',
        '40',
        '--seed',
        '3',
        '--properties',
        'no-oversell',
        '--timeout',
        '20000',
        '--database-url',
        sharedUrl,
      ]);
    const alone = await check();
    const together = await Promise.all([check(), check(), check(), check()]);
    for (const result of [alone, ...together]) {
      // The read-pause-write fixture oversells (exit 1); nothing may hang (exit 2).
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stdout).not.toMatch(/hang|did not finish/);
      expect(result.stdout).toMatch(/plpgsql-read-pause-write[^\n]*\n\s*FAILS\s+no-oversell/);
    }
    // Nothing of theirs is left in the shared database.
    const schemas = await admin.query(
      `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname ~ '^s[0-9]+_'`,
    );
    expect(schemas.rows[0]?.n).toBe(0);
  });
});
