import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';

// `oversold check` from a temp folder with no package.json above it, against
// the run's PostgreSQL: the strategy is loaded and its purchase() really runs.
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oversold-load-anywhere-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
const run = promisify(execFile);

const guardedUpdate = `import type { BuyerDb, TicketRequest } from 'oversold';

interface Sale { sold: boolean }

const name: string = 'guarded-update-outside-a-package';

export default {
  name,
  async purchase(db: BuyerDb, { eventId, buyerId, quantity }: TicketRequest): Promise<string> {
    await db.query('BEGIN');
    const update = await db.query(
      'UPDATE events SET remaining = remaining - $2 WHERE event_id = $1 AND remaining >= $2',
      [eventId, quantity],
    );
    const sale: Sale = { sold: update.rowCount === 1 };
    if (!sale.sold) {
      await db.query('ROLLBACK');
      return 'sold-out';
    }
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [eventId, buyerId, quantity]);
    await db.query('COMMIT');
    return 'purchased';
  },
};
`;

it('regression: oversold check runs a TypeScript strategy outside an ES-module package (was "does not load")', async () => {
  await writeFile(join(work, 'buy.ts'), guardedUpdate);
  const { stdout } = await run(
    process.execPath,
    [bin, 'check', 'buy.ts', '--runs', '3', '--seed', '1', '--database-url', testDatabaseUrl()],
    { cwd: work, env: { ...process.env, NO_COLOR: '1' } },
  );
  expect(stdout).toContain('guarded-update-outside-a-package');
});
