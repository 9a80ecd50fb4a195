import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';
import type { Step } from './buyer-gate.ts';
import type { QueryResult } from './sql-session.ts';
import { MESSAGE_LIMIT } from './trace.ts';

export { boundText } from './trace.ts';

/** What a strategy's module declares, in a form that crosses a process boundary. */
export interface StrategyMetadata {
  readonly name: string;
  readonly description: string | undefined;
  readonly file: string;
  readonly scenario: string;
  readonly expect: Record<string, boolean>;
  readonly installSql: string | undefined;
  readonly hasSetup: boolean;
}

/** Messages from the harness to a strategy's child process. */
export type ParentMessage =
  | { type: 'load'; file: string }
  | { type: 'run'; run: number; call: 'purchase' | 'setup'; request: unknown }
  | { type: 'reply'; id: number; ok: true; result: QueryResult }
  | {
      type: 'reply';
      id: number;
      ok: false;
      error: { message: string; code?: string; detail?: string; constraint?: string };
    };

/** Messages from a strategy's child process to the harness. */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'loaded'; metadata: StrategyMetadata }
  | { type: 'load-error'; message: string }
  | { type: 'step'; run: number; id: number; step: Step }
  | { type: 'done'; run: number; ok: true; value: unknown }
  | { type: 'done'; run: number; ok: false; error: { message: string; code?: string } };

/** The child's end of the channel: the fd of the fourth stdio entry. */
export const CHANNEL_FD = 3;

/** Longest text (error message, returned value) kept of what a child reports: what a report keeps. */
export const MAX_TEXT = MESSAGE_LIMIT;

/**
 * Largest frame the harness reads from a child. The child bounds its own
 * texts; this bound holds even if strategy code writes to the channel itself
 * (or sends a 100 MB statement), so a child can never make the harness buffer
 * more than this.
 */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** Writes one message as a length-prefixed V8 serialization (what `serialization: 'advanced'` sends). */
export function writeFrame(socket: Socket, message: unknown): void {
  const body = serialize(message);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  socket.write(Buffer.concat([header, body]));
}

/** Why a child's channel was closed by the reader. */
export class FrameError extends Error {}

/**
 * Splits a byte stream into messages, never holding more than
 * {@link MAX_FRAME_BYTES} of one frame: an oversized or garbled frame is
 * reported through `onError` and nothing more is read.
 */
export function readFrames(
  socket: Socket,
  onMessage: (message: unknown) => void,
  onError: (error: FrameError) => void,
  maxBytes = MAX_FRAME_BYTES,
): void {
  // Chunks are joined once per complete frame, not once per chunk.
  let chunks: Buffer[] = [];
  let total = 0;
  let failed = false;
  const fail = (error: FrameError): void => {
    failed = true;
    chunks = [];
    socket.destroy();
    onError(error);
  };
  socket.on('data', (chunk: Buffer) => {
    if (failed) return;
    chunks.push(chunk);
    total += chunk.length;
    while (!failed && total >= 4) {
      if (chunks[0]!.length < 4) chunks = [Buffer.concat(chunks)];
      const length = chunks[0]!.readUInt32BE(0);
      if (length > maxBytes) {
        fail(new FrameError(`sent a ${megabytes(length)} message (the limit is ${megabytes(maxBytes)})`));
        return;
      }
      if (total < 4 + length) return;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const body = all.subarray(4, 4 + length);
      const rest = all.subarray(4 + length);
      chunks = rest.length > 0 ? [rest] : [];
      total = rest.length;
      let message: unknown;
      try {
        message = deserialize(body);
      } catch {
        fail(new FrameError('wrote something that is not a harness message on its channel (fd 3)'));
        return;
      }
      onMessage(message);
    }
  });
  // A child that exits closes its end; the exit itself is reported elsewhere.
  socket.on('error', () => {});
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
