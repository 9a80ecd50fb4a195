/**
 * `npm run bench:gate`: what the wire gate costs.
 *
 * 1. Added latency per statement: one node-postgres client sends the same
 *    parameterised SELECT directly, through an idle gate (passed on), and
 *    through a gate that holds it and has it released at once (the scheduler's
 *    hand-off without the scheduler); median of many round trips each.
 * 2. Interleavings per second of the same purchase (guarded UPDATE, 2 buyers)
 *    through `db.query` and through the gate (a `connect: 'url'` strategy with
 *    a node-postgres Pool kept across runs, one that opens a Pool per run, and
 *    a Python psycopg2 program per buyer when Debian's python3-psycopg2 is
 *    installed); median of 5 trials.
 * Figures, not assertions: the machine is shared, so read medians and ratios.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { pgConnector } from '../harness/database/pg-connector.ts';
import { startDatabase } from '../harness/database/start-database.ts';
import { BuyerGate } from '../harness/engine/buyer-gate.ts';
import { Lab } from '../harness/engine/lab.ts';
import { runCase } from '../harness/engine/run-case.ts';
import { Workspace } from '../harness/engine/workspace.ts';
import { BuyerEndpoint } from '../harness/gate/buyer-endpoint.ts';
import { serverTarget } from '../harness/gate/server-target.ts';
import { type TicketCase, ticketsScenario } from '../harness/scenarios/tickets-scenario.ts';
import { loadStrategy } from '../harness/strategy/load-strategy.ts';
import { chooserFromChoices, scheduleArbitrary } from '../properties/case-arbitrary.ts';

const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 5000);
const TRIALS = 5;
const RUNS_PER_TRIAL = Number(process.env.BENCH_RUNS ?? 100);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Median milliseconds of one `SELECT $1::int` round trip on a client of `url`. */
async function roundTrip(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    for (let index = 0; index < 200; index++) await client.query('SELECT $1::int AS n', [index]);
    const times: number[] = [];
    for (let index = 0; index < ROUND_TRIPS; index++) {
      const began = performance.now();
      await client.query('SELECT $1::int AS n', [index]);
      times.push(performance.now() - began);
    }
    return median(times);
  } finally {
    await client.end();
  }
}

/** A gate that releases every held statement as soon as it arrives. */
function autoRelease(id: number): BuyerGate {
  const gate: BuyerGate = new BuyerGate(id, () => {
    const held = gate.held;
    if (held === null) return;
    const { step, reply } = gate.take();
    if (step.kind !== 'wire') throw new Error('expected a wire step');
    step.execute().then(reply.resolve, reply.reject);
  });
  return gate;
}

async function interleavingsPerSecond(lab: Lab, file: string): Promise<number[]> {
  const loaded = await loadStrategy(file);
  if ('error' in loaded) throw loaded.error;
  await using workspace = await Workspace.open(lab, loaded.strategy.name, ticketsScenario);
  const kase: TicketCase = {
    capacity: 1,
    buyers: [
      { id: 1, quantity: 1 },
      { id: 2, quantity: 1 },
    ],
  };
  const schedules = fc.sample(scheduleArbitrary(2), { seed: 42, numRuns: RUNS_PER_TRIAL });
  const rates: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const began = performance.now();
    for (const choices of schedules) {
      await runCase({
        workspace,
        strategy: loaded.strategy,
        scenario: ticketsScenario,
        kase,
        choose: chooserFromChoices(choices),
        timeoutMs: 20_000,
      });
    }
    rates.push(schedules.length / ((performance.now() - began) / 1000));
  }
  return rates;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  await using database = await startDatabase(url ? { url } : { db: 'embedded' });
  await using lab = await Lab.open(database, pgConnector);
  console.log(`PostgreSQL ${lab.info.serverVersion} (${database.source})`);

  const target = serverTarget(lab.connector.url, { applicationName: 'oversold gate bench' });
  await using endpoint = await BuyerEndpoint.open(1, target);
  const direct = await roundTrip(lab.connector.url);
  const passed = await roundTrip(endpoint.url);
  const held = await endpoint.during(autoRelease(1), () => roundTrip(endpoint.url));
  console.log(`one SELECT $1::int round trip, node-postgres, median of ${ROUND_TRIPS}:`);
  console.log(`  direct to the server        ${direct.toFixed(3)} ms`);
  console.log(`  through an idle gate        ${passed.toFixed(3)} ms  (+${(passed - direct).toFixed(3)} ms)`);
  console.log(`  held and released at once   ${held.toFixed(3)} ms  (+${(held - direct).toFixed(3)} ms)`);

  console.log(`interleavings per second, 2 buyers, median of ${TRIALS} trials of ${RUNS_PER_TRIAL} runs:`);
  const scratch = await mkdtemp(join(tmpdir(), 'oversold-gate-bench-'));
  try {
    await ratesThroughTheGate(lab, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function ratesThroughTheGate(lab: Lab, scratch: string): Promise<void> {
  const python = join(scratch, 'python-guarded-update.json');
  await writeFile(
    python,
    JSON.stringify({ command: ['/usr/bin/python3', resolve('examples/any-language/buy_safe.py')] }),
  );
  const rows: [string, string][] = [
    ['db.query (strategies/guarded-update.ts)', 'strategies/guarded-update.ts'],
    ["connect: 'url', a Pool kept across runs", 'harness/gate/fixtures/pg-pool-safe.ts'],
    ["connect: 'url', Knex opened per run", 'examples/any-language/knex-safe.ts'],
  ];
  if (hasPsycopg2()) rows.push(['a psycopg2 program per buyer per run', python]);
  let baseline = 0;
  for (const [label, file] of rows) {
    const rates = await interleavingsPerSecond(lab, file);
    const rate = median(rates);
    baseline ||= rate;
    console.log(
      `  ${label.padEnd(42)} ${rate.toFixed(0).padStart(5)}/s  ${((100 * rate) / baseline).toFixed(0).padStart(3)}% of db.query` +
        `  (trials ${rates.map((value) => value.toFixed(0)).join(', ')})`,
    );
  }
}

function hasPsycopg2(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import psycopg2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

await main();
