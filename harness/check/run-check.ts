import type { CaseRanges } from '../../properties/case-ranges.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { pgConnector } from '../database/pg-connector.ts';
import { redactUrl } from '../database/redact-url.ts';
import { type DatabaseChoice, startDatabase } from '../database/start-database.ts';
import { Lab } from '../engine/lab.ts';
import { findStrategyFiles } from '../strategy/load-strategy.ts';
import { CheckWorkerThread } from './check-worker-thread.ts';
import { failedReport, identityOfFile } from './failed-report.ts';
import type { CheckReport, StrategyReport } from './report-model.ts';
import { DEFAULT_MEMORY_LIMIT_MB, type Disturbance, faultText, superviseCheck } from './supervise-check.ts';

export { loadFailure } from './failed-report.ts';

export interface RunCheckOptions {
  readonly paths: readonly string[];
  readonly database: DatabaseChoice;
  readonly runs: number;
  readonly seed: number;
  readonly ranges: CaseRanges;
  readonly properties: readonly PropertyName[];
  readonly timeoutMs: number;
  readonly isolate?: boolean;
  /** Heap limit of each strategy's worker thread, in MB (1024 by default). */
  readonly memoryLimitMb?: number;
  readonly onStrategy?: (file: string, index: number, total: number) => void;
  readonly onInterleaving?: () => void;
  /**
   * Each strategy's report as soon as it is checked, to print it then. Called again for an
   * earlier strategy when its leftover code fails after it reported (the report says so).
   */
  readonly onReport?: (report: StrategyReport, index: number, total: number) => void;
}

/**
 * `oversold check`: every strategy under the paths, on one PostgreSQL. Each
 * strategy is checked in a worker thread of its own (supervise-check.ts), so
 * nothing its code does ends, hangs or crashes this thread; each report is
 * kept as it arrives, and when the server stops answering the strategies not
 * yet checked are reported as not checked.
 */
export async function runCheck(options: RunCheckOptions): Promise<CheckReport> {
  const files = await findStrategyFiles(options.paths);
  await using database = await startDatabase(options.database);
  await using lab = await Lab.open(database, pgConnector);
  const strategies: StrategyReport[] = [];
  const memoryLimitMb = options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
  let unreachable: string | null = null;
  let thread: CheckWorkerThread | undefined;
  // A strategy's leftover code (a timer) that failed after its report blames it, not the next one.
  const blame = (disturbance: Disturbance): void => {
    const index = files.indexOf(disturbance.path);
    const earlier = strategies[index];
    if (!earlier) return;
    strategies[index] = {
      ...earlier,
      passed: false,
      error: `${disturbance.error} (after its check had reported)`,
    };
    options.onReport?.(strategies[index], index, files.length);
  };
  try {
    for (const [index, file] of files.entries()) {
      options.onStrategy?.(file, index, files.length);
      if (unreachable !== null) {
        const notChecked = failedReport(identityOfFile(file), `${file}: not checked: ${unreachable}`);
        strategies.push(notChecked);
        options.onReport?.(notChecked, index, files.length);
        continue;
      }
      let report: StrategyReport | undefined;
      while (!report) {
        for (const fault of thread?.idleFaults.splice(0) ?? []) {
          if (fault.path !== null) blame({ path: fault.path, error: faultText(fault.path, fault) });
        }
        if (!thread || thread.ended) thread = new CheckWorkerThread(memoryLimitMb);
        const supervised = await superviseCheck(lab, thread, {
          path: file,
          schemaSerial: index + 1,
          runs: options.runs,
          seed: options.seed,
          ranges: options.ranges,
          properties: options.properties,
          timeoutMs: options.timeoutMs,
          isolate: options.isolate ?? false,
          ...(options.onInterleaving ? { onInterleaving: options.onInterleaving } : {}),
        });
        if ('disturbedBy' in supervised) {
          // Checked again in a fresh thread, where nothing earlier runs.
          blame(supervised.disturbedBy);
          thread = undefined;
          continue;
        }
        report = supervised.report;
        if (!supervised.reusable) thread = undefined;
      }
      strategies.push(report);
      options.onReport?.(report, index, files.length);
      if (report.error !== null) unreachable = await serverProblem(lab, options.timeoutMs);
    }
    for (const fault of thread?.idleFaults.splice(0) ?? []) {
      if (fault.path !== null) blame({ path: fault.path, error: faultText(fault.path, fault) });
    }
  } finally {
    thread?.terminate();
  }
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
