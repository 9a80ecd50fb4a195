import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestLab } from '../../test/support/test-lab.ts';
import type { Lab } from '../engine/lab.ts';
import { benchExitCode } from './bench-report.ts';
import { BenchSettingsError, benchSettings } from './bench-settings.ts';
import { benchOnLab } from './run-bench.ts';

// Real PostgreSQL (the test run's shared server); short runs, counted by
// purchases rather than time, so that every number asserted is exact.

/** Strategies written for these tests, as plain .mjs objects (no import of oversold). */
const fixtures: Record<string, string> = {
  // Sells without looking at the stock: every burst oversells by (buyers - capacity), exactly.
  'ignores-stock.mjs': `export default {
    async purchase(db, { eventId, buyerId, quantity }) {
      await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [eventId, buyerId, quantity]);
      return 'purchased';
    },
  };`,
  // Fails one statement, rolls back and starts over, once per purchase: one retry, one 22012 each.
  'retries-once.mjs': `export default {
    expect: { 'no-oversell': true },
    async purchase(db, { eventId, buyerId, quantity }) {
      await db.query('BEGIN');
      try { await db.query('SELECT 1 / 0'); } catch { await db.query('ROLLBACK'); }
      await db.query('BEGIN');
      const update = await db.query('UPDATE events SET remaining = remaining - $2 WHERE event_id = $1 AND remaining >= $2', [eventId, quantity]);
      if (update.rowCount !== 1) { await db.query('ROLLBACK'); return 'sold-out'; }
      await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [eventId, buyerId, quantity]);
      await db.query('COMMIT');
      return 'purchased';
    },
  };`,
  'always-fails.mjs': `export default {
    async purchase(db) {
      await db.query('SELECT * FROM no_such_table');
      return 'purchased';
    },
  };`,
  // Waits far longer than the test's --timeout: the bench must end its backends.
  'hangs.mjs': `export default {
    async purchase(db) {
      await db.query('SELECT pg_sleep(60)');
      return 'purchased';
    },
  };`,
  'says-maybe.mjs': `export default { async purchase() { return 'maybe'; } };`,
};

let dir: string;
let lab: Lab;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oversold-bench-test-'));
  for (const [name, text] of Object.entries(fixtures)) await writeFile(join(dir, name), text);
  lab = await openTestLab();
});

afterAll(async () => {
  await lab?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Sessions other than the asking one still connected to the lab's database. */
async function leftoverSessions(): Promise<number> {
  const session = await lab.connector.connect();
  try {
    const result = await session.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return Number(result.rows[0]?.n);
  } finally {
    await session.close();
  }
}

const quick = (extra: Parameters<typeof benchSettings>[0] = {}) =>
  benchSettings({ levels: [1, 3], purchases: 30, bursts: 2, stock: 1000, timeoutMs: 10_000, ...extra });

describe('oversold bench on PostgreSQL', () => {
  it('counts every purchase of a correct strategy, and its bursts sell exactly the units that exist', async () => {
    const report = await benchOnLab(lab, ['strategies/guarded-update.ts'], quick(), { pgbench: false });
    expect(report.strategies).toEqual([
      { name: 'guarded-update', file: 'strategies/guarded-update.ts', error: null, expectsOversell: false },
    ]);
    expect(report.results.map((result) => result.concurrency)).toEqual([1, 3]);
    for (const result of report.results) {
      expect(result.purchased).toBe(30);
      expect(result.soldOut).toBe(0);
      expect(result.failed).toBe(0);
      expect(result.retries).toBe(0);
      expect(result.errors).toEqual({});
      expect(result.oversold).toBe(0);
      expect(result.throughput).toBeGreaterThan(0);
      expect(result.p50Ms).not.toBeNull();
      expect(result.p99Ms!).toBeGreaterThanOrEqual(result.p50Ms!);
      expect(result.ceiling?.throughput).toBeGreaterThan(0);
      const last = result.lastTickets;
      expect(last.capacity).toBe(Math.max(1, Math.min(4, result.concurrency - 1)));
      expect(last.sold).toBe(last.capacity * last.bursts);
      expect(last.oversold).toBe(0);
    }
    expect(benchExitCode(report)).toBe(0);
    expect(await leftoverSessions()).toBe(0);
  });

  it('counts the units a strategy oversells in the last-tickets bursts, and exits 1 for it', async () => {
    const report = await benchOnLab(lab, [join(dir, 'ignores-stock.mjs')], quick({ levels: [5] }), {
      pgbench: false,
    });
    const [result] = report.results;
    // 5 buyers, 4 units, 2 bursts: every buyer buys, 1 unit too many each time.
    expect(result?.lastTickets).toEqual({ capacity: 4, bursts: 2, sold: 10, oversold: 2, failed: 0 });
    expect(result?.oversold).toBe(2);
    expect(benchExitCode(report)).toBe(1);
  });

  it('counts a second BEGIN within one purchase as a retry, and failed statements by SQLSTATE', async () => {
    const report = await benchOnLab(lab, [join(dir, 'retries-once.mjs')], quick({ ceiling: false }), {
      pgbench: false,
    });
    for (const result of report.results) {
      expect(result.purchased).toBe(30);
      expect(result.retries).toBe(30);
      expect(result.errors).toEqual({ '22012': 30 });
      expect(result.failed).toBe(0);
      expect(result.ceiling).toBeNull();
    }
    expect(benchExitCode(report)).toBe(0);
  });

  it('reports a strategy that fails on every call in one line, exits 2, and leaves no session open', async () => {
    const report = await benchOnLab(
      lab,
      [join(dir, 'always-fails.mjs'), 'strategies/guarded-update.ts'],
      quick({ levels: [4] }),
      { pgbench: false },
    );
    const [broken, healthy] = report.strategies;
    expect(broken?.error).toMatch(
      /always-fails\.mjs: every purchase failed at concurrency 4 \(30 of 30; first: SQLSTATE 42P01: relation "no_such_table" does not exist\)$/,
    );
    expect(broken?.error).not.toContain('\n');
    expect(healthy?.error).toBeNull();
    expect(report.results.map((result) => result.strategy)).toEqual(['guarded-update']);
    expect(benchExitCode(report)).toBe(2);
    expect(await leftoverSessions()).toBe(0);
  });

  it('ends the backends of a strategy that hangs, and says so in one line', async () => {
    const report = await benchOnLab(lab, [join(dir, 'hangs.mjs')], quick({ levels: [3], timeoutMs: 300 }), {
      pgbench: false,
    });
    expect(report.strategies[0]?.error).toMatch(
      /hangs\.mjs: buyer \d's purchase took longer than 300 ms at concurrency 3: the strategy hangs/,
    );
    expect(benchExitCode(report)).toBe(2);
    expect(await leftoverSessions()).toBe(0);
  });

  it('names a return value that is neither purchased nor sold-out', async () => {
    const report = await benchOnLab(lab, [join(dir, 'says-maybe.mjs')], quick({ levels: [2] }), {
      pgbench: false,
    });
    expect(report.strategies[0]?.error).toMatch(
      /says-maybe\.mjs: purchase\(\) returned 'maybe': return 'purchased' or 'sold-out'$/,
    );
    expect(await leftoverSessions()).toBe(0);
  });

  it('says where it looked when there is no pgbench, instead of comparing', async () => {
    const report = await benchOnLab(
      lab,
      ['strategies/guarded-update.ts'],
      quick({ levels: [1], bursts: 1 }),
      {
        pgbench: '/nonexistent/pgbench',
      },
    );
    expect(report.pgbench).toEqual({
      available: false,
      reason: expect.stringMatching(/^no pgbench found \(looked in \/nonexistent\/pgbench\)/),
    });
  });
});

describe('bench settings', () => {
  it.each([[[0]], [[-2]], [[1.5]], [[]]])('refuses concurrency levels %j', (levels) => {
    expect(() => benchSettings({ levels })).toThrow(BenchSettingsError);
  });
});
