import type { BuyerGate } from '../engine/buyer-gate.ts';
import type { BuyerEndpoint } from './buyer-endpoint.ts';
import { BuyerProgram, type CommandSpec, lastLine } from './buyer-program.ts';

export type { CommandSpec } from './buyer-program.ts';

/** Each buyer's program for its next run, started ahead (one per endpoint: one strategy per workspace). */
const nextPrograms = new WeakMap<BuyerEndpoint, BuyerProgram>();

/**
 * Starts the program of this buyer's next run now, between runs, so that its
 * start-up is not the next run's: it waits for its request on stdin. Killed
 * when the endpoint closes.
 */
export function startNextProgram(spec: CommandSpec, endpoint: BuyerEndpoint): void {
  if (nextPrograms.has(endpoint) || endpoint.closing) return;
  const program = new BuyerProgram(spec, endpoint);
  nextPrograms.set(endpoint, program);
  endpoint.onClose(() => program.kill());
}

/**
 * Runs one buyer's program: the request as one JSON line on stdin, its gate
 * in DATABASE_URL and libpq's PG* variables, its outcome on the last line of
 * stdout. What makes the run not evaluable (it cannot start, never connects,
 * dies of a signal, overruns its time) is set as the gate's mistake, which
 * the engine reports with exit 2; a non-zero exit is the buyer's own error.
 */
export async function runCommandBuyer(
  spec: CommandSpec,
  endpoint: BuyerEndpoint,
  gate: BuyerGate,
  request: unknown,
): Promise<string> {
  const buyer = `buyer ${endpoint.buyerId}'s program (${spec.command.join(' ')})`;
  const fail = (message: string): Error => {
    gate.mistake ??= message;
    return new Error(message);
  };
  const program = nextPrograms.get(endpoint) ?? new BuyerProgram(spec, endpoint);
  nextPrograms.delete(endpoint);
  program.request(request);
  let ended: 'timeout' | 'abandoned' | null = null;
  // The timer is the strategy's own timeoutMs guard for a program that never ends.
  const timer = setTimeout(() => {
    ended ??= 'timeout';
    void program.kill();
  }, spec.timeoutMs);
  const abandon = () => {
    ended ??= 'abandoned';
    void program.kill();
  };
  gate.closed.addEventListener('abort', abandon, { once: true });
  const exit = await program.exited;
  clearTimeout(timer);
  gate.closed.removeEventListener('abort', abandon);
  // Its sockets closed with it: wait until the gate has seen each go (and why: SSL, COPY…).
  await endpoint.connectionsEnded();
  const lastError = lastLine(program.stderr);
  const said = lastError ? `: ${lastError}` : '';
  if ('error' in exit) {
    const code = (exit.error as NodeJS.ErrnoException).code ?? exit.error.message;
    throw fail(
      `${buyer} could not start (${code}): check "command" in the strategy's .json; it runs from the file's folder, so a script's path is relative to it`,
    );
  }
  if (endpoint.lastProblem) throw fail(endpoint.lastProblem);
  if (ended === 'timeout') {
    throw fail(
      `${buyer} did not finish within ${spec.timeoutMs} ms: fix it, or raise "timeoutMs" in its .json`,
    );
  }
  if (ended === 'abandoned') throw new Error(`${buyer} was stopped: the run was abandoned`);
  if (endpoint.connectionsOpened === program.connectionsBefore) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
    throw fail(
      `${buyer} ${how} without connecting to its database${said}: it must connect with DATABASE_URL or libpq's PGHOST/PGPORT/PGUSER/PGDATABASE`,
    );
  }
  if (exit.signal) throw fail(`${buyer} crashed (killed by ${exit.signal})${said}`);
  if (exit.code !== 0) throw new Error(`${buyer} exited with status ${exit.code}${said}`);
  const outcome = lastLine(program.stdout);
  if (outcome !== 'purchased' && outcome !== 'sold-out') {
    throw new Error(`${buyer} printed ${JSON.stringify(outcome)} last, not purchased or sold-out${said}`);
  }
  return outcome;
}
