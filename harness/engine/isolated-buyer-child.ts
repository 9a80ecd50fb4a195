/**
 * The child side of an isolated buyer: loads one strategy and runs its
 * purchase() whenever the parent asks, sending every step to the parent over
 * IPC and waiting for the reply. The child never sees a database connection:
 * the parent's scheduler holds, sends and answers every statement.
 */
import { loadStrategy } from '../strategy/load-strategy.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { dbOver, type Step } from './buyer-gate.ts';
import type { ChildMessage, ParentMessage } from './isolated-buyer-protocol.ts';
import { type QueryResult, StatementError } from './sql-session.ts';

let strategy: LoadedStrategy | null = null;
let nextStep = 0;
const waiting = new Map<number, { resolve: (result: QueryResult) => void; reject: (error: Error) => void }>();

function send(message: ChildMessage): void {
  process.send?.(message);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'load') void load(message.file);
  else if (message.type === 'run') void run(message.run, message.request);
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
});

async function load(file: string): Promise<void> {
  const loaded = await loadStrategy(file);
  if ('error' in loaded) {
    send({ type: 'load-error', message: loaded.error.message });
    return;
  }
  strategy = loaded.strategy;
  send({ type: 'loaded' });
}

async function run(runId: number, request: unknown): Promise<void> {
  const db = dbOver(
    (step: Step) =>
      new Promise<QueryResult>((resolve, reject) => {
        nextStep += 1;
        waiting.set(nextStep, { resolve, reject });
        send({ type: 'step', run: runId, id: nextStep, step });
      }),
  );
  try {
    const value = await strategy!.purchase(db, request);
    send({ type: 'done', run: runId, ok: true, value: typeof value === 'function' ? '[a function]' : value });
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    send({
      type: 'done',
      run: runId,
      ok: false,
      error: {
        message: error instanceof Error ? error.message : String(error),
        ...(typeof code === 'string' ? { code } : {}),
      },
    });
  }
}
