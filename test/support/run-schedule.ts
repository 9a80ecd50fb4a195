import type { Lab } from '../../harness/engine/lab.ts';
import { type CaseRun, runCase } from '../../harness/engine/run-case.ts';
import { Workspace } from '../../harness/engine/workspace.ts';
import { type TicketCase, ticketsScenario } from '../../harness/scenarios/tickets-scenario.ts';
import { installStrategySql } from '../../harness/strategy/install-strategy-sql.ts';
import { loadStrategy } from '../../harness/strategy/load-strategy.ts';
import type { LoadedStrategy } from '../../harness/strategy/strategy.ts';

export async function load(file: string): Promise<LoadedStrategy> {
  const loaded = await loadStrategy(file);
  if ('error' in loaded) throw loaded.error;
  return loaded.strategy;
}

/** Releases exactly these buyers in order (then the lowest ready), failing if one is not ready. */
export function exactly(ids: readonly number[]) {
  return (index: number, ready: readonly number[]): number => {
    const id = ids[index];
    if (id === undefined) return ready[0]!;
    if (!ready.includes(id))
      throw new Error(`schedule entry ${index + 1}: buyer ${id} is not ready (ready: ${ready.join(', ')})`);
    return id;
  };
}

export function twoBuyers(capacity = 1): TicketCase {
  return {
    capacity,
    buyers: [
      { id: 1, quantity: 1 },
      { id: 2, quantity: 1 },
    ],
  };
}

/** A workspace for one strategy, with its SQL installed. */
export async function openWorkspace(lab: Lab, strategy: LoadedStrategy): Promise<Workspace> {
  const workspace = await Workspace.open(lab, strategy.name, ticketsScenario);
  await installStrategySql(workspace, strategy, ticketsScenario);
  return workspace;
}

export async function runSchedule(
  workspace: Workspace,
  strategy: LoadedStrategy,
  kase: TicketCase,
  schedule: readonly number[],
  timeoutMs = 10_000,
): Promise<CaseRun<TicketCase>> {
  return runCase({
    workspace,
    strategy,
    scenario: ticketsScenario,
    kase,
    choose: exactly(schedule),
    timeoutMs,
  });
}
