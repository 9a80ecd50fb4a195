import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestLab } from '../../test/support/test-lab.ts';
import { checkStrategy } from '../check/check-strategy.ts';
import type { StrategyReport } from '../check/report-model.ts';
import type { Lab } from '../engine/lab.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';

// What a command strategy's program can do wrong, on the real server: one line each, not evaluable.
let lab: Lab;
let scratch: string;
beforeAll(async () => {
  lab = await openTestLab();
  scratch = await mkdtemp(join(tmpdir(), 'oversold-gate-bad-'));
});
afterAll(async () => {
  await lab?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const python = '/usr/bin/python3';
const hasPsycopg2 = (() => {
  try {
    execFileSync(python, ['-c', 'import psycopg2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const misbehave = resolve('harness/gate/fixtures/bad/connect_then.py');

async function check(name: string, command: string[], timeoutMs = 20_000): Promise<StrategyReport> {
  const path = join(scratch, `${name}.json`);
  await writeFile(path, JSON.stringify({ name, command, timeoutMs }));
  const loaded = await loadStrategy(path);
  if ('error' in loaded) throw loaded.error;
  return checkStrategy(lab, loaded.strategy, {
    runs: 3,
    seed: 7,
    ranges: { capacity: { min: 1, max: 1 }, buyers: { min: 2, max: 2 }, quantity: { min: 1, max: 1 } },
    properties: ['no-oversell', 'no-errors'],
    timeoutMs: 20_000,
  });
}

/** Nothing the check started is left: no buyer program alive, no connection of the lab's database. */
async function nothingLeft(folder: string): Promise<void> {
  for (const file of (await readdir(folder)).filter((name) => name.startsWith('pid-'))) {
    const pid = Number(await readFile(join(folder, file), 'utf8'));
    expect(() => process.kill(pid, 0), `buyer program ${pid} still runs`).toThrow();
  }
  const probe = await lab.connector.connect();
  try {
    const left = await probe.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'oversold buyer%'",
    );
    expect(left.rows[0]?.n).toBe(0);
  } finally {
    await probe.close();
  }
}

describe('command strategies that cannot be evaluated (exit 2, one line)', () => {
  it('a command that does not exist', async () => {
    const report = await check('wrong-command', ['no-such-program-oversold']);
    expect(report.error).toMatch(
      /buyer \d's program \(no-such-program-oversold\) could not start \(ENOENT\): check "command"/,
    );
    expect(report.error).not.toContain('\n');
  });

  it('a program that exits before connecting, with its stderr', async () => {
    const report = await check('never-connects', [
      '/bin/sh',
      '-c',
      'echo "no database configured" >&2; exit 3',
    ]);
    expect(report.error).toMatch(
      /exited with status 3 without connecting to its database: no database configured: it must connect with DATABASE_URL/,
    );
  });

  // Debian's python3-psycopg2, which .ci/run installs (and fails loudly when it cannot).
  describe.skipIf(!hasPsycopg2)('psycopg2 programs', () => {
    const run = async (what: string, timeoutMs?: number) => {
      const folder = await mkdtemp(join(scratch, `${what}-`));
      const report = await check(what, [python, misbehave, what, folder], timeoutMs);
      await nothingLeft(folder);
      return report;
    };

    it('a program that holds a row lock and never ends is killed at its timeoutMs, its lock released', async () => {
      const report = await run('sleep', 1500);
      expect(report.error).toMatch(/did not finish within 1500 ms: fix it, or raise "timeoutMs"/);
    });

    it('a program that crashes', async () => {
      const report = await run('crash');
      expect(report.error).toMatch(/crashed \(killed by SIGSEGV\)/);
    });

    it('a client that insists on SSL', async () => {
      const report = await run('ssl');
      expect(report.error).toMatch(/insists on SSL .*use sslmode=disable or prefer/);
    });

    it('a client that uses COPY', async () => {
      const report = await run('copy');
      expect(report.error).toMatch(/used COPY: the gate schedules statements, not COPY streams/);
    });

    it('a client that uses LISTEN', async () => {
      const report = await run('listen');
      expect(report.error).toMatch(/ran LISTEN/);
    });

    it("a non-zero exit after connecting is the buyer's own error, with stderr's last line (evaluable)", async () => {
      const report = await run('fail');
      expect(report.error).toBeNull();
      const errors = report.properties.find((property) => property.name === 'no-errors')!;
      expect(errors.passed).toBe(false);
      expect(JSON.stringify(errors.counterexample)).toContain(
        'exited with status 4: payment service unreachable',
      );
    });
  });
});
