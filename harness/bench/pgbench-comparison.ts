import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Lab } from '../engine/lab.ts';
import { Workspace } from '../engine/workspace.ts';
import { ownModuleUrl } from '../package-files.ts';
import { EVENT_ID, ticketsScenario } from '../scenarios/tickets-scenario.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import type { BenchSettings } from './bench-settings.ts';
import { stockEvents } from './bench-stock.ts';
import { BuyerPool } from './buyer-pool.ts';
import { runLoad } from './run-load.ts';

const run = promisify(execFile);

/** pgbench against oversold's own driver on the same transaction, in the same run. */
export type PgbenchComparison =
  | {
      readonly available: true;
      readonly pgbench: string;
      readonly version: string;
      readonly strategy: string;
      readonly clients: number;
      readonly protocol: 'prepared';
      readonly seconds: number | null;
      /** Driver and pgbench -j 1 ran alternately this many times; throughputs are medians. */
      readonly rounds: number;
      readonly driverThroughput: number;
      /** pgbench's transactions per second with -j 1, one client thread as the driver has. */
      readonly pgbenchThroughput: number;
      /** driver / pgbench -j 1: 1 means the driver is as fast as pgbench. */
      readonly ratio: number;
      /** pgbench with one thread per core (-j N), where the machine has more than one core. */
      readonly threaded: {
        readonly jobs: number;
        readonly pgbenchThroughput: number;
        readonly ratio: number;
      } | null;
    }
  | { readonly available: false; readonly reason: string };

const ROUNDS = 3;

/** The strategy whose exact SQL both run: the bundled guarded UPDATE. */
const guardedUpdateFile = fileURLToPath(ownModuleUrl('../../strategies/guarded-update', import.meta.url));

/**
 * The guarded UPDATE transaction, statement for statement as
 * strategies/guarded-update.ts sends it with quantity 1. pgbench cannot branch
 * on a row count; with the large stock every UPDATE matches, as in the driver.
 */
const pgbenchScript = `\\set buyer random(1, 1000000)
BEGIN;
UPDATE events SET remaining = remaining - 1 WHERE event_id = ${EVENT_ID} AND remaining >= 1;
INSERT INTO tickets (event_id, buyer_id, quantity) VALUES (${EVENT_ID}, :buyer, 1);
COMMIT;
`;

/**
 * Runs the guarded UPDATE with `clients` sessions through oversold's driver,
 * then through pgbench, on the same hot event with the same stock, and reports
 * the ratio: the driver must not be what limits the throughput it reports.
 */
export async function comparePgbench(
  lab: Lab,
  pgbench: { path: string; version: string },
  settings: BenchSettings,
  clients = 32,
): Promise<PgbenchComparison> {
  const loaded = await loadStrategy(guardedUpdateFile);
  if ('error' in loaded) return { available: false, reason: loaded.error.message };
  const strategy = loaded.strategy;
  // pgbench runs whole seconds (-T) or whole transactions per client (-t); the driver does the same.
  const seconds =
    settings.purchases === undefined ? Math.max(1, Math.round(settings.durationMs / 1000)) : null;
  const perClient =
    settings.purchases === undefined ? null : Math.max(1, Math.ceil(settings.purchases / clients));
  const workspace = await Workspace.open(lab, 'pgbench-guarded-update', ticketsScenario);
  const pool = new BuyerPool(lab.connector, workspace.schema);
  const dir = await mkdtemp(join(tmpdir(), 'oversold-pgbench-'));
  try {
    const control = workspace.control.session;
    const sessions = await pool.take(clients);
    const driverRun = async (): Promise<number> => {
      await stockEvents(control, strategy, workspace.schema, { hot: settings.stock });
      const load = await runLoad({
        sessions,
        purchase: (db, request) => strategy.purchase(db, request),
        eventOf: () => EVENT_ID,
        stop:
          seconds !== null
            ? { kind: 'duration', ms: seconds * 1000 }
            : { kind: 'purchases', total: perClient! * clients },
        timeoutMs: settings.timeoutMs,
      });
      load.tally.close();
      return (load.tally.purchased * 1000) / load.elapsedMs;
    };

    const script = join(dir, 'guarded-update.sql');
    await writeFile(script, pgbenchScript);
    const pgbenchRun = async (jobs: number): Promise<number | string> => {
      await stockEvents(control, strategy, workspace.schema, { hot: settings.stock });
      const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', String(jobs), '-f', script];
      args.push(...(seconds !== null ? ['-T', String(seconds)] : ['-t', String(perClient)]));
      args.push(lab.connector.url);
      try {
        const { stdout } = await run(pgbench.path, args, {
          env: { ...process.env, PGOPTIONS: `-c search_path=${workspace.schema},public` },
          maxBuffer: 16 * 1024 * 1024,
        });
        const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
        return tps ? Number(tps[1]) : `could not read tps from ${pgbench.path}'s output`;
      } catch (error) {
        const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
        return `${pgbench.path} failed: ${stderr.trim().split('\n').at(-1)}`;
      }
    };
    // Alternate driver and pgbench -j 1, ROUNDS times, and compare medians: the
    // machine's noise then falls on both alike.
    const driverRuns: number[] = [];
    const singleRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      driverRuns.push(await driverRun());
      const single = await pgbenchRun(1);
      if (typeof single === 'string') return { available: false, reason: single };
      singleRuns.push(single);
    }
    await pool.close();
    const driverThroughput = median(driverRuns);
    const single = median(singleRuns);
    const jobs = Math.min(availableParallelism(), clients);
    const many = jobs > 1 ? await pgbenchRun(jobs) : null;
    return {
      available: true,
      pgbench: pgbench.path,
      version: pgbench.version,
      strategy: strategy.name,
      clients,
      protocol: 'prepared',
      seconds,
      rounds: ROUNDS,
      driverThroughput,
      pgbenchThroughput: single,
      ratio: single > 0 ? driverThroughput / single : 0,
      threaded:
        typeof many === 'number'
          ? { jobs, pgbenchThroughput: many, ratio: many > 0 ? driverThroughput / many : 0 }
          : null,
    };
  } finally {
    await pool.close();
    await workspace.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
