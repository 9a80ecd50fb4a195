import { boundText } from '../engine/isolated-buyer-protocol.ts';
import type { Lab } from '../engine/lab.ts';
import type { CheckWorkerThread } from './check-worker-thread.ts';
import { failedReport, identityOfFile, type StrategyIdentity } from './failed-report.ts';
import type { StrategyReport } from './report-model.ts';
import { type CheckWorkerData, HEARTBEAT_MS, type WorkerMessage } from './worker-protocol.ts';

export interface SuperviseOptions extends Omit<CheckWorkerData, 'url' | 'labInfo' | 'confined'> {
  readonly onInterleaving?: () => void;
  readonly now?: () => number;
}

/** Default heap limit of a strategy's worker thread. */
export const DEFAULT_MEMORY_LIMIT_MB = 1024;

/**
 * Starting the worker (tsx, pg, fast-check, the engine) is oversold's own
 * work, not the strategy's: it gets this long, or --timeout if longer.
 */
const BOOT_LIMIT_MS = 30_000;

/**
 * Below this a heartbeat gap proves nothing: a heartbeat is due every
 * HEARTBEAT_MS, and a garbage collection may delay one.
 */
const MIN_BUSY_LIMIT_MS = 1_000;

type Phase = 'starting' | 'loading' | 'checking' | 'setup';

/** Code left running by a strategy checked earlier in the same thread, and what it did. */
export interface Disturbance {
  readonly path: string;
  readonly error: string;
}

/**
 * The strategy's report (`reusable`: the thread ended its check normally and
 * may check the next strategy), or, when code an earlier strategy left running
 * ended the thread, that disturbance: check this strategy again elsewhere.
 */
export type Supervised =
  | { readonly report: StrategyReport; readonly reusable: boolean }
  | { readonly disturbedBy: Disturbance };

/**
 * Checks one strategy in a worker thread and always comes back with its
 * report: the worker's own, or an error entry when the strategy's code ended
 * the thread (process.exit, an uncaught exception, an unhandled rejection),
 * ran out of memory, kept the thread busy, or did not finish loading or
 * setup() within --timeout. After an abnormal end, the worker's database
 * sessions are terminated and its schema dropped.
 */
export function superviseCheck(
  lab: Lab,
  worker: CheckWorkerThread,
  options: SuperviseOptions,
): Promise<Supervised> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const { onInterleaving, now: _now, ...rest } = options;
  const { memoryLimitMb } = worker;
  let identity: StrategyIdentity = identityOfFile(options.path);
  let phase: Phase = 'starting';
  let phaseSince = started;
  let lastBeat = started;
  let interleavings = 0;
  let report: StrategyReport | undefined;
  let problem: string | undefined;
  let disturbedBy: Disturbance | undefined;
  const backends = new Set<number>();
  const schemas = new Set<string>();
  const timeout = options.timeoutMs;
  const busyLimit = Math.max(timeout, MIN_BUSY_LIMIT_MS);

  const stop = (why: string): void => {
    problem ??= why;
    worker.terminate();
  };
  const enter = (next: Phase): void => {
    phase = next;
    phaseSince = now();
  };
  const onMessage = (message: WorkerMessage): void => {
    lastBeat = now();
    switch (message.type) {
      case 'heartbeat':
        return;
      case 'loading':
        enter('loading');
        return;
      case 'loaded':
        identity = {
          name: message.name,
          file: message.file,
          description: message.description,
          scenario: message.scenario,
        };
        enter('checking');
        return;
      case 'setup':
        enter('setup');
        return;
      case 'setup-done':
        enter('checking');
        return;
      case 'schema':
        schemas.add(message.name);
        return;
      case 'backend':
        backends.add(message.pid);
        return;
      case 'interleaving':
        interleavings += 1;
        onInterleaving?.();
        return;
      case 'report':
        report = message.report;
        // A healthy thread waits for the next strategy.
        if (problem === undefined) finish({ report, reusable: true });
        return;
      case 'failed':
        stop(`${identity.file}: the check stopped: ${message.message}`);
        return;
      case 'fault':
        if (message.path !== null && message.path !== options.path) {
          // Code that an earlier strategy of this thread left running (a timer).
          disturbedBy = { path: message.path, error: faultText(identityOfFile(message.path).file, message) };
          stop(`${identity.file}: interrupted by code ${message.path} left running`);
        } else {
          stop(faultText(identity.file, message));
        }
        return;
    }
  };
  const onError = (error: Error & { code?: string }): void => {
    stop(
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `${identity.file}: ran out of memory (limit ${memoryLimitMb} MB) in its own code${placeText(phase)}: bound what it keeps, or raise --max-memory`
        : `${identity.file}: the check stopped: ${boundText(oneLine(error.message))}`,
    );
  };
  const watchdog = setInterval(() => {
    const at = now();
    if (phase === 'starting') {
      if (at - started > Math.max(timeout, BOOT_LIMIT_MS)) {
        stop(
          `${identity.file}: oversold's worker thread did not start within ${Math.round(at - started)} ms: the machine may be overloaded; try again`,
        );
      }
      return;
    }
    const busy = `${identity.file}: hung${placeText(phase)}: its code kept the JavaScript thread busy for ${Math.round(at - lastBeat)} ms (an endless loop?)`;
    if (at - lastBeat > busyLimit) {
      stop(busy);
    } else if (phase === 'loading' && at - phaseSince > timeout) {
      // A loop that began a little after loading did has not yet reached the
      // busy limit, but its silence already says which it is.
      stop(
        at - lastBeat > MIN_BUSY_LIMIT_MS
          ? busy
          : `${identity.file}: did not finish loading within ${timeout} ms (--timeout): its top-level code never finished (an await that never resolves?)`,
      );
    } else if (phase === 'setup' && at - phaseSince > timeout) {
      stop(
        `${identity.file}: setup() did not finish within ${timeout} ms (--timeout): make it resolve (an await that never resolves, or a statement waiting on a lock?)`,
      );
    }
  }, HEARTBEAT_MS);

  let settle: (result: Supervised) => void = () => {};
  let settled = false;
  const finish = (result: Supervised): void => {
    if (settled) return;
    settled = true;
    clearInterval(watchdog);
    worker.release();
    settle(result);
  };
  const result = new Promise<Supervised>((resolve) => {
    settle = resolve;
  });
  worker.check(
    {
      ...rest,
      url: lab.connector.url,
      labInfo: lab.info,
      ...(lab.confined ? { confined: { role: lab.confined.role, url: lab.confined.connector.url } } : {}),
    },
    { onMessage, onError },
  );
  void worker.exited.then(async (code) => {
    if (settled) return;
    const progress = { interleavings, durationMs: now() - started };
    await cleanUp(lab, backends, schemas);
    if (disturbedBy) return finish({ disturbedBy });
    const error =
      problem ??
      `${identity.file}: the check's worker thread ended (code ${code}) before reporting; this is a bug in oversold`;
    finish({ report: failedReport(identity, error, progress), reusable: false });
  });
  return result;
}

/** The fault in one line, for the strategy `file`. */
export function faultText(file: string, fault: Extract<WorkerMessage, { type: 'fault' }>): string {
  const who =
    fault.place === 'purchase'
      ? fault.buyer !== null
        ? `buyer ${fault.buyer}'s purchase()`
        : "a buyer's purchase()"
      : fault.place === 'setup'
        ? 'setup()'
        : fault.place === 'top-level'
          ? 'its top-level code'
          : 'its code';
  const at = fault.at ? ` at ${fault.at}` : '';
  switch (fault.kind) {
    case 'exit':
    case 'kill':
      return `${file}: ${who} called ${fault.detail}${at}: a strategy must return 'purchased' or 'sold-out', never end the process`;
    case 'uncaught':
      return `${file}: ${who} threw outside its promise (${oneLine(fault.detail)})${at}: await the work it starts (timers, callbacks), or catch the error there`;
    case 'rejection':
      return `${file}: ${who} left a promise rejection unhandled (${oneLine(fault.detail)})${at}: await or catch every promise it starts`;
  }
}

function placeText(phase: Phase): string {
  if (phase === 'loading') return ' in its top-level code';
  if (phase === 'setup') return ' in setup()';
  return '';
}

/**
 * A worker that did not end normally may leave backends (its sockets close
 * with the thread, but a backend in a long statement notices late) and its schema.
 */
async function cleanUp(lab: Lab, backends: Set<number>, schemas: Set<string>): Promise<void> {
  const admin = await lab.connector.connect({ applicationName: 'oversold supervisor' }).catch(() => null);
  if (!admin) return; // The server is gone: nothing of the worker remains there.
  try {
    if (backends.size > 0) {
      const major = Number.parseInt(lab.info.serverVersion, 10);
      // Since PostgreSQL 14, pg_terminate_backend can wait until the backend is gone.
      const terminate = major >= 14 ? 'pg_terminate_backend(pid, 5000)' : 'pg_terminate_backend(pid)';
      await admin.query(
        `SELECT ${terminate} FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND datname = current_database()`,
        [[...backends]],
      );
    }
    // Names made by AttachedLab: letters, digits and underscores only.
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } catch {
    // The lab's database is dropped at the end of the run anyway.
  } finally {
    await admin.close();
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
