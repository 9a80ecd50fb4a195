import type { CaseRun } from '../engine/run-case.ts';
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
  const kase = run.kase as { capacity?: number; buyers: readonly { id: number }[] };
  const outcomes: Record<string, string> = {};
  for (const [id, outcome] of [...run.outcomes].sort(([a], [b]) => a - b))
    outcomes[String(id)] = outcomeText(outcome);
  return {
    capacity: kase.capacity ?? stock.reduce((total, unit) => total + unit.capacity, 0),
    // Units over all the buyer's lines: the ticket quantity, or a cart's total.
    buyers: kase.buyers.map((buyer) => ({
      id: buyer.id,
      quantity: [...scenario.wants(run.kase, buyer.id).values()].reduce((total, units) => total + units, 0),
    })),
    case: run.kase,
    caseSummary: scenario.describe(run.kase),
    schedule,
    replay: replayCommand(strategy.file, schedule, scenario.replayArgs(run.kase)),
    sold: stock.reduce((total, unit) => total + unit.sold, 0),
    stock,
    outcomes,
    trace: run.trace,
    why,
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
