import type { CaseRanges } from '../../properties/case-ranges.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { pgConnector } from '../database/pg-connector.ts';
import { redactUrl } from '../database/redact-url.ts';
import { type DatabaseChoice, startDatabase } from '../database/start-database.ts';
import { Lab } from '../engine/lab.ts';
import { Sandbox } from '../grade/sandbox.ts';
import { findStrategyFiles } from '../strategy/load-strategy.ts';
import { CheckWorkerThread } from './check-worker-thread.ts';
import { failedReport, identityOfFile } from './failed-report.ts';
import type { CheckReport, StrategyReport } from './report-model.ts';
import { DEFAULT_MEMORY_LIMIT_MB, type Disturbance, faultText, superviseCheck } from './supervise-check.ts';

export { loadFailure } from './failed-report.ts';

/** Each sandboxed strategy process under check --isolate: its heap (MB), and CPU seconds over its life. */
const SANDBOX_LIMITS = { memoryMb: 256, cpuSeconds: 600 };

export interface RunCheckOptions {
  readonly paths: readonly string[];
  readonly database: DatabaseChoice;
  readonly runs: number;
  readonly seed: number;
  readonly ranges: CaseRanges;
  readonly properties: readonly PropertyName[];
  readonly timeoutMs: number;
  readonly isolate?: boolean;
  /** Under `isolate`: run strategy processes without bubblewrap, with the user's rights (trusted code only). */
  readonly unsafeNoSandbox?: boolean;
  /** Heap limit of each strategy's worker thread, in MB (1024 by default). */
  readonly memoryLimitMb?: number;
  /** Strategies checked at once, each in a worker thread of its own (1 by default). */
  readonly jobs?: number;
  /**
   * The strategy whose report comes next, when it starts (with `jobs`, when
   * the one before it has reported, if it started earlier).
   */
  readonly onStrategy?: (file: string, index: number, total: number) => void;
  readonly onInterleaving?: () => void;
  /**
   * Each strategy's report as soon as it and every strategy before it are checked (in path
   * order whatever `jobs` is), to print it then. Called again for an earlier strategy when
   * its leftover code fails after it reported (the report says so).
   */
  readonly onReport?: (report: StrategyReport, index: number, total: number) => void;
}

/**
 * `oversold check`: every strategy under the paths, on one PostgreSQL. Each
 * strategy is checked in a worker thread of its own (supervise-check.ts), so
 * nothing its code does ends, hangs or crashes this thread; each report is
 * kept as it arrives, and when the server stops answering the strategies not
 * yet checked are reported as not checked. With `jobs` above 1, that many
 * strategies are checked at once, each in its own thread and schema; reports
 * are still handed on in path order, so the report does not depend on `jobs`.
 */
export async function runCheck(options: RunCheckOptions): Promise<CheckReport> {
  const files = await findStrategyFiles(options.paths);
  // Under --isolate the strategy's code runs in the sandbox and its SQL as a role of its own.
  await using sandbox =
    options.isolate && !options.unsafeNoSandbox ? await Sandbox.open(SANDBOX_LIMITS) : undefined;
  await using database = await startDatabase(options.database);
  await using lab = await Lab.open(
    database,
    pgConnector,
    options.isolate
      ? {
          confine: {
            timeoutMs: options.timeoutMs,
            connectionLimit: Math.max(1, options.jobs ?? 1) * (options.ranges.buyers.max + 2) + 2,
          },
        }
      : {},
  );
  const total = files.length;
  const memoryLimitMb = options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
  const jobs = Math.max(1, Math.min(options.jobs ?? 1, total));
  // Reports by path index; the first `shown` of them have been handed to onReport.
  const reports: (StrategyReport | undefined)[] = [];
  let shown = 0;
  const started = new Set<number>();
  // onStrategy names the strategy whose report comes next, once it has started.
  const begin = (index: number): void => {
    started.add(index);
    if (index === shown) options.onStrategy?.(files[index]!, index, total);
  };
  const settle = (index: number, report: StrategyReport): void => {
    reports[index] = report;
    // A report that arrives before an earlier strategy's waits for it.
    const before = shown;
    for (let next = reports[shown]; next !== undefined && shown < total; next = reports[shown]) {
      options.onReport?.(next, shown, total);
      shown += 1;
    }
    if (shown !== before && started.has(shown)) options.onStrategy?.(files[shown]!, shown, total);
  };
  // A strategy's leftover code (a timer) that failed after its report blames it, not the next one.
  const blame = (disturbance: Disturbance): void => {
    const index = files.indexOf(disturbance.path);
    const earlier = reports[index];
    if (!earlier) return;
    reports[index] = {
      ...earlier,
      passed: false,
      error: `${disturbance.error} (after its check had reported)`,
    };
    if (index < shown) options.onReport?.(reports[index], index, total);
  };
  const blameIdle = (thread: CheckWorkerThread | undefined): void => {
    for (const fault of thread?.idleFaults.splice(0) ?? []) {
      if (fault.path !== null) blame({ path: fault.path, error: faultText(fault.path, fault) });
    }
  };
  let unreachable: string | null = null;
  let nextIndex = 0;
  const threads = new Set<CheckWorkerThread>();
  // Set when a lane failed (a bug, or onReport threw): the others take no more strategies.
  let stopped = false;

  // One lane checks strategies one after another in its own thread, taking the next path not yet taken.
  const lane = async (): Promise<void> => {
    let thread: CheckWorkerThread | undefined;
    const retire = (): void => {
      if (thread) threads.delete(thread);
      thread = undefined;
    };
    for (let index = nextIndex++; index < total && !stopped; index = nextIndex++) {
      const file = files[index]!;
      begin(index);
      if (unreachable !== null) {
        settle(index, failedReport(identityOfFile(file), `${file}: not checked: ${unreachable}`));
        continue;
      }
      let report: StrategyReport | undefined;
      while (!report && !stopped) {
        blameIdle(thread);
        if (!thread || thread.ended) {
          retire();
          thread = new CheckWorkerThread(memoryLimitMb);
          threads.add(thread);
        }
        const supervised = await superviseCheck(lab, thread, {
          path: file,
          schemaSerial: index + 1,
          runs: options.runs,
          seed: options.seed,
          ranges: options.ranges,
          properties: options.properties,
          timeoutMs: options.timeoutMs,
          isolate: options.isolate ?? false,
          ...(sandbox ? { sandbox: sandbox.spec } : {}),
          ...(options.onInterleaving ? { onInterleaving: options.onInterleaving } : {}),
        });
        if ('disturbedBy' in supervised) {
          // Checked again in a fresh thread, where nothing earlier runs.
          blame(supervised.disturbedBy);
          retire();
          continue;
        }
        report = supervised.report;
        if (!supervised.reusable) retire();
      }
      if (!report) return;
      settle(index, report);
      if (report.error !== null) unreachable ??= await serverProblem(lab, options.timeoutMs);
    }
    blameIdle(thread);
  };

  const stop = (error: unknown): never => {
    stopped = true;
    for (const thread of threads) thread.terminate();
    throw error;
  };
  try {
    const lanes = await Promise.allSettled(Array.from({ length: jobs }, () => lane().catch(stop)));
    const failed = lanes.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    for (const thread of threads) thread.terminate();
  }
  const strategies = reports.filter((report) => report !== undefined);
  return {
    passed: strategies.length > 0 && strategies.every((strategy) => strategy.passed),
    seed: options.seed,
    searched: { ...options.ranges, runs: options.runs, seed: options.seed },
    database: { source: database.source, serverVersion: lab.info.serverVersion },
    strategies,
  };
}

/** After a failed strategy: null when the server still answers, else why it does not. */
async function serverProblem(lab: Lab, timeoutMs: number): Promise<string | null> {
  const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
  let timer: NodeJS.Timeout | undefined;
  const probe = (async () => {
    const session = await lab.connector.connect({ applicationName: 'oversold probe' });
    try {
      await session.query('SELECT 1');
    } finally {
      await session.close();
    }
  })();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe, deadline]);
    return null;
  } catch (error) {
    probe.catch(() => {});
    return `PostgreSQL at ${redactUrl(lab.connector.url)} stopped answering (${reason(error)}): check the server and run again`;
  } finally {
    clearTimeout(timer);
  }
}
