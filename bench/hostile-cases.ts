/**
 * `npm run hostile-cases`: the table of issue "never a false pass, never a
 * hang, never a leak". Runs the real `oversold` command on each hostile or
 * broken strategy and on each fault (signals, an unwritable report path, a
 * password in a bad URL), and prints, per case: the exit status, the seconds
 * it took, the one line that names the cause, and what was left behind:
 * cluster folders in the case's own OVERSOLD_TMPDIR, server processes started
 * from it, scratch databases and oversold sessions on the URL server.
 *
 * Embedded cases need nothing; URL cases use DATABASE_URL (skipped, and said
 * so, without it). Figures, not assertions: the tests assert each case.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const bin = fileURLToPath(new URL('../harness/bin.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const url = process.env.DATABASE_URL;

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly mode: 'embedded' | 'url';
  /** Send this signal once the embedded server is up (the check is running). */
  readonly signal?: NodeJS.Signals;
}

const hostile = (name: string) => `test/fixtures/hostile/${name}`;
const isolate = (name: string) => `test/fixtures/isolate/${name}`;
const quick = ['--runs', '5', '--timeout', '3000'];

const cases: Case[] = [
  {
    name: 'process.exit(0) in purchase',
    args: ['check', hostile('exits-in-purchase.ts'), ...quick],
    mode: 'embedded',
  },
  {
    name: 'process.exit(0) in purchase (URL)',
    args: ['check', hostile('exits-in-purchase.ts'), ...quick],
    mode: 'url',
  },
  { name: 'throw inside setTimeout', args: ['check', hostile('throws-in-timer.ts'), ...quick], mode: 'url' },
  { name: 'unhandled rejection', args: ['check', hostile('rejects-unhandled.ts'), ...quick], mode: 'url' },
  {
    name: 'out of memory (--max-memory 64)',
    args: ['check', hostile('allocates-forever.ts'), ...quick, '--max-memory', '64'],
    mode: 'url',
  },
  { name: 'busy loop in purchase', args: ['check', hostile('busy-loop.ts'), ...quick], mode: 'url' },
  {
    name: 'top-level await forever',
    args: ['check', hostile('top-level-awaits-forever.ts'), ...quick],
    mode: 'url',
  },
  { name: 'top-level busy loop', args: ['check', hostile('top-level-busy-loop.ts'), ...quick], mode: 'url' },
  { name: 'setup() never resolves', args: ['check', hostile('setup-hangs.ts'), ...quick], mode: 'url' },
  { name: 'throw null', args: ['check', 'test/fixtures/engine/throws-null.ts', ...quick], mode: 'url' },
  {
    name: 'replaces oversold.pause',
    args: ['check', 'test/fixtures/engine/replaces-pause.ts', ...quick],
    mode: 'url',
  },
  {
    name: 'buyer backend terminated from outside',
    args: ['check', 'test/fixtures/engine/terminates-other-buyer.ts', ...quick],
    mode: 'url',
  },
  {
    name: '--isolate: process.exit in purchase',
    args: ['check', isolate('exits-in-purchase.ts'), '--isolate', '--runs', '5', '--timeout', '20000'],
    mode: 'url',
  },
  {
    name: '--isolate: killed by SIGKILL',
    args: ['check', isolate('killed-by-signal.ts'), '--isolate', '--runs', '5', '--timeout', '20000'],
    mode: 'url',
  },
  {
    name: '--isolate: out of memory',
    args: ['check', isolate('allocates-forever.ts'), '--isolate', '--runs', '5', '--timeout', '20000'],
    mode: 'url',
  },
  {
    name: '--isolate: 100 MB error message',
    args: ['check', isolate('huge-error-message.ts'), '--isolate', '--runs', '3', '--timeout', '20000'],
    mode: 'url',
  },
  {
    name: '--json /proc/x/r.json',
    args: ['check', 'strategies/guarded-update.ts', '--json', '/proc/x/r.json'],
    mode: 'embedded',
  },
  {
    name: 'password in a bad URL',
    args: [
      'check',
      'strategies/guarded-update.ts',
      '--database-url',
      'postgresql://user:secret@host:notaport/db',
    ],
    mode: 'embedded',
  },
  {
    name: 'SIGINT during a check',
    args: ['check', 'strategies', '--runs', '200'],
    mode: 'embedded',
    signal: 'SIGINT',
  },
  {
    name: 'SIGTERM during a check',
    args: ['check', 'strategies', '--runs', '200'],
    mode: 'embedded',
    signal: 'SIGTERM',
  },
  {
    name: 'SIGKILL during a check',
    args: ['check', 'strategies', '--runs', '200'],
    mode: 'embedded',
    signal: 'SIGKILL',
  },
  {
    name: 'SIGINT during a check (URL)',
    args: ['check', 'strategies', '--runs', '200'],
    mode: 'url',
    signal: 'SIGINT',
  },
];

async function main(): Promise<void> {
  const admin = url ? new pg.Client({ connectionString: url }) : null;
  await admin?.connect();
  console.log(
    `machine load ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`,
  );
  console.log('| case | exit | seconds | leftovers | what oversold said |');
  console.log('|---|---|---|---|---|');
  for (const kase of cases) {
    if (kase.mode === 'url' && !admin) {
      console.log(`| ${kase.name} | – | – | – | skipped: set DATABASE_URL to run the URL cases |`);
      continue;
    }
    const parent = await mkdtemp(join(tmpdir(), 'oversold-hostile-'));
    // As root the server runs as the postgres user, who must be able to enter the folder.
    await chmod(parent, 0o755);
    const started = performance.now();
    const { code, signal, output, pid } = await run(kase, parent);
    const seconds = (performance.now() - started) / 1000;
    // Leftovers are judged after the watchdog had its moment (it stops the server within ~0.1 s).
    await settle(kase.signal === 'SIGKILL' ? 3000 : 500);
    const left = [...(await folders(parent)), ...serverProcesses(parent)];
    if (admin) left.push(...(await scratchLeftOf(admin, pid)));
    await rm(parent, { recursive: true, force: true });
    const said = causeLine(output).replace(/\|/g, '\\|').slice(0, 160);
    console.log(
      `| ${kase.name} | ${code ?? signal} | ${seconds.toFixed(1)} | ${left.length ? left.join(', ') : 'none'} | ${said} |`,
    );
  }
  await admin?.end();
}

function run(
  kase: Case,
  parent: string,
): Promise<{ code: number | null; signal: string | null; output: string; pid: number }> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', OVERSOLD_TMPDIR: parent };
  if (kase.mode === 'embedded') env.DATABASE_URL = '';
  const args = kase.mode === 'url' && url ? [...kase.args, '--database-url', url] : [...kase.args];
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      // The check is under way once a strategy's verdict or progress is printed; then interrupt it.
      if (kase.signal && !signalled && /interleavings|✓|✗/.test(output)) {
        signalled = true;
        child.kill(kase.signal);
      }
    };
    let signalled = false;
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Off a terminal the CLI prints a line per finished strategy; without one, interrupt after the first.
    const guard = kase.signal
      ? setTimeout(() => {
          if (!signalled) {
            signalled = true;
            child.kill(kase.signal);
          }
        }, 8000)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, output, pid: child.pid ?? 0 });
    });
  });
}

async function folders(parent: string): Promise<string[]> {
  const names = await readdir(parent).catch(() => []);
  return names.map((name) => `folder ${name}`);
}

function serverProcesses(parent: string): string[] {
  try {
    const out = execFileSync('pgrep', ['-f', parent]).toString().trim();
    return out ? out.split('\n').map((pid) => `process ${pid}`) : [];
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** This oversold process's scratch database (named after its pid) and any session still in it. */
async function scratchLeftOf(admin: pg.Client, pid: number): Promise<string[]> {
  const pattern = `oversold\\_${pid}\\_%`;
  const databases = await admin.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE datname LIKE $1',
    [pattern],
  );
  const sessions = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname LIKE $1 AND pid <> pg_backend_pid()',
    [pattern],
  );
  return [
    ...databases.rows.map((row) => `database ${row.datname}`),
    ...sessions.rows.map((row) => `session ${row.pid}`),
  ];
}

function causeLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (
    lines.find((line) =>
      /^oversold:|: (buyer|purchase|did not|setup|the strategy|its |ran out)/.test(line),
    ) ??
    lines.at(-1) ??
    ''
  );
}

function settle(ms: number): Promise<void> {
  // Only a grace period before looking for leftovers; nothing here decides a verdict.
  return new Promise((resolve) => setTimeout(resolve, ms));
}

await main();
