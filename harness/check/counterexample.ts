import type { CaseRun } from '../engine/run-case.ts';
import { nameAnomaly } from '../explore/anomaly.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { type Counterexample, outcomeText } from './report-model.ts';

/** The report's view of a failing run, with the command that replays it. */
export function counterexampleOf(
  strategy: LoadedStrategy,
  scenario: Scenario<ScenarioCase>,
  run: CaseRun,
  why: string,
  shrinks: number,
): Counterexample {
  const schedule = run.decisions.join(' ');
  const stock = run.facts.measurement.stock;
  // capacity, sold and each buyer's quantity describe one stock, so that the
  // one-line summary "capacity 1 … sold 2 of 1" stays true with several
  // items: the one oversold most (the only one in the tickets scenario).
  const focus = stock.reduce<(typeof stock)[number] | undefined>(
    (worst, unit) =>
      worst === undefined || unit.sold - unit.capacity > worst.sold - worst.capacity ? unit : worst,
    undefined,
  );
  const key = focus?.key ?? '';
  const anomaly = nameAnomaly(run.trace);
  const outcomes: Record<string, string> = {};
  for (const [id, outcome] of [...run.outcomes].sort(([a], [b]) => a - b))
    outcomes[String(id)] = outcomeText(outcome);
  return {
    capacity: focus?.capacity ?? 0,
    buyers: run.kase.buyers.map((buyer) => ({
      id: buyer.id,
      quantity: scenario.wants(run.kase, buyer.id).get(key) ?? 0,
    })),
    stockKey: key,
    case: run.kase,
    caseSummary: scenario.describe(run.kase),
    schedule,
    replay: replayCommand(strategy.file, schedule, scenario.replayArgs(run.kase)),
    sold: focus?.sold ?? 0,
    stock,
    outcomes,
    trace: run.trace,
    why,
    ...(anomaly !== null ? { anomaly } : {}),
    shrinks,
  };
}

export function replayCommand(file: string, schedule: string, args: readonly string[]): string {
  return ['oversold replay', shellWord(file), '--schedule', `"${schedule}"`, ...args.map(shellWord)].join(
    ' ',
  );
}

function shellWord(word: string): string {
  return /^[\w./,:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
