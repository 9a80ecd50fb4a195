import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, repoRoot, runCli } from '../../test/support/run-cli.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';

// The real `oversold` command in a child process, against the run's PostgreSQL.
let url: string;
let work: string;
let admin: pg.Client;

beforeAll(async () => {
  url = testDatabaseUrl();
  work = await mkdtemp(join(tmpdir(), 'oversold-cli-test-'));
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await rm(work, { recursive: true, force: true });
});

const fixture = (name: string) => `test/fixtures/strategies/${name}`;

/** Databases and sessions a finished oversold process left on the server. */
async function leftoversOf(pid: number): Promise<string[]> {
  const databases = await admin.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE datname LIKE $1',
    [`oversold_${pid}_%`],
  );
  const sessions = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname LIKE $1 OR application_name LIKE 'oversold%' AND datname LIKE $1",
    [`oversold_${pid}_%`],
  );
  return [
    ...databases.rows.map((row) => `database ${row.datname}`),
    ...sessions.rows.map((row) => `session ${row.pid}`),
  ];
}

interface JsonReport {
  passed: boolean;
  seed: number;
  database: { source: string; serverVersion: string };
  strategies: {
    name: string;
    file: string;
    passed: boolean;
    error: string | null;
    interleavings: number;
    properties: Record<
      string,
      {
        passed: boolean;
        expected?: boolean;
        counterexample: {
          capacity: number;
          buyers: { id: number; quantity: number }[];
          schedule: string;
          replay: string;
          sold: number;
          trace: unknown[];
        } | null;
      }
    >;
  }[];
}

async function checkJson(
  args: string[],
): Promise<{ code: number | null; report: JsonReport; stdout: string }> {
  const file = join(work, `report-${Math.random().toString(36).slice(2)}.json`);
  const result = await runCli(['check', ...args, '--database-url', url, '--json', file]);
  const report = JSON.parse(await readFile(file, 'utf8')) as JsonReport;
  return { code: result.code, report, stdout: result.stdout };
}

/** Splits a printed replay command into arguments (it quotes only the schedule). */
function replayArgs(command: string): string[] {
  const words = command.match(/"[^"]*"|\S+/g) ?? [];
  return words.slice(1).map((word) => word.replace(/^"|"$/g, ''));
}

describe('oversold check and replay (real CLI, real PostgreSQL)', () => {
  it('catches the naive strategy, shrinks it to 2 buyers and 1 ticket, and exits 0 because the failure is expected', async () => {
    const { code, report, stdout } = await checkJson([
      'strategies/naive-read-modify-write.ts',
      '--seed',
      '11',
      // One unit each: the smallest oversell is then 2 buyers on 1 ticket.
      '--quantity',
      '1',
    ]);
    expect(code).toBe(0);
    const property = report.strategies[0]!.properties['no-oversell']!;
    expect(property).toMatchObject({ passed: false, expected: false });
    expect(property.counterexample!.buyers).toHaveLength(2);
    expect(property.counterexample!.capacity).toBe(1);
    expect(property.counterexample!.sold).toBe(2);
    expect(stdout).toMatch(/buyer 1 +│ buyer 2/);
    // Printed as it must be typed: npx unless this package's oversold is on PATH.
    expect(stdout).toContain(`replay: npx ${property.counterexample!.replay}`);
    expect(stdout).toContain('sold 2 of 1');
  });

  it('replays every printed counterexample exactly: same trace, same units sold', async () => {
    const { report } = await checkJson([
      'strategies/naive-read-modify-write.ts',
      'strategies/read-committed-transaction.ts',
      fixture('update-from-subquery.ts'),
      '--seed',
      '5',
      '--buyers',
      '2..3',
    ]);
    const examples = report.strategies.flatMap((strategy) =>
      Object.values(strategy.properties)
        .map((property) => property.counterexample)
        .filter((example) => example !== null),
    );
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const example of examples) {
      const file = join(work, `replay-${Math.random().toString(36).slice(2)}.json`);
      const replayed = await runCli([...replayArgs(example.replay), '--database-url', url, '--json', file]);
      expect(replayed.code, replayed.stdout + replayed.stderr).toBe(1);
      const again = JSON.parse(await readFile(file, 'utf8')) as JsonReport;
      const property = again.strategies[0]!.properties['no-oversell']!;
      expect(property.counterexample!.trace).toEqual(example.trace);
      expect(property.counterexample!.sold).toBe(example.sold);
      expect(property.counterexample!.schedule).toBe(example.schedule);
    }
  });

  it('exits 1 when a strategy with no expectation oversells', async () => {
    const { code, report } = await checkJson([fixture('update-from-subquery.ts'), '--seed', '2']);
    expect(code).toBe(1);
    expect(report.passed).toBe(false);
    expect(report.strategies[0]!.properties['no-oversell']!.passed).toBe(false);
  });

  it('catches a guard written remaining > 0 instead of remaining >= quantity with the default ranges', async () => {
    const { code, report } = await checkJson([fixture('guard-ignores-quantity.ts'), '--seed', '3']);
    expect(code).toBe(1);
    const property = report.strategies[0]!.properties['no-oversell']!;
    expect(property.passed).toBe(false);
    expect(property.counterexample!.buyers.some((buyer) => buyer.quantity > 1)).toBe(true);
    // One unit per buyer cannot tell the two guards apart: the default's second unit is what finds it.
    const single = await checkJson([fixture('guard-ignores-quantity.ts'), '--seed', '3', '--quantity', '1']);
    expect(single.report.strategies[0]!.properties['no-oversell']!.passed).toBe(true);
  });

  it('prints a strategy’s verdicts as soon as it is checked, and the summary last', async () => {
    const gate = join(work, 'gate');
    execFileSync('mkfifo', [gate]);
    const child = spawn(
      process.execPath,
      [
        cliBin,
        'check',
        'strategies/guarded-update.ts',
        fixture('waits-for-gate.ts'),
        '--runs',
        '5',
        '--seed',
        '1',
        '--database-url',
        url,
        '--json',
        join(work, 'streamed.json'),
      ],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', OVERSOLD_TEST_GATE: gate } },
    );
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The second strategy cannot load until the gate opens: the first block must come out before.
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/holds +no-errors/.test(stdout)) resolve();
      });
    });
    expect(stdout).toMatch(/^✓ guarded-update strategies\/guarded-update\.ts/);
    expect(stdout).not.toContain('waits-for-gate');
    expect(stdout).not.toMatch(/passed, /);
    await writeFile(gate, 'open');
    expect(await exited).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      /^2 passed, 0 failed · capacity 1\.\.3, buyers 2\.\.4, quantity 1\.\.2, 5 runs, seed 1 · PostgreSQL/,
    );
    expect(lines.at(-3)).toBe(`JSON report: ${join(work, 'streamed.json')}`);
    // Off a terminal: no bar and no escape codes.
    expect(stdout).not.toContain('\x1b');
  });

  it('exits 0 for a safe strategy and reports every property held', async () => {
    const { code, report } = await checkJson(['strategies/guarded-update.ts', '--seed', '4', '--runs', '30']);
    expect(code).toBe(0);
    expect(report.passed).toBe(true);
    expect(Object.values(report.strategies[0]!.properties).every((property) => property.passed)).toBe(true);
    expect(report.database.serverVersion).toMatch(/^\d+/);
  });

  it('gives the same cases for the same seed', async () => {
    const first = await checkJson([
      'strategies/read-committed-transaction.ts',
      '--seed',
      '99',
      '--runs',
      '40',
    ]);
    const second = await checkJson([
      'strategies/read-committed-transaction.ts',
      '--seed',
      '99',
      '--runs',
      '40',
    ]);
    expect(second.report.strategies[0]!.properties).toEqual(first.report.strategies[0]!.properties);
  });
});

describe('bad input: exit 2, one clear line, nothing left behind', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a file that does not exist',
      'strategies/no-such-strategy.ts',
      /no-such-strategy\.ts: no such file: check the path/,
    ],
    [
      'a file that does not parse',
      fixture('syntax-error.ts'),
      /syntax-error\.ts: does not load \(.+\): fix the error/,
    ],
    [
      'no default export',
      fixture('no-default.ts'),
      /no-default\.ts: has no default export object: write export default/,
    ],
    [
      'no purchase function',
      fixture('no-purchase.ts'),
      /no-purchase\.ts: its default export has no purchase\(\) function/,
    ],
    [
      'a bad return value',
      fixture('bad-return.ts'),
      /bad-return\.ts: purchase\(\) returned 42 for buyer \d: return 'purchased' or 'sold-out'/,
    ],
    [
      'a strategy that never returns',
      fixture('never-returns.ts'),
      /never-returns\.ts: buyer \d \(running: SELECT pg_sleep\(3600\)\) did not finish a step within 3000 ms/,
    ],
    [
      'a transaction left open',
      fixture('leaves-transaction-open.ts'),
      /transaction still open.*COMMIT or ROLLBACK/,
    ],
  ];
  for (const [what, file, message] of cases) {
    it(`reports ${what}`, async () => {
      // --timeout bounds loading too: long enough that a loaded machine still loads the module within it.
      const child = await runCli(['check', file, '--database-url', url, '--timeout', '3000', '--seed', '1']);
      expect(child.code, child.stdout + child.stderr).toBe(2);
      const lines = child.stdout.split('\n').filter((line) => message.test(line));
      expect(lines).toHaveLength(1);
      expect(child.stderr).toBe('');
    });
  }

  it('keeps checking the other strategies after one fails to load, and still exits 2', async () => {
    const child = await runCli([
      'check',
      fixture('no-default.ts'),
      'strategies/guarded-update.ts',
      '--database-url',
      url,
      '--runs',
      '10',
    ]);
    expect(child.code).toBe(2);
    expect(child.stdout).toMatch(/✓ guarded-update/);
  });

  it('leaves no database or session behind after a hung strategy', async () => {
    const child = await runCli([
      'check',
      fixture('never-returns.ts'),
      '--database-url',
      url,
      '--timeout',
      '300',
    ]);
    expect(child.code).toBe(2);
    expect(await leftoversOf(child.pid)).toEqual([]);
  });

  it('names an unreachable database and the fix', async () => {
    const child = await runCli([
      'check',
      'strategies/guarded-update.ts',
      '--database-url',
      'postgresql://postgres@127.0.0.1:1/none',
    ]);
    expect(child.code).toBe(2);
    expect(child.stderr.trim().split('\n')).toHaveLength(1);
    expect(child.stderr).toMatch(
      /^oversold: cannot connect to PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1:1\/none \(.+\): start the server, or fix --database-url \/ DATABASE_URL/,
    );
  });

  it('says when no container runtime exists for --db container', async () => {
    const child = await runCli(['check', 'strategies/guarded-update.ts', '--db', 'container'], {
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      DATABASE_URL: undefined,
    });
    expect(child.code).toBe(2);
    expect(child.stderr.trim().split('\n')).toHaveLength(1);
    expect(child.stderr).toMatch(
      /^oversold: --db container: no container runtime was found \(.+\); start Docker or Podman, or use --db embedded or --database-url$/m,
    );
  });

  it.each([
    [['check', '--capacity', '3..1'], /--capacity 3\.\.1: the low end is above the high end/],
    [
      ['check', '--properties', 'no-overselling'],
      /unknown property 'no-overselling': choose from no-oversell/,
    ],
    [['check', '--runs', '0'], /--runs takes a whole number from 1/],
    [
      ['replay', 'strategies/guarded-update.ts', '--schedule', '1 3', '--capacity', '1', '--buyers', '2'],
      /names buyer 3, but --buyers is 2/,
    ],
    [
      ['replay', 'strategies/guarded-update.ts', '--capacity', '1', '--buyers', '2'],
      /required option '--schedule/,
    ],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [
      [
        'replay',
        'strategies/naive-read-modify-write.ts',
        '--schedule',
        '1 2',
        '--capacity',
        '1',
        '--buyers',
        '2',
        '--json',
        '/proc/x/r.json',
      ],
      /--json \/proc\/x\/r\.json: cannot create the folder/,
    ],
  ])('refuses bad arguments %j', async (args, message) => {
    const child = await runCli([...args, '--database-url', url]);
    expect(child.code).toBe(2);
    expect(child.stderr).toMatch(message);
    expect(child.stdout).toBe('');
  });
});

describe('--isolate: buyer code in child processes', () => {
  it('finds the same counterexample as in-process', async () => {
    const args = ['strategies/naive-read-modify-write.ts', '--seed', '11', '--runs', '25'];
    const inProcess = await checkJson(args);
    const isolated = await checkJson([...args, '--isolate']);
    expect(isolated.code).toBe(0);
    const expected = inProcess.report.strategies[0]!.properties['no-oversell']!.counterexample!;
    const found = isolated.report.strategies[0]!.properties['no-oversell']!.counterexample!;
    expect(found.schedule).toBe(expected.schedule);
    expect(found.trace).toEqual(expected.trace);
    const file = join(work, `isolated-replay-${Date.now()}.json`);
    const replayed = await runCli([
      ...replayArgs(found.replay),
      '--isolate',
      '--database-url',
      url,
      '--json',
      file,
    ]);
    expect(replayed.code).toBe(1);
    const again = JSON.parse(await readFile(file, 'utf8')) as JsonReport;
    expect(again.strategies[0]!.properties['no-oversell']!.counterexample!.trace).toEqual(expected.trace);
  });

  it('stops a buyer spinning in a busy loop, and leaves no process behind', async () => {
    const tag = `oversold-test-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const child = await runCli(
      ['check', fixture('busy-loop.ts'), '--isolate', '--timeout', '8000', '--database-url', url],
      { OVERSOLD_TEST_TAG: tag },
    );
    expect(child.code).toBe(2);
    expect(child.stdout).toMatch(
      /busy-loop\.ts: buyer \d \(its code between statements\) did not finish a step within 8000 ms/,
    );
    expect(await processesTagged(tag)).toEqual([]);
    expect(await leftoversOf(child.pid)).toEqual([]);
  });
});

describe('the embedded PostgreSQL', () => {
  it('starts when no URL is given, and is stopped and removed afterwards, also after an error', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'oversold-embedded-test-'));
    const { chmod } = await import('node:fs/promises');
    await chmod(parent, 0o755); // the server runs as the postgres user when we are root
    try {
      const child = await runCli(['check', fixture('never-returns.ts'), '--timeout', '300'], {
        DATABASE_URL: undefined,
        OVERSOLD_TMPDIR: parent,
      });
      expect(child.code, child.stdout + child.stderr).toBe(2);
      expect(child.stdout).toMatch(/PostgreSQL 18\.\d+ \(embedded\)/);
      expect(await readdir(parent)).toEqual([]);
      expect(await postgresProcessesUnder(parent)).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('is stopped and removed on Ctrl-C in the middle of a run', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'oversold-sigint-test-'));
    const { chmod } = await import('node:fs/promises');
    await chmod(parent, 0o755);
    const marker = join(work, `started-${Date.now()}`);
    try {
      const { spawn } = await import('node:child_process');
      const child = spawn(
        process.execPath,
        ['harness/bin.mjs', 'check', fixture('signals-then-sleeps.ts'), '--timeout', '600000'],
        {
          cwd: repoRoot,
          env: { ...process.env, DATABASE_URL: '', OVERSOLD_TMPDIR: parent, OVERSOLD_TEST_MARKER: marker },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await fileAppears(marker);
      expect(await readdir(parent)).toHaveLength(1); // the running cluster
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(await readdir(parent)).toEqual([]);
      expect(await postgresProcessesUnder(parent)).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

/** Resolves when `file` exists: fs.watch reports its creation (no polling delay). */
async function fileAppears(file: string): Promise<void> {
  const { existsSync, watch } = await import('node:fs');
  const { dirname, basename } = await import('node:path');
  await new Promise<void>((resolve) => {
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

/** Live processes whose environment carries this tag (children inherit it). */
async function processesTagged(tag: string): Promise<number[]> {
  const { readdir: list, readFile: read } = await import('node:fs/promises');
  const pids = (await list('/proc')).filter((name) => /^\d+$/.test(name));
  const tagged: number[] = [];
  for (const pid of pids) {
    const environ = await read(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.includes(`OVERSOLD_TEST_TAG=${tag}`)) tagged.push(Number(pid));
  }
  return tagged;
}

async function postgresProcessesUnder(dir: string): Promise<string[]> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid,args']);
  return stdout.split('\n').filter((line) => line.includes(dir));
}
