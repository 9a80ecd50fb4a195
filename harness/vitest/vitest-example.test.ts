import { spawn } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/support/run-cli.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';

const example = join(repoRoot, 'examples', 'vitest');
const vitestBin = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');

interface VitestRun {
  readonly code: number | null;
  readonly output: string;
}

/** Runs vitest as a user would, in `dir`, on this run's PostgreSQL. */
function runVitest(dir: string): Promise<VitestRun> {
  // The parent vitest's worker variables would confuse the child run.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && !key.startsWith('TINYPOOL')),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitestBin, 'run'], {
      cwd: dir,
      env: { ...env, DATABASE_URL: testDatabaseUrl(), NO_COLOR: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('examples/vitest run by vitest (real PostgreSQL)', () => {
  it.concurrent('passes on the correct checkout it ships with', async () => {
    const run = await runVitest(example);
    expect(run.output).toMatch(/Tests\s+2 passed \(2\)/);
    expect(run.code).toBe(0);
  });

  it.concurrent('fails on a broken checkout with the timeline and the replay command', async () => {
    // The example's exact files, next to an oversold checkout instead of the correct one.
    const dir = join(repoRoot, '.oversold-artifacts', 'vitest-example-broken');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await copyFile(join(example, 'checkout.test.ts'), join(dir, 'checkout.test.ts'));
    await copyFile(join(example, 'vitest.config.ts'), join(dir, 'vitest.config.ts'));
    await copyFile(
      join(repoRoot, 'test/fixtures/reports/strategies/naive-oversells.ts'),
      join(dir, 'checkout.ts'),
    );
    const run = await runVitest(dir);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/Tests\s+2 failed \(2\)/);
    // expectNoOversell: the CLI's counterexample block.
    expect(run.output).toContain('OversoldAssertionError: naive-oversells (checkout.ts) breaks no-oversell');
    expect(run.output).toMatch(/buyer 1\s+│ buyer 2/);
    expect(run.output).toMatch(
      /replay: oversold replay checkout\.ts --schedule "[\d ]+" --capacity \d+ --buyers 2/,
    );
    expect(run.output).toContain('seed 42, 50 runs');
    // The @fast-check/vitest property: fast-check's seed and path, and the run's own explanation.
    expect(run.output).toContain('{ seed: 42, path:');
    expect(run.output).toMatch(
      /sold \d of \d: buyer 1 purchased; buyer 2 purchased\nreplay: oversold replay checkout\.ts/,
    );
  });
});
