/**
 * `npm run bench`: how fast the engine forces interleavings.
 *
 * Prints interleavings per second for the naive and FOR UPDATE strategies with
 * 2 and 4 buyers (median of 5 trials), the embedded server's start time, and
 * the wall time of a default `oversold check` of one strategy once the server
 * is up (in-process, and as a fresh CLI process). Figures, not assertions: the
 * machine is shared, so read medians and ratios.
 */
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { checkStrategy } from '../harness/check/check-strategy.ts';
import { pgConnector } from '../harness/database/pg-connector.ts';
import { startDatabase } from '../harness/database/start-database.ts';
import { Lab } from '../harness/engine/lab.ts';
import { runCase } from '../harness/engine/run-case.ts';
import { Workspace } from '../harness/engine/workspace.ts';
import { type TicketCase, ticketsScenario } from '../harness/scenarios/tickets-scenario.ts';
import { loadStrategy } from '../harness/strategy/load-strategy.ts';
import { chooserFromChoices, defaultCaseRanges, scheduleArbitrary } from '../properties/case-arbitrary.ts';
import { PROPERTY_NAMES } from '../properties/property-names.ts';

const TRIALS = 5;
const RUNS_PER_TRIAL = Number(process.env.BENCH_RUNS ?? 200);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  const startBegan = performance.now();
  await using database = await startDatabase(url ? { url } : { db: 'embedded' });
  const startMs = performance.now() - startBegan;
  await using lab = await Lab.open(database, pgConnector);
  console.log(
    `PostgreSQL ${lab.info.serverVersion} (${database.source}); server start ${startMs.toFixed(0)} ms`,
  );
  console.log(`interleavings per second, median of ${TRIALS} trials of ${RUNS_PER_TRIAL} runs each:`);

  for (const file of ['strategies/naive-read-modify-write.ts', 'strategies/select-for-update.ts']) {
    const loaded = await loadStrategy(file);
    if ('error' in loaded) throw loaded.error;
    for (const buyers of [2, 4]) {
      await using workspace = await Workspace.open(lab, loaded.strategy.name, ticketsScenario);
      const kase: TicketCase = {
        capacity: buyers - 1,
        buyers: Array.from({ length: buyers }, (_, index) => ({ id: index + 1, quantity: 1 })),
      };
      const schedules = fc.sample(scheduleArbitrary(buyers), { seed: 42, numRuns: RUNS_PER_TRIAL });
      const rates: number[] = [];
      let blocked = 0;
      for (let trial = 0; trial < TRIALS; trial++) {
        const began = performance.now();
        for (const choices of schedules) {
          const run = await runCase({
            workspace,
            strategy: loaded.strategy,
            scenario: ticketsScenario,
            kase,
            choose: chooserFromChoices(choices),
            timeoutMs: 10_000,
          });
          if (trial === 0 && run.trace.some((event) => event.event === 'blocked')) blocked++;
        }
        rates.push(schedules.length / ((performance.now() - began) / 1000));
      }
      console.log(
        `  ${loaded.strategy.name.padEnd(26)} ${buyers} buyers: ${median(rates).toFixed(0).padStart(5)}/s` +
          `  (trials ${rates.map((rate) => rate.toFixed(0)).join(', ')}; ${blocked} of ${schedules.length} schedules block)`,
      );
    }
  }

  const loaded = await loadStrategy('strategies/guarded-update.ts');
  if ('error' in loaded) throw loaded.error;
  const inProcess: number[] = [];
  let interleavings = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const began = performance.now();
    const report = await checkStrategy(lab, loaded.strategy, {
      runs: 100,
      seed: trial + 1,
      ranges: defaultCaseRanges,
      properties: [...PROPERTY_NAMES],
      timeoutMs: 10_000,
    });
    interleavings = report.interleavings;
    inProcess.push(performance.now() - began);
  }
  console.log(
    `default check of guarded-update (100 runs × 4 properties, ~${interleavings} interleavings): ` +
      `${(median(inProcess) / 1000).toFixed(2)} s in-process (median; ${inProcess.map((ms) => (ms / 1000).toFixed(2)).join(', ')})`,
  );
  const cli: number[] = [];
  for (let trial = 0; trial < 3; trial++) {
    const began = performance.now();
    // Asynchronously: this process owns the embedded server and must keep draining its output.
    const status = await new Promise<number | null>((resolve, reject) => {
      const args = ['harness/bin.mjs', 'check', 'strategies/guarded-update.ts', '--seed', String(trial + 1)];
      const child = spawn(process.execPath, [...args, '--database-url', database.url], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (status !== 0) throw new Error(`oversold check exited ${status}`);
    cli.push(performance.now() - began);
  }
  console.log(
    `  as a fresh CLI process on the running server: ${(median(cli) / 1000).toFixed(2)} s (median of 3; includes Node + tsx start-up)`,
  );
}

await main();
