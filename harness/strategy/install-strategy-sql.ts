import { StrategyLoadError } from '../engine/errors.ts';
import type { Workspace } from '../engine/workspace.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import type { LoadedStrategy } from './strategy.ts';

/** Runs a `.sql` strategy's file in its schema and checks that it created the purchase function. */
export async function installStrategySql(
  workspace: Workspace,
  strategy: LoadedStrategy,
  scenario: Scenario<ScenarioCase>,
): Promise<void> {
  if (strategy.installSql === undefined) return;
  const control = workspace.control.session;
  try {
    await (await workspace.strategySession()).query(strategy.installSql);
  } catch (error) {
    throw new StrategyLoadError(
      strategy.file,
      `its SQL fails (${(error as Error).message}): fix it so that it creates ${scenario.sqlSignature}`,
      { cause: error },
    );
  }
  const found = await control.query('SELECT to_regprocedure($1) IS NOT NULL AS found', [
    scenario.sqlProcedure,
  ]);
  if (found.rows[0]?.found !== true) {
    throw new StrategyLoadError(
      strategy.file,
      `does not create ${scenario.sqlSignature}: add CREATE FUNCTION purchase(…)`,
    );
  }
}
