import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';

// Hostile strategies under `oversold check --isolate`, against the run's real
// PostgreSQL. The timeout is 60 s and each death must be reported before it
// could have fired: a death noticed only by the timeout takes 60 s or more.
// (A tighter bound flaked on a loaded 2-core machine, where starting the CLI
// and the children alone took over 10 s.)
const TIMEOUT_MS = 60_000;
const AT_ONCE_MS = TIMEOUT_MS;

async function checkIsolated(fixture: string, timeoutMs = TIMEOUT_MS) {
  const tag = `oversold-isolate-test-${process.pid}-${fixture}-${performance.now()}`;
  const started = performance.now();
  const result = await runCli(
    [
      'check',
      `test/fixtures/isolate/${fixture}`,
      '--isolate',
      '--runs',
      '5',
      '--timeout',
      String(timeoutMs),
      '--database-url',
      testDatabaseUrl(),
    ],
    { OVERSOLD_TEST_TAG: tag },
  );
  return { ...result, seconds: (performance.now() - started) / 1000, leftovers: await processesTagged(tag) };
}

/** Processes (oversold's children) still running with the test's tag in their environment. */
async function processesTagged(tag: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const tagged: number[] = [];
  for (const pid of pids) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.includes(`OVERSOLD_TEST_TAG=${tag}`)) tagged.push(Number(pid));
  }
  return tagged;
}

describe('--isolate: a buyer whose process dies is reported at once (regression: reported as a hang after the timeout)', () => {
  it('process.exit(0) in purchase(): exit 2, naming the buyer and the exit code', async () => {
    const run = await checkIsolated('exits-in-purchase.ts');
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toMatch(
      /exits-in-purchase\.ts: buyer \d's process exited with code 0 during purchase\(\) \(process\.exit in the strategy\?\)/,
    );
    expect(run.seconds * 1000).toBeLessThan(AT_ONCE_MS);
    expect(run.leftovers).toEqual([]);
  });

  it('killed by SIGKILL in purchase(): exit 2, naming the signal', async () => {
    const run = await checkIsolated('killed-by-signal.ts');
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toMatch(
      /buyer \d's process was killed by SIGKILL during purchase\(\) \(out of memory\?\)/,
    );
    expect(run.seconds * 1000).toBeLessThan(AT_ONCE_MS);
    expect(run.leftovers).toEqual([]);
  });

  it('unbounded allocation: the child hits its heap limit and is reported out of memory', async () => {
    const run = await checkIsolated('allocates-forever.ts');
    expect(run.code, run.stdout).toBe(2);
    expect(run.stdout).toMatch(
      /buyer \d's process ran out of memory during purchase\(\) \(its heap limit is 256 MB\)/,
    );
    expect(run.seconds * 1000).toBeLessThan(TIMEOUT_MS);
    expect(run.leftovers).toEqual([]);
  });

  it('a busy loop is still stopped by the timeout', async () => {
    // Long enough that loading the module in its child never hits it, even on a loaded machine.
    const run = await checkIsolated('../strategies/busy-loop.ts', 8000);
    expect(run.code, run.stdout).toBe(2);
    expect(run.stdout).toMatch(
      /buyer \d \(its code between statements\) did not finish a step within 8000 ms/,
    );
    expect(run.leftovers).toEqual([]);
  });
});

describe('--isolate: what a child reports is bounded (regression: a 100 MB error message ran the parent out of memory)', () => {
  it('keeps a few KB of a 100 MB error message and says how much was cut', async () => {
    const run = await checkIsolated('huge-error-message.ts');
    // The buyers threw: no-errors fails, which is this strategy's true verdict.
    expect(run.code, run.stderr).toBe(1);
    const cut = /threw: (x+)… \((\d+) more characters cut\)/.exec(run.stdout);
    expect(cut, run.stdout.slice(0, 2000)).not.toBeNull();
    const [, kept, more] = cut!;
    expect(kept!.length).toBeLessThanOrEqual(4096);
    expect(kept!.length + Number(more)).toBe(100_000_000);
    expect(run.stdout.length).toBeLessThan(200_000);
    expect(run.leftovers).toEqual([]);
  });
});
