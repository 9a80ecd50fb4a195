import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/support/run-cli.ts';
import { Lab } from '../engine/lab.ts';
import { startEmbeddedDatabase } from './embedded-database.ts';
import { pgConnector } from './pg-connector.ts';
import { startDatabase } from './start-database.ts';
import type { StartedDatabase } from './started-database.ts';

// URL mode on a server this file starts, so that killed owners and dropped
// databases concern no one else.
const opener = join(repoRoot, 'test', 'fixtures', 'embedded-server', 'open-lab-and-wait.ts');
let server: StartedDatabase;
let admin: pg.Client;

beforeAll(async () => {
  server = await startEmbeddedDatabase();
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

const asUrl = (): StartedDatabase => ({
  source: 'url',
  url: server.url,
  stop: async () => {},
  [Symbol.asyncDispose]: async () => {},
});

async function databaseExists(name: string): Promise<boolean> {
  const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length > 0;
}

/** Starts a process that opens a Lab on the server; resolves with its scratch database's name. */
function openLabElsewhere(): { child: ChildProcess; name: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', opener, server.url], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) =>
      reject(new Error(`the Lab process exited (${code}) before printing a name`)),
    );
  });
  return { child, name };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('scratch databases in URL mode (14 were left behind in one afternoon)', () => {
  it('one whose owner was killed is dropped by the next Lab.open; one whose owner lives is kept', async () => {
    await using living = await Lab.open(asUrl(), pgConnector);
    const livingSession = await living.connector.connect();
    const livingName = String((await livingSession.query('SELECT current_database() AS name')).rows[0]?.name);
    await livingSession.close();

    const { child, name } = openLabElsewhere();
    const exited = exitOf(child);
    const orphan = await name;
    expect(await databaseExists(orphan)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    // The server notices the dead client's closed socket on its own time; wait for what it reports.
    const deadline = performance.now() + 30_000;
    for (;;) {
      const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE application_name LIKE $1', [
        `%${orphan}`,
      ]);
      if (rows.length === 0 || performance.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    await using next = await Lab.open(asUrl(), pgConnector);
    expect(next.info.source).toBe('url');
    expect(await databaseExists(orphan)).toBe(false);
    expect(await databaseExists(livingName)).toBe(true);
  });

  it('is dropped on Ctrl-C', async () => {
    const { child, name } = openLabElsewhere();
    const exited = exitOf(child);
    const scratch = await name;
    expect(await databaseExists(scratch)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await databaseExists(scratch)).toBe(false);
  });
});

describe('database URLs in messages', () => {
  it("never show the password ('is not a URL' printed it)", async () => {
    const error = await startDatabase({ url: 'postgresql://user:secret@host:notaport/db' }).catch(
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("'postgresql://user:***@host:notaport/db' is not a URL");
    expect((error as Error).message).not.toContain('secret');
  });

  it('never show the password when the server cannot be reached', async () => {
    const url = 'postgresql://user:secret@127.0.0.1:1/db';
    const error = await Lab.open({ ...asUrl(), url }, pgConnector).catch(
      (caught: unknown) => caught as Error,
    );
    expect((error as Error).message).toMatch(
      /^cannot connect to PostgreSQL at postgresql:\/\/user:\*\*\*@127\.0\.0\.1:1\/db/,
    );
    expect((error as Error).message).not.toContain('secret');
  });
});
