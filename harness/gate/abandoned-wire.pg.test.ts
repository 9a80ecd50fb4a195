import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import { BuyerGate, type WireStep } from '../engine/buyer-gate.ts';
import { BuyerEndpoint } from './buyer-endpoint.ts';
import { serverTarget } from './server-target.ts';

// An attempt the engine abandons (to run it again) or closes (a buyer failed or
// hung) while a wire buyer's pooled client is checked out: the client library
// must see errors, never a dropped connection (node-postgres throws an
// unhandled 'error' from a checked-out client whose socket closes), the
// attempt's locks must be freed at once, and the next run must get working
// connections from the same pool.

const table = `abandoned_wire_${process.pid}`;
let admin: pg.Client;
let endpoint: BuyerEndpoint;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, remaining int NOT NULL)`);
  endpoint = await BuyerEndpoint.open(
    1,
    serverTarget(testDatabaseUrl(), { applicationName: 'oversold test' }),
  );
});

afterAll(async () => {
  await endpoint?.close();
  await admin?.query(`DROP TABLE IF EXISTS ${table}`);
  await admin?.end();
});

/** The scheduler's side of one gate: hands over held steps as they arrive. */
function scheduler() {
  let arrived: () => void = () => {};
  const gate = new BuyerGate(1, () => arrived());
  const next = async (): Promise<WireStep> => {
    while (gate.held === null) await new Promise<void>((resolve) => (arrived = resolve));
    const step = gate.held;
    if (step.kind !== 'wire') throw new Error('expected a wire step');
    return step;
  };
  /** Releases the next held statement and answers the buyer with its result. */
  const release = async (): Promise<string> => {
    await next();
    const { step, reply } = gate.take();
    if (step.kind !== 'wire') throw new Error('expected a wire step');
    step.execute().then(
      (result) => reply.resolve(result),
      (error: unknown) => reply.reject(error),
    );
    return step.text;
  };
  return { gate, next, release };
}

async function reseed(): Promise<void> {
  await admin.query(`DELETE FROM ${table}; INSERT INTO ${table} VALUES (1, 1)`);
}

/** Whether row 1 is free of other transactions' locks. */
async function rowIsFree(): Promise<boolean> {
  try {
    await admin.query(`BEGIN; SELECT * FROM ${table} WHERE id = 1 FOR UPDATE NOWAIT`);
    return true;
  } catch {
    return false;
  } finally {
    await admin.query('ROLLBACK');
  }
}

type Purchase = (url: string) => Promise<string>;

const clients: { name: string; purchase: Purchase; end: () => Promise<void> }[] = (() => {
  const pools = new Map<string, pg.Pool>();
  const sqls = new Map<string, ReturnType<typeof postgres>>();
  return [
    {
      name: 'node-postgres Pool, no error listener on checked-out clients',
      purchase: async (url: string) => {
        let pool = pools.get(url);
        if (!pool) {
          pool = new pg.Pool({ connectionString: url, max: 1 });
          pool.on('error', () => {});
          pools.set(url, pool);
        }
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query(`SELECT remaining FROM ${table} WHERE id = 1 FOR UPDATE`);
          await client.query(`UPDATE ${table} SET remaining = $1 WHERE id = 1`, [rows[0].remaining - 1]);
          await client.query('COMMIT');
          return 'purchased';
        } finally {
          client.release();
        }
      },
      end: async () => {
        for (const pool of pools.values()) await pool.end();
      },
    },
    {
      name: 'postgres.js',
      purchase: async (url: string) => {
        let sql = sqls.get(url);
        if (!sql) {
          sql = postgres(url, { max: 1, onnotice: () => {} });
          sqls.set(url, sql);
        }
        await sql.begin(async (tx) => {
          const [row] = await tx.unsafe(`SELECT remaining FROM ${table} WHERE id = 1 FOR UPDATE`);
          await tx.unsafe(`UPDATE ${table} SET remaining = $1 WHERE id = 1`, [row!.remaining - 1]);
        });
        return 'purchased';
      },
      end: async () => {
        for (const sql of sqls.values()) await sql.end({ timeout: 1 });
      },
    },
  ];
})();

describe('a wire buyer whose code never returns once its run ended early', () => {
  it('is a problem the next run reports (exit 2), after a bounded wait, never a hang', async () => {
    await reseed();
    await using own = await BuyerEndpoint.open(
      3,
      serverTarget(testDatabaseUrl(), { applicationName: 'oversold test' }),
    );
    const client = new pg.Client({ connectionString: own.url });
    client.on('error', () => {});
    await client.connect();
    try {
      const { gate, next } = scheduler();
      void own.during(gate, async () => {
        try {
          await client.query('BEGIN');
        } catch {
          await new Promise(() => {}); // waits forever once a query fails
        }
      });
      await next();
      gate.abandon();
      const { gate: second } = scheduler();
      await own.during(second, async () => {});
      expect(own.lastProblem).toMatch(/had not returned 5 s after its statements were refused/);
      expect(second.mistake).toBe(own.lastProblem);
    } finally {
      await client.end();
    }
  });
});

describe('a run that ends while the client library is still connecting', () => {
  it("lets postgres.js's own set-up queries run and refuses only the purchase's statements", async () => {
    await reseed();
    await using own = await BuyerEndpoint.open(
      4,
      serverTarget(testDatabaseUrl(), { applicationName: 'oversold test' }),
    );
    const sql = postgres(own.url, { max: 1, onnotice: () => {} });
    try {
      const { gate } = scheduler();
      // postgres.js connects on its first query, and asks for the array types then.
      const stale = own.during(gate, () =>
        sql.begin((tx) => tx.unsafe(`SELECT remaining FROM ${table} WHERE id = 1 FOR UPDATE`)),
      );
      gate.abandon();
      await expect(stale).rejects.toThrow(/oversold ended this run/);
      // The same client's next run goes through.
      const { gate: next, release } = scheduler();
      const finished = own.during(next, () =>
        sql.begin((tx) => tx.unsafe(`SELECT remaining FROM ${table} WHERE id = 1`)),
      );
      let done = false;
      finished.finally(() => (done = true)).catch(() => {});
      while (!done) await Promise.race([release(), finished.catch(() => {})]);
      expect(await finished).toEqual([{ remaining: 1 }]);
      expect(own.lastProblem).toBeNull();
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

describe.each(clients)('a wire buyer whose attempt ends early: $name', ({ purchase, end }) => {
  afterAll(end);

  /** One whole run, every statement released in turn: the connection works. */
  async function cleanRun(): Promise<void> {
    await reseed();
    const { gate, release } = scheduler();
    const finished = endpoint.during(gate, () => purchase(endpoint.url));
    let done = false;
    finished.finally(() => (done = true)).catch(() => {});
    while (!done) {
      await Promise.race([release(), finished.catch(() => {})]);
    }
    expect(await finished).toBe('purchased');
    const { rows } = await admin.query(`SELECT remaining FROM ${table} WHERE id = 1`);
    expect(rows[0].remaining).toBe(0);
  }

  for (const ending of ['abandon', 'close'] as const) {
    it(`${ending} while a statement waits at the gate inside the transaction: the lock is freed, the next run works`, async () => {
      await cleanRun();
      await reseed();
      const { gate, next, release } = scheduler();
      const stale = endpoint.during(gate, () => purchase(endpoint.url));
      // BEGIN and the locking read run; the UPDATE waits at the gate.
      while (!/FOR UPDATE/.test(await release()));
      await next();
      expect(await rowIsFree()).toBe(false);
      if (ending === 'abandon') gate.abandon();
      else gate.close('the run was abandoned (another buyer failed or hung)');
      await expect(stale).rejects.toThrow();
      expect(await rowIsFree()).toBe(true);
      await cleanRun();
    });
  }

  it('close, then close the gate at once (the check ends): the unwinding code sees errors, never a dropped connection', async () => {
    await reseed();
    await using own = await BuyerEndpoint.open(
      2,
      serverTarget(testDatabaseUrl(), { applicationName: 'oversold test' }),
    );
    const { gate, next, release } = scheduler();
    const stale = own.during(gate, () => purchase(own.url));
    while (!/FOR UPDATE/.test(await release()));
    await next();
    const unwound = stale.then(
      () => null,
      (error: unknown) => error,
    );
    gate.close('the run was abandoned (another buyer failed or hung)');
    await own.close();
    expect(await unwound).toBeInstanceOf(Error);
    expect(await rowIsFree()).toBe(true);
  });

  it('abandon while a statement is blocked inside PostgreSQL: it is cancelled, the next run works', async () => {
    await cleanRun();
    await reseed();
    // Another session holds the row: the locking read blocks at the server.
    const holder = new pg.Client({ connectionString: testDatabaseUrl() });
    await holder.connect();
    try {
      await holder.query(`BEGIN; SELECT * FROM ${table} WHERE id = 1 FOR UPDATE`);
      const { gate, release } = scheduler();
      const stale = endpoint.during(gate, () => purchase(endpoint.url));
      while (!/FOR UPDATE/.test(await release()));
      const blocked = async () => {
        const { rows } = await admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'",
        );
        return rows[0].n as number;
      };
      while ((await blocked()) === 0);
      gate.abandon();
      await expect(stale).rejects.toThrow();
      await holder.query('ROLLBACK');
      expect(await rowIsFree()).toBe(true);
      await cleanRun();
    } finally {
      await holder.end();
    }
  });
});
