import { DatabaseError } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';

/**
 * Splits a byte stream into PostgreSQL protocol frames: a type byte and an
 * int32 length that counts itself (or, for the first message of a connection,
 * only the length). The gate forwards frames byte for byte; it decodes only
 * the few it acts on, with node-postgres's own parser ({@link decodeBackend}).
 */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);
  readonly #typed: boolean;

  /** `typed: false` for the start-up phase, whose messages have no type byte. */
  constructor(typed: boolean) {
    this.#typed = typed;
  }

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
  }

  /** Bytes held for a frame not yet whole. */
  get buffered(): number {
    return this.#pending.length;
  }

  /** The next whole frame, or null until more bytes arrive. */
  next(): Buffer | null {
    const header = this.#typed ? 5 : 4;
    if (this.#pending.length < header) return null;
    const length = this.#pending.readInt32BE(this.#typed ? 1 : 0) + (this.#typed ? 1 : 0);
    if (length < header || this.#pending.length < length) return null;
    const frame = this.#pending.subarray(0, length);
    this.#pending = this.#pending.subarray(length);
    return frame;
  }

  /** What is left once the start-up phase ends (typed frames that arrived with it). */
  rest(): Buffer {
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    return rest;
  }
}

/** Start-up message codes (the int32 after the length). */
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3 = 196608;

/** A start-up frame's code, and its parameters when it is a StartupMessage. */
export function readStartup(frame: Buffer): { code: number; params: Map<string, string> } {
  const code = frame.readInt32BE(4);
  const params = new Map<string, string>();
  if (code === PROTOCOL_3) {
    const fields = frame.subarray(8).toString('utf8').split('\0');
    for (let index = 0; index + 1 < fields.length && fields[index] !== ''; index += 2) {
      params.set(fields[index]!, fields[index + 1]!);
    }
  }
  return { code, params };
}

/** A StartupMessage with these parameters. */
export function startupFrame(params: ReadonlyMap<string, string>): Buffer {
  const body = Buffer.from(`${[...params].map(([key, value]) => `${key}\0${value}\0`).join('')}\0`, 'utf8');
  const frame = Buffer.alloc(8 + body.length);
  frame.writeInt32BE(frame.length, 0);
  frame.writeInt32BE(PROTOCOL_3, 4);
  body.copy(frame, 8);
  return frame;
}

/** A typed message: its type byte, its length, then `body`. */
function typedFrame(type: string, body: Buffer): Buffer {
  const frame = Buffer.alloc(5 + body.length);
  frame.write(type, 0, 'latin1');
  frame.writeInt32BE(4 + body.length, 1);
  body.copy(frame, 5);
  return frame;
}

/** A simple Query message. */
export function queryFrame(text: string): Buffer {
  return typedFrame('Q', Buffer.from(`${text}\0`, 'utf8'));
}

/** An ErrorResponse at severity ERROR with this SQLSTATE and message. */
export function errorResponseFrame(code: string, message: string): Buffer {
  const fields = [`SERROR`, `VERROR`, `C${code}`, `M${message}`];
  return typedFrame('E', Buffer.from(`${fields.join('\0')}\0\0`, 'utf8'));
}

/** The NUL-terminated strings at the start of a frame's body (Parse: name, query; Bind: portal, statement). */
export function cStrings(frame: Buffer, count: number): string[] {
  const strings: string[] = [];
  let offset = 5;
  for (let index = 0; index < count; index++) {
    const end = frame.indexOf(0, offset);
    if (end < 0) break;
    strings.push(frame.toString('utf8', offset, end));
    offset = end + 1;
  }
  return strings;
}

const parser = new Parser();

/** Decodes one whole backend frame with pg-protocol (ErrorResponse, CommandComplete, BackendKeyData…). */
export function decodeBackend(frame: Buffer): BackendMessage {
  let decoded: BackendMessage | undefined;
  parser.parse(frame, (message) => {
    decoded = message;
  });
  if (!decoded)
    throw new Error(`could not decode a backend message of type ${String.fromCharCode(frame[0]!)}`);
  return decoded;
}

export { DatabaseError };
