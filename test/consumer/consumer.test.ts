/**
 * oversold as a new user gets it: `npm pack`, the tarball installed into fresh
 * projects of each module kind (ES module, CommonJS, no "type"), and in each:
 * plain Node imports it, `npx oversold check` runs a TypeScript and a
 * JavaScript strategy, vitest runs with `oversold/vitest-setup`, and a strict
 * `tsc --noEmit` of code that uses the public API reports nothing.
 *
 * Talks to a real PostgreSQL (the run's shared one) and to the npm cache: the
 * tarball's dependencies, vitest, typescript and @types/node are installed
 * once per run, at the versions this repository uses (so `--prefer-offline`
 * finds them cached), into one folder the three projects link their
 * node_modules to. Each project keeps its own package.json, which is what
 * decides how Node and TypeScript treat its files.
 */
import { spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/run-cli.ts';
import { testDatabaseUrl } from '../support/test-lab.ts';

const fixtures = join(repoRoot, 'test', 'consumer', 'fixtures');
const INSTALL_MS = 600_000;

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** The environment a user's shell would give: none of this test run's own variables. */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('VITEST') && !key.startsWith('TINYPOOL') && key !== 'NODE_OPTIONS',
    ),
  );
  // NODE_OPTIONS carries the repository's `oversold-source` condition, which
  // would point the installed package at sources it does not ship.
  return { ...env, NO_COLOR: '1', CI: '1', npm_config_update_notifier: 'false' };
}

function run(command: string, args: readonly string[], cwd: string, env = userEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function succeed(command: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code} in ${cwd}:\n${result.output}`);
  }
  return result.output;
}

async function repoVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8'));
  return `${name}@${manifest.version}`;
}

const projects = [
  { kind: 'an ES-module project', type: 'module', javascript: 'oversells.esm.js' },
  { kind: 'a CommonJS project', type: 'commonjs', javascript: 'oversells.cjs.js' },
  { kind: 'a project with no "type"', type: undefined, javascript: 'oversells.esm.js' },
] as const;

let root = '';
const projectDir = (type: string | undefined) => join(root, type ?? 'untyped');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oversold-consumer-'));
  // `npm pack` runs `prepare`, which builds dist/ as it would for a publish.
  await succeed('npm', ['pack', '--pack-destination', root, '--silent'], repoRoot);
  const tarball = (await readdir(root)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${root}`);
  const shared = join(root, 'shared');
  await mkdir(shared);
  await writeFile(join(shared, 'package.json'), '{ "name": "consumer-shared", "private": true }\n');
  const tools = await Promise.all(['vitest', 'typescript', '@types/node'].map(repoVersion));
  await succeed(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(root, tarball), ...tools],
    shared,
  );
  for (const project of projects) {
    const dir = projectDir(project.type);
    await mkdir(dir);
    const manifest = { name: `consumer-${project.type ?? 'untyped'}`, private: true, type: project.type };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await symlink(join(shared, 'node_modules'), join(dir, 'node_modules'), 'dir');
    // The fixtures' test files are not named *.test.ts, so oversold's own run leaves them alone.
    const copies: [string, string][] = [
      ['safe-guarded-update.ts', 'safe-guarded-update.ts'],
      [project.javascript, 'oversells.js'],
      ['vitest.config.ts', 'vitest.config.ts'],
      ['passes.vitest.ts', 'passes.test.ts'],
      ['fails.vitest.ts', 'fails.test.ts'],
      ['public-api.ts', 'public-api.ts'],
      ['tsconfig.json', 'tsconfig.json'],
    ];
    for (const [from, to] of copies) await copyFile(join(fixtures, from), join(dir, to));
  }
}, INSTALL_MS);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe.each(projects)('the packed tarball in $kind (real PostgreSQL)', (project) => {
  const dir = () => projectDir(project.type);

  it('ships compiled JavaScript, declarations and docs, and no tests of its own', async () => {
    const installed = join(dir(), 'node_modules', 'oversold');
    const files = await readdir(installed, { recursive: true });
    expect(files).toContain(join('dist', 'index.js'));
    expect(files).toContain(join('dist', 'index.d.ts'));
    expect(files).toContain(join('docs', 'cli.md'));
    expect(files).toContain(join('examples', 'vitest', 'checkout.ts'));
    expect(files.filter((file) => file.startsWith('dist') && /\.test\./.test(file))).toEqual([]);
    expect(
      files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file.startsWith('dist')),
    ).toEqual([]);
  });

  it('imports in plain node, with import() and with require()', async () => {
    const imported = await succeed(
      process.execPath,
      [
        '-e',
        "import('oversold').then((m) => console.log(typeof m.defineStrategy, typeof m.expectNoOversell))",
      ],
      dir(),
    );
    expect(imported.trim()).toBe('function function');
    // Node 20.19 and later require() an ES module that has no top-level await.
    const required = await succeed(
      process.execPath,
      ['-e', "console.log(typeof require('oversold').openStrategyRunner)"],
      dir(),
    );
    expect(required.trim()).toBe('function');
  });

  it('npx oversold check: exit 0 on a safe TypeScript strategy, 1 on an overselling JavaScript one', async () => {
    const url = testDatabaseUrl();
    const safe = await run(
      'npx',
      ['oversold', 'check', 'safe-guarded-update.ts', '--runs', '20', '--seed', '1', '--database-url', url],
      dir(),
    );
    expect(safe.output).toMatch(/holds\s+no-oversell/);
    expect(safe.code).toBe(0);
    const oversells = await run(
      'npx',
      ['oversold', 'check', 'oversells.js', '--runs', '20', '--seed', '1', '--database-url', url],
      dir(),
    );
    expect(oversells.output).toMatch(/FAILS\s+no-oversell/);
    // As the user must type it: through npx, since the project's own oversold is not on PATH.
    expect(oversells.output).toContain('replay: npx oversold replay oversells.js --schedule');
    expect(oversells.code).toBe(1);
  });

  // Once is enough: the grading sandbox compiles from the installed dist/, whatever the project's type.
  it.runIf(project.type === 'module')(
    'npx oversold grade on the shipped examples/grading: the sandbox builds from the installed package',
    async () => {
      const example = join(dir(), 'grading');
      await cp(join(dir(), 'node_modules', 'oversold', 'examples', 'grading'), example, { recursive: true });
      const graded = await run(
        'npx',
        [
          'oversold',
          'grade',
          'submissions',
          '--assignment',
          'assignment.json',
          '--csv',
          'grades.csv',
          '--database-url',
          testDatabaseUrl(),
          // Where bubblewrap cannot run (outside CI), the same code path without it.
          ...(process.env.CI === 'true' || (await bwrapRuns()) ? [] : ['--unsafe-no-sandbox']),
        ],
        example,
      );
      expect(graded.code, graded.output).toBe(0);
      const rows = (await readFile(join(example, 'grades.csv'), 'utf8')).trim().split('\n');
      const score = (student: string) => rows.find((row) => row.startsWith(`${student},`))?.split(',')[1];
      expect(rows[0]).toMatch(/^student,score,max,/);
      expect(score('alice')).toBe('15');
      expect(score('carol')).toBe('15');
      expect(score('dave')).toBe('0');
      expect(Number(score('bob'))).toBeLessThan(15);
    },
  );

  it('vitest with oversold/vitest-setup: a passing file exits 0, a failing one does not', async () => {
    const env = { ...userEnv(), DATABASE_URL: testDatabaseUrl() };
    const vitest = join(dir(), 'node_modules', 'vitest', 'vitest.mjs');
    const passes = await run(process.execPath, [vitest, 'run', 'passes.test.ts'], dir(), env);
    expect(passes.output).toMatch(/Tests\s+2 passed \(2\)/);
    expect(passes.code).toBe(0);
    const fails = await run(process.execPath, [vitest, 'run', 'fails.test.ts'], dir(), env);
    expect(fails.output).toContain('OversoldAssertionError');
    expect(fails.output).toMatch(/Tests\s+1 failed \(1\)/);
    expect(fails.code).not.toBe(0);
  });

  it('strict tsc --noEmit (NodeNext, no skipLibCheck) reports no error in code using the public API', async () => {
    const tsc = join(dir(), 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir());
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});

/** Whether bubblewrap can start a sandbox on this machine. */
async function bwrapRuns(): Promise<boolean> {
  const result = await run('bwrap', ['--unshare-all', '--ro-bind', '/', '/', 'true'], tmpdir()).catch(
    () => null,
  );
  return result?.code === 0;
}
