import { parentPort } from 'node:worker_threads';
import { pgConnector } from '../database/pg-connector.ts';
import type { ChildLauncher } from '../engine/child-launcher.ts';
import { StrategyLoadError } from '../engine/errors.ts';
import { boundText } from '../engine/isolated-buyer-protocol.ts';
import type { SqlConnector } from '../engine/sql-session.ts';
import { Sandbox, type SandboxSpec } from '../grade/sandbox.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';
import { loadStrategyIsolated } from '../strategy/load-strategy-isolated.ts';
import { AttachedLab } from './attached-lab.ts';
import { checkStrategy } from './check-strategy.ts';
import { loadFailure } from './failed-report.ts';
import { guardedStrategy, inStrategyScope, installGuards } from './worker-guards.ts';
import {
  type CheckWorkerData,
  HEARTBEAT_MS,
  type MainMessage,
  type WorkerMessage,
} from './worker-protocol.ts';

// Strategies' checks, one at a time, in a worker thread the main thread
// supervises (supervise-check.ts): whatever a strategy's code does here, exit,
// throw from a timer, loop or run out of memory, the main thread reports it
// and goes on. A thread whose check ended normally is given the next one.
const port = parentPort;
if (!port) throw new Error('check-worker.ts runs as a worker thread: start it through CheckWorkerThread');
const post = (message: WorkerMessage): void => port.postMessage(message);

// A busy loop in the strategy's code stops these; the main thread notices.
// Kept referenced: a top-level await that never settles must look like a hang (the
// watchdog names it), not like a worker that ended without a word.
setInterval(() => post({ type: 'heartbeat' }), HEARTBEAT_MS);
installGuards(post);
let queue = Promise.resolve();
port.on('message', (message: MainMessage) => {
  queue = queue.then(() => checkOne(message.data));
});

async function checkOne(data: CheckWorkerData): Promise<void> {
  post({ type: 'loading' });
  // Under --isolate the module's own code never runs here, not even its top level.
  let launcher: ChildLauncher | undefined;
  // Only JavaScript and TypeScript run in processes; a .sql strategy runs in PostgreSQL alone.
  if (data.isolate && data.sandbox && /\.[cm]?[jt]s$/.test(data.path)) {
    try {
      launcher = await threadSandbox(data.sandbox).launcherFor(data.path);
    } catch (error) {
      if (!(error instanceof StrategyLoadError)) throw error;
      post({ type: 'report', report: loadFailure(error.file, error.message) });
      return;
    }
  }
  const loaded = await inStrategyScope(data.path, 'top-level', null, () =>
    data.isolate
      ? loadStrategyIsolated(data.path, { timeoutMs: data.timeoutMs, ...(launcher ? { launcher } : {}) })
      : loadStrategy(data.path),
  );
  if ('error' in loaded) {
    post({ type: 'report', report: loadFailure(loaded.file, loaded.error.message) });
    return;
  }
  const { strategy } = loaded;
  post({
    type: 'loaded',
    name: strategy.name,
    file: strategy.file,
    description: strategy.description ?? null,
    scenario: strategy.scenario,
  });
  const confined = data.confined
    ? { role: data.confined.role, connector: announcing(pgConnector(data.confined.url)) }
    : undefined;
  const lab = new AttachedLab(
    announcing(pgConnector(data.url)),
    data.labInfo,
    data.schemaSerial,
    (name) => post({ type: 'schema', name }),
    confined,
  );
  try {
    const report = await checkStrategy(lab, guardedStrategy(strategy, data.path, post), {
      runs: data.runs,
      seed: data.seed,
      ranges: data.ranges,
      properties: data.properties,
      timeoutMs: data.timeoutMs,
      ...(data.isolate ? { isolate: true } : {}),
      ...(launcher ? { isolation: { launcher } } : {}),
      onInterleaving: () => post({ type: 'interleaving' }),
    });
    post({ type: 'report', report });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    post({ type: 'failed', message: boundText(message.replace(/\s*\n\s*/g, ' ').trim()) });
  }
}

let sandbox: Sandbox | undefined;

/** The run's sandbox (opened by the main thread, which removes it), as this thread uses it. */
function threadSandbox(spec: SandboxSpec): Sandbox {
  sandbox ??= Sandbox.attach(spec);
  return sandbox;
}

/** Tells the main thread every backend this worker opens, so that none outlives a worker that died. */
function announcing(connector: SqlConnector): SqlConnector {
  return {
    url: connector.url,
    async connect(options) {
      const session = await connector.connect(options);
      post({ type: 'backend', pid: session.pid });
      return session;
    },
  };
}
