import type { Step } from './buyer-gate.ts';
import type { QueryResult } from './sql-session.ts';

/** Messages from the harness to a buyer's child process. */
export type ParentMessage =
  | { type: 'load'; file: string }
  | { type: 'run'; run: number; request: unknown }
  | { type: 'reply'; id: number; ok: true; result: QueryResult }
  | {
      type: 'reply';
      id: number;
      ok: false;
      error: { message: string; code?: string; detail?: string; constraint?: string };
    };

/** Messages from a buyer's child process to the harness. */
export type ChildMessage =
  | { type: 'loaded' }
  | { type: 'load-error'; message: string }
  | { type: 'step'; run: number; id: number; step: Step }
  | { type: 'done'; run: number; ok: true; value: unknown }
  | { type: 'done'; run: number; ok: false; error: { message: string; code?: string } };
