/**
 * `npm run bench:parallel`: interleavings per second of two buyers, one lab
 * (workspace) at a time and K at once in one process, as `explore --jobs K`
 * runs them; with the CPU each interleaving costs in Node and in PostgreSQL.
 *
 * Each trial runs the same drawn schedules (capacity 1, one unit each) split
 * among K workspaces. PostgreSQL's CPU is read from /proc for every process
 * named postgres on this machine (the embedded server, or a local one named
 * by DATABASE_URL); for a remote server it reads n/a. Medians of 3 trials,
 * with the machine's load: figures, not assertions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import fc from 'fast-check';
import { pgConnector } from '../harness/database/pg-connector.ts';
import { startDatabase } from '../harness/database/start-database.ts';
import { Lab } from '../harness/engine/lab.ts';
import { runCase } from '../harness/engine/run-case.ts';
import { Workspace } from '../harness/engine/workspace.ts';
import { type TicketCase, ticketsScenario } from '../harness/scenarios/tickets-scenario.ts';
import { loadStrategy } from '../harness/strategy/load-strategy.ts';
import type { LoadedStrategy } from '../harness/strategy/strategy.ts';
import { chooserFromChoices, scheduleArbitrary } from '../properties/case-arbitrary.ts';

const TRIALS = 3;
const RUNS = Number(process.env.BENCH_RUNS ?? 600);
const JOBS = [1, 2, 3];
const FILES = ['strategies/naive-read-modify-write.ts', 'strategies/select-for-update.ts'];
const KASE: TicketCase = {
  capacity: 1,
  buyers: [
    { id: 1, quantity: 1 },
    { id: 2, quantity: 1 },
  ],
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** CPU milliseconds of every postgres process on this machine, or null when none is visible. */
function postgresCpuMs(): number | null {
  let ticks = 0;
  let seen = false;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      seen = true;
    } catch {
      // The process ended while it was read.
    }
  }
  return seen ? ticks * 10 : null;
}

interface Trial {
  readonly rate: number;
  readonly nodeMs: number;
  readonly postgresMs: number | null;
}

async function trial(
  workspaces: readonly Workspace[],
  strategy: LoadedStrategy,
  schedules: readonly number[][],
): Promise<Trial> {
  const runAll = async (workspace: Workspace, own: readonly number[][]) => {
    for (const choices of own) {
      await runCase({
        workspace,
        strategy,
        scenario: ticketsScenario,
        kase: KASE,
        choose: chooserFromChoices(choices),
        timeoutMs: 10_000,
        // The same case every run, as explore runs one case: measured and reseeded in one statement.
        sameCaseNext: true,
      });
    }
  };
  const jobs = workspaces.length;
  const cpu = process.cpuUsage();
  const postgres = postgresCpuMs();
  const began = performance.now();
  await Promise.all(
    workspaces.map((workspace, job) =>
      runAll(
        workspace,
        schedules.filter((_, index) => index % jobs === job),
      ),
    ),
  );
  const seconds = (performance.now() - began) / 1000;
  const used = process.cpuUsage(cpu);
  const postgresAfter = postgresCpuMs();
  return {
    rate: schedules.length / seconds,
    nodeMs: (used.user + used.system) / 1000 / schedules.length,
    postgresMs:
      postgres === null || postgresAfter === null ? null : (postgresAfter - postgres) / schedules.length,
  };
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  await using database = await startDatabase(url ? { url } : { db: 'embedded' });
  await using lab = await Lab.open(database, pgConnector);
  console.log(`PostgreSQL ${lab.info.serverVersion} (${database.source}); load ${load()} (1, 5, 15 min)`);
  console.log(
    `two buyers, capacity 1: interleavings per second and CPU per interleaving, median of ${TRIALS} trials of ${RUNS} drawn schedules`,
  );
  const schedules = fc.sample(scheduleArbitrary(2), { seed: 42, numRuns: RUNS });
  for (const file of FILES) {
    const loaded = await loadStrategy(file);
    if ('error' in loaded) throw loaded.error;
    for (const jobs of JOBS) {
      const workspaces = await Promise.all(
        Array.from({ length: jobs }, () =>
          Workspace.open(lab, loaded.strategy.name, ticketsScenario, { buyers: [1, 2] }),
        ),
      );
      try {
        await trial(workspaces, loaded.strategy, schedules.slice(0, 30 * jobs)); // warm up
        const trials: Trial[] = [];
        for (let index = 0; index < TRIALS; index++) {
          trials.push(await trial(workspaces, loaded.strategy, schedules));
        }
        const postgres = trials.map((each) => each.postgresMs).filter((ms) => ms !== null);
        console.log(
          `  ${loaded.strategy.name.padEnd(26)} ${jobs} job${jobs > 1 ? 's' : ' '}: ${median(
            trials.map((each) => each.rate),
          )
            .toFixed(0)
            .padStart(
              5,
            )}/s  (trials ${trials.map((each) => each.rate.toFixed(0)).join(', ')}); CPU per interleaving: node ${median(
            trials.map((each) => each.nodeMs),
          ).toFixed(2)} ms, PostgreSQL ${postgres.length ? `${median(postgres).toFixed(2)} ms` : 'n/a'}`,
        );
      } finally {
        await Promise.all(workspaces.map((workspace) => workspace.close()));
      }
    }
  }
  console.log(`load ${load()}`);
}

await main();
