import { spawn } from 'node:child_process';
import type { BuyerGate } from '../engine/buyer-gate.ts';
import type { BuyerEndpoint } from './buyer-endpoint.ts';

/** A command strategy's program, as its `.json` file gives it. */
export interface CommandSpec {
  readonly command: readonly string[];
  /** The `.json` file's folder: the program runs there. */
  readonly cwd: string;
  /** Longest one buyer's program may run. */
  readonly timeoutMs: number;
}

/** The most of each stream kept: the outcome and the error are on their last lines. */
const KEPT_BYTES = 64 * 1024;

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
  const { user, password, database } = endpoint.target;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: endpoint.url,
    PGHOST: '127.0.0.1',
    PGPORT: String(endpoint.port),
    PGUSER: user,
    PGDATABASE: database,
  };
  if (password !== undefined) env.PGPASSWORD = password;
  else delete env.PGPASSWORD;
  const [program, ...args] = spec.command;
  // Its own process group, so a timeout ends whatever the program started too.
  const child = spawn(program!, args, { cwd: spec.cwd, env, stdio: 'pipe', detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout = (stdout + chunk.toString('utf8')).slice(-KEPT_BYTES);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-KEPT_BYTES);
  });
  child.stdin.on('error', () => {}); // a program that never reads stdin closes it early
  child.stdin.end(`${JSON.stringify(request)}\n`);
  let ended: string | null = null;
  const kill = (why: string) => {
    ended ??= why;
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  // The timer is the strategy's own timeoutMs guard for a program that never ends.
  const timer = setTimeout(() => kill('timeout'), spec.timeoutMs);
  const abandon = () => kill('abandoned');
  gate.closed.addEventListener('abort', abandon, { once: true });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>(
    (resolve) => {
      child.once('error', (error) => resolve(error));
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );
  clearTimeout(timer);
  gate.closed.removeEventListener('abort', abandon);
  // Its sockets closed with it: wait until the gate has seen each go (and why: SSL, COPY…).
  await endpoint.connectionsEnded();
  const lastError = lastLine(stderr);
  const said = lastError ? `: ${lastError}` : '';
  if (exit instanceof Error) {
    const code = (exit as NodeJS.ErrnoException).code ?? exit.message;
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
  if (endpoint.connectedThisRun === 0) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
    throw fail(
      `${buyer} ${how} without connecting to its database${said}: it must connect with DATABASE_URL or libpq's PGHOST/PGPORT/PGUSER/PGDATABASE`,
    );
  }
  if (exit.signal) throw fail(`${buyer} crashed (killed by ${exit.signal})${said}`);
  if (exit.code !== 0) throw new Error(`${buyer} exited with status ${exit.code}${said}`);
  const outcome = lastLine(stdout);
  if (outcome !== 'purchased' && outcome !== 'sold-out') {
    throw new Error(`${buyer} printed ${JSON.stringify(outcome)} last, not purchased or sold-out${said}`);
  }
  return outcome;
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .at(-1) ?? ''
  );
}
