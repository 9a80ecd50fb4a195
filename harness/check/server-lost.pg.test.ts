import { spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from '../../test/support/run-cli.ts';
import { startEmbeddedDatabase } from '../database/embedded-database.ts';
import type { StartedDatabase } from '../database/started-database.ts';

// A PostgreSQL server of this test's own, stopped in the middle of a run: the
// strategies already checked keep their results, the rest say why they were
// not checked, and the report files are still written (exit 2).
let work: string;
let server: StartedDatabase | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oversold-server-lost-test-'));
  // The embedded server runs as the postgres user when the test runs as root.
  await chmod(work, 0o755);
  server = await startEmbeddedDatabase({ parentDir: work });
});
afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

it('a server that stops mid-run keeps the finished strategies in the report (was: every result lost)', async () => {
  const marker = join(work, 'buyer-started');
  const json = join(work, 'report.json');
  const child = spawn(
    process.execPath,
    [
      'harness/bin.mjs',
      'check',
      'test/fixtures/hostile/safe-update.ts',
      'test/fixtures/strategies/signals-then-sleeps.ts',
      'test/fixtures/hostile/throws-in-timer.ts',
      '--runs',
      '5',
      '--timeout',
      '600000',
      '--database-url',
      server!.url,
      '--json',
      json,
    ],
    { cwd: repoRoot, env: { ...process.env, OVERSOLD_TEST_MARKER: marker }, stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await fileAppears(marker);
  await server!.stop();
  server = undefined;
  expect(await exited).toBe(2);
  const report = JSON.parse(await readFile(json, 'utf8')) as {
    strategies: { name: string; passed: boolean; error: string | null }[];
  };
  expect(report.strategies.map((strategy) => strategy.name)).toEqual([
    'safe-update',
    'signals-then-sleeps',
    'throws-in-timer',
  ]);
  expect(report.strategies[0]).toMatchObject({ passed: true, error: null });
  expect(report.strategies[1]?.error).not.toBeNull();
  expect(report.strategies[2]?.error).toMatch(
    /^test\/fixtures\/hostile\/throws-in-timer\.ts: not checked: PostgreSQL at .* stopped answering \(.*\): check the server and run again$/,
  );
});

/** Resolves when `file` exists: fs.watch reports its creation (no polling delay). */
function fileAppears(file: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dirname(file), (_event, name) => {
      if (name === basename(file) && existsSync(file)) {
        watcher.close();
        resolve();
      }
    });
    if (existsSync(file)) {
      watcher.close();
      resolve();
    }
  });
}
