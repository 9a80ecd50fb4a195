import type { RunFacts } from '../../properties/properties.ts';
import type { Measurement, Scenario, ScenarioCase } from '../scenarios/scenario.ts';
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
  /**
   * The next run on this workspace is of this same case object, and nothing
   * else changes the tables in between (explore): right after measuring, in
   * the same round trip where the scenario can ({@link Scenario.measureAndSeed}),
   * the tables are put back for it, and the buyers' sessions are reset
   * meanwhile, so that the next run starts without a round trip.
   */
  readonly sameCaseNext?: boolean;
}

/**
 * The case whose initial state a workspace's tables hold, with no buyer run
 * since it was put back: the next run of that very case skips its seed.
 */
const seededFor = new WeakMap<Workspace, ScenarioCase>();

/**
 * Before a workspace's first runs of `kase` (with `sameCaseNext`): seeds and
 * measures once, so the control session has planned both, and warms the
 * workspace's sessions ({@link Workspace.warmUp}). A fresh backend spends
 * milliseconds on its first use of each table and statement; paid here, in
 * parallel, it is not paid inside the first interleavings, one session after
 * another. The seed comes first: a scenario module's first seed creates its
 * tables.
 */
export async function warmUpCase<Case extends ScenarioCase>(
  workspace: Workspace,
  scenario: Scenario<Case>,
  kase: Case,
): Promise<void> {
  const control = workspace.control.session;
  await scenario.seed(control, kase);
  await Promise.all([
    workspace.warmUp(),
    // The statement that runs after every run: measures the seeded tables and seeds them again.
    scenario.measureAndSeed ? scenario.measureAndSeed(control, kase) : scenario.measure(control, kase),
  ]);
  seededFor.set(workspace, kase);
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
    const seeded = seededFor.get(workspace) === kase;
    seededFor.delete(workspace);
    // Three sessions, one round trip: seed the tables, hold every buyer's first
    // barrier, and clear what the buyers' previous run left in their sessions.
    await Promise.all([
      seeded ? undefined : scenario.seed(control, kase),
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
  const measurement = options.sameCaseNext
    ? await measureForNext(workspace, scenario, kase)
    : await scenario.measure(control, kase);
  const wants = new Map(ids.map((id) => [id, scenario.wants(kase, id)]));
  return {
    kase,
    decisions: result.decisions,
    trace: result.trace,
    outcomes: result.outcomes,
    facts: { outcomes: result.outcomes, measurement, wants },
  };
}

/**
 * Measures and puts the tables back for the next run of `kase`, while the
 * buyers' sessions are reset: the next run's preparation then has nothing to
 * wait for.
 */
async function measureForNext<Case extends ScenarioCase>(
  workspace: Workspace,
  scenario: Scenario<Case>,
  kase: Case,
): Promise<Measurement> {
  const control = workspace.control.session;
  const measuring = scenario.measureAndSeed
    ? scenario.measureAndSeed(control, kase).then(
        (measurement) => {
          seededFor.set(workspace, kase);
          return measurement;
        },
        // The failed statement changed nothing: measure alone, and the next
        // run's own seed meets the same error and reports it, as without this.
        () => scenario.measure(control, kase),
      )
    : scenario.measure(control, kase);
  const [measurement] = await Promise.all([measuring, workspace.prepareBuyers([])]);
  return measurement;
}
