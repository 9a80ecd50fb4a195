import type { RunFacts } from '../../properties/properties.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import type { BuyerDb } from './buyer-gate.ts';
import { type BuyerPlan, type Chooser, runInterleaving } from './interleaving.ts';
import type { BuyerOutcome, TraceEvent } from './trace.ts';
import type { Workspace } from './workspace.ts';

/** Which buyer of which workspace a purchase runs for (a wire strategy opens its gate there). */
export interface BuyerSite {
  readonly buyerId: number;
  readonly workspace: Workspace;
}

/** Everything one interleaving of one case produced. */
export interface CaseRun<Case extends ScenarioCase = ScenarioCase> {
  readonly kase: Case;
  readonly decisions: number[];
  readonly trace: TraceEvent[];
  readonly outcomes: Map<number, BuyerOutcome>;
  readonly facts: RunFacts;
}

export interface RunCaseOptions<Case extends ScenarioCase> {
  readonly workspace: Workspace;
  readonly strategy: LoadedStrategy;
  readonly scenario: Scenario<Case>;
  readonly kase: Case;
  readonly choose: Chooser;
  readonly timeoutMs: number;
  readonly maxDecisions?: number;
  /** Where buyer code runs; in this process (the strategy's own purchase) by default. */
  readonly purchaseFor?: (buyerId: number, request: unknown) => (db: BuyerDb) => Promise<unknown>;
}

/**
 * Before a workspace's first run of `kase`: seeds and measures once, so the
 * control session has planned both, and warms the workspace's sessions
 * ({@link Workspace.warmUp}), all at once. A fresh backend spends milliseconds
 * on its first use of each table and statement; paid here, in parallel, it
 * is not paid inside the first interleavings, one session after another.
 */
export async function warmUpCase<Case extends ScenarioCase>(
  workspace: Workspace,
  scenario: Scenario<Case>,
  kase: Case,
): Promise<void> {
  const control = workspace.control.session;
  await Promise.all([
    workspace.warmUp(),
    (async () => {
      await scenario.seed(control, kase);
      await scenario.measure(control, kase);
    })(),
  ]);
}

/** Seeds the tables, runs setup(), runs one interleaving, measures, and resets the buyers. */
export async function runCase<Case extends ScenarioCase>(
  options: RunCaseOptions<Case>,
): Promise<CaseRun<Case>> {
  const { workspace, strategy, scenario, kase } = options;
  const control = workspace.control.session;
  const ids = kase.buyers.map((buyer) => buyer.id);
  /** Seeds the tables, resets the buyers' sessions and runs setup(): every attempt starts here. */
  const prepare = async (): Promise<BuyerPlan[]> => {
    const sessions = await Promise.all(ids.map((id) => workspace.buyer(id)));
    // Three sessions, one round trip: seed the tables, hold every buyer's first
    // barrier, and clear what the buyers' previous run left in their sessions.
    await Promise.all([
      scenario.seed(control, kase),
      workspace.control.holdFirstBarriers(sessions.map((buyer) => buyer.slot)),
      workspace.prepareBuyers(ids),
    ]);
    if (strategy.setup) {
      const setupSession = await workspace.strategySession();
      await strategy.setup(
        { query: (text, params) => setupSession.query(text, params ?? []) as never },
        scenario.setupContext(kase),
      );
    }
    return ids.map((id, index) => ({
      id,
      session: sessions[index]!.session,
      slot: sessions[index]!.slot,
      purchase: options.purchaseFor
        ? options.purchaseFor(id, scenario.request(kase, id))
        : (db) => strategy.purchase(db, scenario.request(kase, id), { buyerId: id, workspace }),
    }));
  };
  const buyers = await prepare();
  let result: Awaited<ReturnType<typeof runInterleaving>>;
  try {
    result = await runInterleaving({
      control: workspace.control,
      buyers,
      choose: options.choose,
      timeoutMs: options.timeoutMs,
      ...(options.maxDecisions !== undefined ? { maxDecisions: options.maxDecisions } : {}),
      // An abandoned attempt leaves transactions open and statements waiting:
      // end those sessions, as after a failed run, and start again.
      restart: async () => {
        await workspace.discardBuyers(ids);
        return prepare();
      },
    });
  } catch (error) {
    await workspace.discardBuyers(ids);
    throw error;
  }
  const measurement = await scenario.measure(control, kase);
  const wants = new Map(ids.map((id) => [id, scenario.wants(kase, id)]));
  return {
    kase,
    decisions: result.decisions,
    trace: result.trace,
    outcomes: result.outcomes,
    facts: { outcomes: result.outcomes, measurement, wants },
  };
}
