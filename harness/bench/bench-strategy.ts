import type { Lab } from '../engine/lab.ts';
import { Workspace } from '../engine/workspace.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { EVENT_ID, ticketsScenario } from '../scenarios/tickets-scenario.ts';
import { installStrategySql } from '../strategy/install-strategy-sql.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import type { BenchResult, LastTicketsResult, StrategyBenchSummary } from './bench-report.ts';
import type { BenchSettings } from './bench-settings.ts';
import { OWN_EVENT_BASE, stockEvents, unitsSold } from './bench-stock.ts';
import { BuyerPool } from './buyer-pool.ts';
import { type LoadResult, type LoadStop, runLoad } from './run-load.ts';

export interface StrategyBench {
  readonly summary: StrategyBenchSummary;
  readonly results: BenchResult[];
}

/** Why a strategy cannot be measured further; becomes its one-line error. */
class Unmeasurable extends Error {}

/**
 * Measures one strategy at every level: the hot event, then (with `ceiling`)
 * every buyer on its own event, then the "last tickets" bursts. Every session
 * it opened is closed when it returns, whatever happened.
 */
export async function benchStrategy(
  lab: Lab,
  strategy: LoadedStrategy,
  settings: BenchSettings,
  onLevel?: (strategy: string, concurrency: number) => void,
): Promise<StrategyBench> {
  const summary = (error: string | null): StrategyBenchSummary => ({
    name: strategy.name,
    file: strategy.file,
    error,
    expectsOversell: strategy.expect['no-oversell'] === false,
  });
  if (strategy.scenario !== 'tickets') {
    return {
      summary: summary(
        `${strategy.file}: bench measures the tickets scenario; this strategy is for '${strategy.scenario}'`,
      ),
      results: [],
    };
  }
  const results: BenchResult[] = [];
  const workspace = await Workspace.open(lab, strategy.name, ticketsScenario);
  const pool = new BuyerPool(lab.connector, workspace.schema);
  const control = workspace.control.session;
  try {
    await installStrategySql(workspace, strategy, ticketsScenario as unknown as Scenario<ScenarioCase>);
    const measure = async (buyers: number, eventOf: (index: number) => number, stop: LoadStop) => {
      const sessions = await pool.take(buyers);
      const load = await runLoad({
        sessions,
        purchase: (db, request) => strategy.purchase(db, request),
        eventOf,
        stop,
        timeoutMs: settings.timeoutMs,
      });
      await refuseBroken(load, buyers);
      return load;
    };
    const refuseBroken = async (load: LoadResult, buyers: number): Promise<void> => {
      if (load.hung.length > 0) {
        // A backend waiting on a lock notices a closed socket only when the wait ends: end it.
        await workspace.control.terminate(pool.pids()).catch(() => {});
        await pool.reset();
        throw new Unmeasurable(
          `buyer ${load.hung[0]}'s purchase took longer than ${settings.timeoutMs} ms at concurrency ${buyers}: the strategy hangs (raise --timeout if it is only slow)`,
        );
      }
      if (load.tally.mistake !== null) throw new Unmeasurable(load.tally.mistake);
      if (load.tally.failed > 0 && load.tally.purchased + load.tally.soldOut === 0) {
        throw new Unmeasurable(
          `every purchase failed at concurrency ${buyers} (${load.tally.failed} of ${load.tally.failed}; first: ${load.tally.firstFailure})`,
        );
      }
    };
    const stop: LoadStop =
      settings.purchases !== undefined
        ? { kind: 'purchases', total: settings.purchases }
        : { kind: 'duration', ms: settings.durationMs };

    for (const buyers of settings.levels) {
      onLevel?.(strategy.name, buyers);
      await stockEvents(control, strategy, workspace.schema, { hot: settings.stock });
      const hot = await measure(buyers, () => EVENT_ID, stop);
      const hotOversold = Math.max(0, (await unitsSold(control, EVENT_ID)) - settings.stock);

      let ceiling: BenchResult['ceiling'] = null;
      if (settings.ceiling) {
        const each = Math.ceil(settings.stock / buyers);
        await stockEvents(control, strategy, workspace.schema, {
          hot: settings.stock,
          own: { buyers, each },
        });
        const own = await measure(buyers, (index) => OWN_EVENT_BASE + index + 1, stop);
        const throughput = perSecond(own.tally.purchased, own.elapsedMs);
        ceiling = {
          throughput,
          fraction: throughput > 0 ? perSecond(hot.tally.purchased, hot.elapsedMs) / throughput : null,
        };
        own.tally.close();
      }

      const lastTickets = await burst(buyers, settings, async (capacity) => {
        await stockEvents(control, strategy, workspace.schema, { hot: capacity });
        const load = await measure(buyers, () => EVENT_ID, { kind: 'once' });
        load.tally.close();
        return { sold: await unitsSold(control, EVENT_ID), failed: load.tally.failed };
      });

      results.push({
        strategy: strategy.name,
        file: strategy.file,
        concurrency: buyers,
        throughput: perSecond(hot.tally.purchased, hot.elapsedMs),
        p50Ms: hot.tally.percentileMs(50),
        p95Ms: hot.tally.percentileMs(95),
        p99Ms: hot.tally.percentileMs(99),
        purchased: hot.tally.purchased,
        soldOut: hot.tally.soldOut,
        failed: hot.tally.failed,
        retries: hot.tally.retries,
        errors: hot.tally.errors(),
        oversold: hotOversold + lastTickets.oversold,
        elapsedMs: hot.elapsedMs,
        lastTickets,
        ceiling,
      });
      hot.tally.close();
    }
    return { summary: summary(null), results };
  } catch (error) {
    if (error instanceof Unmeasurable)
      return { summary: summary(`${strategy.file}: ${error.message}`), results };
    if (error instanceof Error && (error.name === 'StrategyLoadError' || error.name === 'StatementError')) {
      const message =
        error.name === 'StrategyLoadError' ? error.message : `${strategy.file}: ${error.message}`;
      return { summary: summary(message.replace(/\s*\n\s*/g, ' ')), results };
    }
    throw error;
  } finally {
    await pool.close();
    await workspace.close();
  }
}

/** The "last tickets" bursts: every buyer tries once for a few units, `bursts` times over. */
async function burst(
  buyers: number,
  settings: BenchSettings,
  run: (capacity: number) => Promise<{ sold: number; failed: number }>,
): Promise<LastTicketsResult> {
  // Fewer units than buyers, so that they race for them; one buyer alone cannot oversell.
  const capacity = Math.max(1, Math.min(settings.lastTickets, buyers - 1));
  let sold = 0;
  let oversold = 0;
  let failed = 0;
  for (let round = 0; round < settings.bursts; round++) {
    const outcome = await run(capacity);
    sold += outcome.sold;
    oversold += Math.max(0, outcome.sold - capacity);
    failed += outcome.failed;
  }
  return { capacity, bursts: settings.bursts, sold, oversold, failed };
}

function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}
