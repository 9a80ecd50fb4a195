/**
 * The child side of an isolated strategy: loads one strategy and runs its
 * purchase() (or setup()) whenever the parent asks, sending every step to the
 * parent and waiting for the reply. The child never sees a database
 * connection: the parent holds, sends and answers every statement.
 *
 * The channel is a plain pipe on fd 3 with length-prefixed frames rather than
 * Node's IPC, so the parent can refuse an oversized frame before buffering it.
 */
import { Socket } from 'node:net';
import { serialize } from 'node:v8';
import { loadStrategy } from '../strategy/load-strategy.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { dbOver, type Step } from './buyer-gate.ts';
import {
  boundText,
  CHANNEL_FD,
  type ChildMessage,
  MAX_TEXT,
  type ParentMessage,
  readFrames,
  writeFrame,
} from './isolated-buyer-protocol.ts';
import { type QueryResult, StatementError } from './sql-session.ts';

let strategy: LoadedStrategy | null = null;
let nextStep = 0;
const waiting = new Map<number, { resolve: (result: QueryResult) => void; reject: (error: Error) => void }>();
const channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });

function send(message: ChildMessage): void {
  writeFrame(channel, message);
}

readFrames(
  channel,
  (message) => receive(message as ParentMessage),
  () => process.exit(70),
);
// The harness is gone (or closed the channel): nothing will ever ask again.
channel.on('end', () => process.exit(0));
send({ type: 'ready' });

function receive(message: ParentMessage): void {
  if (message.type === 'load') void load(message.file);
  else if (message.type === 'run') void run(message.run, message.call, message.request);
  else if (message.type === 'reply') {
    const pending = waiting.get(message.id);
    waiting.delete(message.id);
    if (!pending) return;
    if (message.ok) pending.resolve(message.result);
    else {
      const { message: text, code, detail, constraint } = message.error;
      const extra: { detail?: string; constraint?: string } = {};
      if (detail) extra.detail = detail;
      if (constraint) extra.constraint = constraint;
      pending.reject(code ? new StatementError(text, code, extra) : new Error(text));
    }
  }
}

async function load(file: string): Promise<void> {
  const loaded = await loadStrategy(file);
  if ('error' in loaded) {
    send({ type: 'load-error', message: boundText(loaded.error.message) });
    return;
  }
  strategy = loaded.strategy;
  send({
    type: 'loaded',
    metadata: {
      name: boundText(strategy.name),
      description: strategy.description === undefined ? undefined : boundText(strategy.description),
      file: strategy.file,
      scenario: strategy.scenario,
      expect: { ...strategy.expect },
      installSql: strategy.installSql,
      hasSetup: strategy.setup !== undefined,
    },
  });
}

async function run(runId: number, call: 'purchase' | 'setup', request: unknown): Promise<void> {
  const db = dbOver(
    (step: Step) =>
      new Promise<QueryResult>((resolve, reject) => {
        nextStep += 1;
        waiting.set(nextStep, { resolve, reject });
        send({ type: 'step', run: runId, id: nextStep, step });
      }),
  );
  try {
    const value =
      call === 'setup'
        ? await strategy!.setup?.(db, request as Record<string, unknown>)
        : await strategy!.purchase(db, request);
    send({ type: 'done', run: runId, ok: true, value: portable(value) });
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    send({
      type: 'done',
      run: runId,
      ok: false,
      error: {
        message: boundText(error instanceof Error ? error.message : String(error)),
        ...(typeof code === 'string' ? { code: boundText(code, 64) } : {}),
      },
    });
  }
}

/** A returned value the parent can receive and report: small, and cloneable. */
function portable(value: unknown): unknown {
  if (typeof value === 'function') return '[a function]';
  if (typeof value === 'string') return boundText(value);
  try {
    if (serialize(value).length <= MAX_TEXT) return value;
  } catch {
    // Not cloneable (holds a function, a symbol…): describe it instead.
  }
  return boundText(String(value));
}
