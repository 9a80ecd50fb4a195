import { AsyncLocalStorage } from 'node:async_hooks';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boundText } from '../engine/isolated-buyer-protocol.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import type { FaultKind, StrategyPlace, WorkerMessage } from './worker-protocol.ts';

interface Scope {
  /** The strategy's path, as the main thread gave it: a worker checks several in turn. */
  readonly path: string;
  readonly place: StrategyPlace;
  readonly buyer: number | null;
}

// The store follows the strategy's timers and promises, so an exception thrown
// from a setTimeout that buyer 2's purchase() started still says buyer 2.
const scope = new AsyncLocalStorage<Scope>();

/** Runs the strategy's code (`place`) so that whatever it starts is attributed to it. */
export function inStrategyScope<T>(
  path: string,
  place: StrategyPlace,
  buyer: number | null,
  run: () => T,
): T {
  return scope.run({ path, place, buyer }, run);
}

/**
 * The strategy with its setup() and purchase() run in their scopes; setup()
 * announces itself so that the main thread bounds it by --timeout.
 */
export function guardedStrategy(
  strategy: LoadedStrategy,
  path: string,
  post: (message: WorkerMessage) => void,
): LoadedStrategy {
  const { setup, purchase } = strategy;
  return {
    ...strategy,
    setup: setup
      ? async (db, context) => {
          post({ type: 'setup' });
          await inStrategyScope(path, 'setup', null, () => setup(db, context));
          post({ type: 'setup-done' });
        }
      : undefined,
    // `site` is passed on: a wire strategy opens its buyer's gate there.
    purchase: (db, request, site) =>
      inStrategyScope(path, 'purchase', buyerOf(request), () => purchase(db, request, site)),
  };
}

/** The built-in scenarios' requests carry `buyerId`; a custom scenario's may not. */
function buyerOf(request: unknown): number | null {
  const id = (request as { buyerId?: unknown } | null)?.buyerId;
  return typeof id === 'number' ? id : null;
}

/**
 * Makes the worker thread survive nothing the strategy does silently:
 * `process.exit`, `process.kill` of this process, an uncaught exception or an
 * unhandled rejection is posted to the main thread (with the strategy and the
 * buyer, from the scope) and ends the worker, which ends the check under way.
 */
export function installGuards(post: (message: WorkerMessage) => void): void {
  const endThread = process.exit.bind(process);
  const fault = (kind: FaultKind, detail: string, stack: string | undefined): never => {
    const current = scope.getStore();
    post({
      type: 'fault',
      kind,
      detail: boundText(detail),
      path: current?.path ?? null,
      place: current?.place ?? null,
      buyer: current?.buyer ?? null,
      at: current ? strategyLine(stack, current.path) : null,
    });
    // In a worker, process.exit ends this thread only.
    return endThread(1);
  };
  process.exit = ((code?: number | string | null) =>
    fault('exit', `process.exit(${code ?? ''})`, new Error().stack)) as typeof process.exit;
  const kill = process.kill.bind(process);
  process.kill = ((pid: number, signal?: string | number) => {
    // pid 0 and -pgid reach this process too.
    if (pid === process.pid || pid === 0 || pid === -process.pid) {
      return fault('kill', `process.kill(${pid}, ${JSON.stringify(signal ?? 'SIGTERM')})`, new Error().stack);
    }
    return kill(pid, signal);
  }) as typeof process.kill;
  process.on('uncaughtException', (error) => fault('uncaught', describe(error), stackOf(error)));
  process.on('unhandledRejection', (reason) => fault('rejection', describe(reason), stackOf(reason)));
}

function describe(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  try {
    return `${typeof thrown} ${String(thrown)}`;
  } catch {
    return typeof thrown;
  }
}

function stackOf(thrown: unknown): string | undefined {
  return thrown instanceof Error ? thrown.stack : undefined;
}

/** The first stack frame in the strategy's file, as `file:line:col`. */
function strategyLine(stack: string | undefined, path: string): string | null {
  const absolute = resolve(path);
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?[^\s()?]+)(?:\?[^\s()]*?)?:(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    const location = match[1]!;
    let file = location;
    try {
      if (location.startsWith('file://')) file = fileURLToPath(location);
    } catch {
      continue;
    }
    if (file === absolute) return `${relative(process.cwd(), absolute)}:${match[2]}:${match[3]}`;
  }
  return null;
}
