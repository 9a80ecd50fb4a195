import { evaluateProperty } from '../../properties/properties.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { isolatedStrategy } from '../check/check-strategy.ts';
import { counterexampleOf } from '../check/counterexample.ts';
import { failedReport } from '../check/failed-report.ts';
import type { PropertyReport, StrategyReport } from '../check/report-model.ts';
import { type BuyerDb, gateOf } from '../engine/buyer-gate.ts';
import { StrategyError, StrategyMistakeError } from '../engine/errors.ts';
import { IsolatedBuyers, type IsolatedBuyersOptions } from '../engine/isolated-buyers.ts';
import type { LabHandle } from '../engine/lab.ts';
import { type CaseRun, runCase, warmUpCase } from '../engine/run-case.ts';
import { Workspace } from '../engine/workspace.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { installStrategySql } from '../strategy/install-strategy-sql.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { outcomeSignature } from './outcome-signature.ts';
import type { PathFollower } from './path-follower.ts';
import { type SearchEnd, search } from './search.ts';
import { readSessionFacts } from './session-facts.ts';
import type { SessionFacts } from './session-model.ts';

export interface ExploreSettings {
  readonly properties: readonly PropertyName[];
  readonly timeoutMs: number;
  /** Most preemptions per interleaving; null: every interleaving. */
  readonly preemptionBound: number | null;
  readonly maxInterleavings: number | null;
  readonly timeLimitMs: number | null;
  /** false: brute force, every interleaving of every step (`--no-reduction`). */
  readonly reduction: boolean;
  /** Treat buyers with equal requests as interchangeable (`--symmetry`). */
  readonly symmetry: boolean;
  /** Parallel workspaces exploring disjoint subtrees. */
  readonly jobs: number;
  readonly now?: () => number;
  readonly onInterleaving?: () => void;
  /** Run each buyer's code in a child process of its own (a sandboxed one when a launcher is given), as check --isolate does. */
  readonly isolation?: Omit<IsolatedBuyersOptions, 'timeoutMs'>;
}

/** How an exploration ended and what it covered. */
export interface Exploration {
  /**
   * `exhausted`: every interleaving of this case was run or shown equivalent to one run.
   * `preemption-bound`, `max-interleavings`, `time-limit`: stopped by that bound or limit.
   * `counterexamples`: every property failed, and no interleaving left could fail with fewer preemptions.
   */
  readonly status: 'exhausted' | 'preemption-bound' | 'max-interleavings' | 'time-limit' | 'counterexamples';
  readonly interleavings: number;
  /** Branches skipped as equivalent to one explored (each skips one interleaving or more). */
  readonly pruned: number;
  /** Branches skipped as the mirror image of one explored (interchangeable buyers). */
  readonly symmetric: number;
  /** Branches the preemption bound cut. */
  readonly bounded: number;
  readonly preemptionBound: number | null;
  readonly reduction: boolean;
  readonly symmetry: boolean;
  /** Distinct outcomes reached: verdicts, units sold and each buyer's outcome. */
  readonly outcomes: readonly string[];
  /** Milliseconds spent running interleavings, from the first to the last (workspace setup and teardown excluded). */
  readonly searchMs: number;
}

export interface ExploreStrategyReport extends StrategyReport {
  /** Null when the strategy could not be evaluated. */
  readonly exploration: Exploration | null;
}

interface Failure {
  readonly run: CaseRun;
  readonly preemptions: number;
  readonly why: string;
}

/** Explores every interleaving of one case for one strategy (see search.ts). */
export async function exploreStrategy(
  lab: LabHandle,
  strategy: LoadedStrategy,
  scenario: Scenario<ScenarioCase>,
  kase: ScenarioCase,
  settings: ExploreSettings,
): Promise<ExploreStrategyReport> {
  const now = settings.now ?? (() => performance.now());
  const started = now();
  const identity = {
    name: strategy.name,
    file: strategy.file,
    description: strategy.description ?? null,
    scenario: strategy.scenario,
  };
  const workspaces: Workspace[] = [];
  // Under isolation each job has its own buyers' processes, as it has its own sessions.
  const isolated: IsolatedBuyers[] = [];
  const failures = new Map<PropertyName, Failure>();
  const outcomes = new Set<string>();
  let interleavings = 0;
  try {
    // The jobs' workspaces open at once, each with its buyers' sessions: connecting is most of their cost.
    const buyers = kase.buyers.map((buyer) => buyer.id);
    const opening = Array.from({ length: settings.jobs }, async () => {
      const workspace = await Workspace.open(lab, strategy.name, scenario, { buyers });
      workspaces.push(workspace);
      await installStrategySql(workspace, strategy, scenario);
      return workspace;
    });
    const opened = await Promise.allSettled(opening);
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    // In job order, whichever opened first: job k explores the same subtrees whatever the timing.
    workspaces.splice(
      0,
      workspaces.length,
      ...opened.map((result) => (result as PromiseFulfilledResult<Workspace>).value),
    );
    if (settings.isolation) {
      for (let job = 0; job < settings.jobs; job++) {
        isolated.push(
          new IsolatedBuyers(strategy.file, { ...settings.isolation, timeoutMs: settings.timeoutMs }),
        );
      }
    }
    // Each workspace's sessions warm up while the first one's buyer is asked about reads.
    const [sessions] = await Promise.all([
      sessionFactsFor(workspaces[0], kase, settings),
      ...workspaces.map((workspace) => warmUpCase(workspace, scenario, kase)),
    ]);
    const searchStarted = now();
    const result = await search({
      reduction: settings.reduction,
      sessions,
      reportsFinishedBuyers: true,
      interchangeable: settings.symmetry ? interchangeableBuyers(scenario, kase) : new Map(),
      preemptionBound: settings.preemptionBound,
      maxInterleavings: settings.maxInterleavings,
      deadline: settings.timeLimitMs === null ? null : started + settings.timeLimitMs,
      now,
      enough: (preemptions) =>
        settings.properties.every((name) => (failures.get(name)?.preemptions ?? Infinity) < preemptions),
      jobs: workspaces.map((workspace, job) => async (follower) => {
        const children = isolated[job];
        await children?.prepare(kase.buyers.map((buyer) => buyer.id));
        const run = await runCase({
          workspace,
          strategy: reportingFinishes(isolatedStrategy(strategy, children), follower),
          scenario,
          kase,
          choose: follower.choose,
          timeoutMs: settings.timeoutMs,
          sameCaseNext: true,
          ...(children
            ? {
                purchaseFor: (id, request) => {
                  const purchase = children.purchaseFor(id, request);
                  return (db) =>
                    finishing(
                      () => purchase(db),
                      () => finishedInItsRun(db) && follower.buyerFinished(id),
                    );
                },
              }
            : {}),
        }).catch((error: unknown) => {
          // A hung child may be spinning: replace it.
          children?.discard(kase.buyers.map((buyer) => buyer.id));
          throw error;
        });
        interleavings += 1;
        settings.onInterleaving?.();
        const verdicts = settings.properties.map((name) => {
          const verdict = evaluateProperty(name, run.facts);
          if (!verdict.holds) {
            const failure = { run, preemptions: follower.preemptions, why: verdict.why };
            const best = failures.get(name);
            if (!best || before(failure, best)) failures.set(name, failure);
          }
          return verdict.holds;
        });
        outcomes.add(outcomeSignature(run, settings.properties, verdicts));
      }),
    });
    const searchMs = now() - searchStarted;
    for (const workspace of workspaces) {
      const tampered = await workspace.verifyHarness();
      if (tampered) throw new StrategyMistakeError(tampered);
    }
    const properties: PropertyReport[] = settings.properties.map((name) => {
      const failure = failures.get(name);
      const expected = strategy.expect[name];
      const passed = failure === undefined;
      return {
        name,
        passed,
        ...(expected !== undefined ? { expected } : {}),
        asExpected: passed === (expected ?? true),
        counterexample: failure ? counterexampleOf(strategy, scenario, failure.run, failure.why, 0) : null,
      };
    });
    const exploration: Exploration = {
      status: statusOf(result.end, result.bounded),
      interleavings: result.interleavings,
      pruned: result.pruned,
      symmetric: result.symmetric,
      bounded: result.bounded,
      preemptionBound: settings.preemptionBound,
      reduction: settings.reduction,
      symmetry: settings.symmetry,
      outcomes: [...outcomes].sort(),
      searchMs,
    };
    return {
      ...identity,
      passed: properties.every((property) => property.asExpected),
      error: null,
      interleavings: result.interleavings,
      durationMs: now() - started,
      properties,
      exploration,
    };
  } catch (error) {
    if (!(error instanceof StrategyError) && !(error instanceof Error && error.name === 'StatementError'))
      throw error;
    const message = (error as Error).message.replace(/\s*\n\s*/g, ' ');
    return {
      ...failedReport(identity, `${strategy.file}: ${message}`, {
        interleavings,
        durationMs: now() - started,
      }),
      exploration: null,
    };
  } finally {
    await Promise.all([
      ...isolated.map((children) => children.close()),
      ...workspaces.map((workspace) => workspace.close()),
    ]);
  }
}

/** What lets reads commute (session-model.ts): asked only when exploring with reduction. */
async function sessionFactsFor(
  workspace: Workspace | undefined,
  kase: ScenarioCase,
  settings: ExploreSettings,
): Promise<SessionFacts | null> {
  const buyer = kase.buyers[0];
  if (!settings.reduction || !workspace || !buyer) return null;
  return readSessionFacts(workspace, buyer.id);
}

/** The strategy, telling `follower` when each buyer's purchase has returned or thrown. */
function reportingFinishes(strategy: LoadedStrategy, follower: PathFollower): LoadedStrategy {
  return {
    ...strategy,
    purchase: (db, request, site) =>
      finishing(
        () => strategy.purchase(db, request, site),
        () => {
          if (site && finishedInItsRun(db)) follower.buyerFinished(site.buyerId);
        },
      ),
  };
}

/**
 * Whether a purchase ended in a run that is still going: the code of an
 * attempt abandoned to run again (or closed) may still return, its
 * statements refused, while the next attempt runs with the same follower.
 */
function finishedInItsRun(db: BuyerDb): boolean {
  return gateOf(db)?.closed.aborted !== true;
}

/**
 * Runs `purchase`, calling `done` when it returns or throws: before the engine
 * hears of it, so before the next decision, where a buyer that is neither
 * ready nor finished is blocked.
 */
async function finishing<T>(purchase: () => Promise<T>, done: () => void): Promise<T> {
  try {
    return await purchase();
  } finally {
    done();
  }
}

function statusOf(end: SearchEnd, bounded: number): Exploration['status'] {
  if (end === 'enough') return 'counterexamples';
  if (end === 'exhausted') return bounded > 0 ? 'preemption-bound' : 'exhausted';
  return end;
}

/** Fewest preemptions first, then the earlier schedule: the same choice whatever order runs finished in. */
function before(a: Failure, b: Failure): boolean {
  if (a.preemptions !== b.preemptions) return a.preemptions < b.preemptions;
  const left = a.run.decisions;
  const right = b.run.decisions;
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    if (left[index] !== right[index]) return left[index]! < right[index]!;
  }
  return left.length < right.length;
}

/** Buyer id → its request without the buyer's own id: equal keys are interchangeable buyers. */
export function interchangeableBuyers(
  scenario: Scenario<ScenarioCase>,
  kase: ScenarioCase,
): Map<number, string> {
  const keys = new Map<number, string>();
  for (const { id } of kase.buyers) {
    const request = scenario.request(kase, id);
    const rest =
      request !== null && typeof request === 'object'
        ? Object.fromEntries(Object.entries(request).filter(([key]) => key !== 'buyerId'))
        : request;
    keys.set(id, JSON.stringify(rest));
  }
  return keys;
}
