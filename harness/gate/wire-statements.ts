import type { Socket } from 'node:net';
import type { QueryResult } from '../engine/sql-session.ts';
import { StatementError } from '../engine/sql-session.ts';
import { isDriverPreamble } from './driver-preambles.ts';
import { cStrings, type DatabaseError, decodeBackend, errorResponseFrame, queryFrame } from './frames.ts';
import type { ConnectionOwner } from './wire-connection.ts';

/** Where the statement a connection forwards stands. */
type Phase =
  | 'idle' // forwarding messages as they come
  | 'held' // a statement waits for the schedule; later messages queue behind it
  | 'open' // the statement is released: forward until its Query or Execute is sent
  | 'running'; // its Query or Execute is at the server: wait for the answer

/**
 * Whose ReadyForQuery the server sends next, and what of that answer reaches
 * the client: its own Query or Sync ('client'); one of a run that ended early
 * ('ended': if it leaves a transaction open, the gate rolls it back before the
 * client hears it is done, and the ROLLBACK's ReadyForQuery stands in); the Sync of a batch the gate
 * refused ('sync': only what the client is owed from frames forwarded before,
 * such as a ParseComplete); the gate's ROLLBACK standing in for a refused
 * statement ('refused': the client gets an error, then this ReadyForQuery);
 * the gate's ROLLBACK after the client's statement left a transaction open
 * while refusing ('rolled-back': the client gets its ReadyForQuery); or a
 * ROLLBACK the client did not ask for ('silent').
 */
type Answer = 'client' | 'ended' | 'sync' | 'refused' | 'rolled-back' | 'silent';

interface Running {
  readonly kind: 'query' | 'execute';
  readonly done?: { resolve(result: QueryResult): void; reject(error: unknown): void };
  tag: string | null;
  error: DatabaseError | null;
}

/**
 * The statements of one gate connection, once its server socket is open:
 * client frames are forwarded in order, except that a statement the owner
 * holds waits (with everything behind it) until the schedule releases it,
 * and the server's replies tell when it has run and how.
 */
export class WireStatements {
  readonly #server: Socket;
  readonly #connection: { readonly pid: number };
  readonly #owner: ConnectionOwner;
  /** Client frames not yet forwarded (everything behind a held statement). */
  readonly #queue: Buffer[] = [];
  #phase: Phase = 'idle';
  #running: Running | null = null;
  /** The server skips to the next Sync after an error in the extended protocol. */
  #skipping: DatabaseError | null = null;
  /** Statement texts by prepared statement name (Parse), for the trace. */
  readonly #statements = new Map<string, string>();
  #closing = false;
  /** Whose ReadyForQuery messages the server still owes, oldest first. */
  #answers: Answer[] = [];
  /** The last ReadyForQuery's transaction status: 'I' idle, 'T' in a block, 'E' in a failed block. */
  #status = 'I';
  /** The run ended early: statements are refused (see {@link refuse}). */
  #refusing = false;
  /** While refusing: the client's extended-protocol batch is dropped up to its Sync. */
  #refusingBatch = false;

  constructor(server: Socket, connection: { readonly pid: number }, owner: ConnectionOwner) {
    this.#server = server;
    this.#connection = connection;
    this.#owner = owner;
  }

  /** Whether a statement is at the server now. */
  get busy(): boolean {
    return this.#phase === 'running' || this.#phase === 'open';
  }

  /** Whether a statement the schedule released is at the server now (not a driver's own query). */
  get scheduledBusy(): boolean {
    if (this.#phase === 'running') return this.#running?.done !== undefined;
    return this.#phase === 'open' && this.#released() !== undefined;
  }

  /** Queues client frames and forwards what may go. */
  take(frames: readonly Buffer[]): void {
    this.#queue.push(...frames);
    this.#pump();
  }

  /** The connection is closing: forward nothing more, and fail the statement still at the server. */
  close(): void {
    this.#closing = true;
    // Not a lost server connection (class 08): the buyer's own program went away.
    const lost = new StatementError(
      "the buyer's client closed its connection while its statement ran",
      'XX000',
    );
    this.#running?.done?.reject(lost);
    this.#running = null;
  }

  /**
   * The run ended early (abandoned, or closed after another buyer failed):
   * from now on the client's statements are refused, not run. Each is
   * answered with an error after a ROLLBACK the gate sends in its place, so
   * the transaction ends and its locks are freed at once, and the connection
   * stays open and idle. Closing it instead would fail the buyer's code just
   * as well, but node-postgres throws an unhandled 'error' from a pooled
   * client whose socket closes while it is checked out, and the pool would
   * hand a closed client to the next run.
   */
  refuse(): void {
    if (this.#refusing || this.#closing) return;
    this.#refusing = true;
    // What is at the server now belongs to the run that ended, even if its answer comes after its code returned.
    this.#answers = this.#answers.map((answer) => (answer === 'client' ? 'ended' : answer));
    if (this.#phase === 'held') {
      // The held statement is refused with the rest: the scheduler never takes it now.
      this.#phase = 'idle';
      this.#released = () => undefined;
    }
    // Code between statements inside a transaction still holds its locks: end it now.
    if (this.#quiet() && this.#status !== 'I') this.#rollBack('silent');
    this.#pump();
  }

  /** The run's code has returned: statements run again (a pool's next run reuses this connection). */
  readmit(): void {
    if (!this.#refusing) return;
    this.#refusing = false;
    this.#refusingBatch = false;
    if (!this.#closing && this.#quiet() && this.#status !== 'I') this.#rollBack('silent');
    this.#pump();
  }

  /** Nothing of the client's is at the server or waiting to go. */
  #quiet(): boolean {
    return this.#phase === 'idle' && this.#answers.length === 0 && this.#queue.length === 0;
  }

  #rollBack(answer: Answer): void {
    this.#server.write(ROLLBACK);
    this.#answers.push(answer);
  }

  /**
   * While refusing: whether a client frame still goes to the server. A
   * driver's own queries (connection set-up, never held) run, or the client
   * library fails to connect; so does the rest of a batch that already went
   * (its Sync, say) and a Terminate. A statement's Query, Parse or Bind is
   * refused, and with it the rest of its batch.
   */
  #passesWhileRefusing(frame: Buffer, type: string): boolean {
    switch (type) {
      case 'Q':
        return isDriverPreamble(cStrings(frame, 1)[0] ?? '');
      case 'P':
        return !this.#refusingBatch && isDriverPreamble(cStrings(frame, 2)[1] ?? '');
      case 'B':
        return !this.#refusingBatch && isDriverPreamble(this.#boundText(frame));
      case 'F':
        return false;
      case 'X':
        return true;
      default:
        return !this.#refusingBatch;
    }
  }

  /** While refusing: drops a client frame; a Query, FunctionCall or a refused batch's Sync gets its answer. */
  #refuseFrame(type: string): void {
    if (type === 'Q' || type === 'F' || type === 'S') {
      this.#refusingBatch = false;
      // The Sync ends whatever the server began of the batch (a Parse that went
      // before the hold); the ROLLBACK's answer carries the refusal.
      this.#server.write(SYNC);
      this.#answers.push('sync');
      // A Parse of the batch that failed already gave the client its error: one is all it expects.
      this.#rollBack(this.#skipping === null ? 'refused' : 'rolled-back');
      return;
    }
    this.#refusingBatch = true;
  }

  /** Forwards queued client frames until a statement must wait for the schedule. */
  #pump(): void {
    const server = this.#server;
    if (this.#closing) return;
    server.cork();
    try {
      while (this.#queue.length > 0 && this.#phase !== 'held') {
        const frame = this.#queue[0]!;
        const type = String.fromCharCode(frame[0]!);
        // While a statement runs, the next one waits; Sync, Flush, Parse and the like go on.
        if (this.#phase === 'running' && (type === 'Q' || type === 'B' || type === 'E')) break;
        if (this.#refusing && this.#phase !== 'open' && !this.#passesWhileRefusing(frame, type)) {
          this.#queue.shift();
          this.#refuseFrame(type);
          continue;
        }
        if (type === 'P') {
          const [name, text] = cStrings(frame, 2);
          this.#statements.set(name ?? '', text ?? '');
        }
        if (this.#phase === 'idle' && (type === 'Q' || type === 'B')) {
          const text = type === 'Q' ? (cStrings(frame, 1)[0] ?? '') : this.#boundText(frame);
          if (this.#skipping === null && this.#connection.pid !== 0 && this.#owner.holds(text)) {
            this.#hold(text);
            break;
          }
          this.#phase = 'open';
        }
        this.#queue.shift();
        server.write(frame);
        if (type === 'Q' || type === 'S' || type === 'F')
          this.#answers.push(this.#refusing ? 'ended' : 'client');
        if (this.#phase === 'open' && (type === 'Q' || type === 'E')) {
          // The server keeps an Execute's answer until Sync or Flush, and the
          // Sync may be queued behind the next statement: ask for it now.
          if (type === 'E' && !this.#flushQueued()) server.write(FLUSH);
          this.#sent(type === 'Q' ? 'query' : 'execute');
        }
      }
    } finally {
      server.uncork();
    }
  }

  /** Whether a Sync or Flush is queued before the next statement (it will follow the Execute at once). */
  #flushQueued(): boolean {
    for (const frame of this.#queue) {
      const type = String.fromCharCode(frame[0]!);
      if (type === 'S' || type === 'H') return true;
      if (type === 'Q' || type === 'B' || type === 'E') return false;
    }
    return false;
  }

  #boundText(bind: Buffer): string {
    const [, statement] = cStrings(bind, 2);
    return this.#statements.get(statement ?? '') ?? `EXECUTE ${statement}`;
  }

  #hold(text: string): void {
    this.#phase = 'held';
    let done: Running['done'] | undefined;
    const execute = () =>
      new Promise<QueryResult>((resolve, reject) => {
        if (this.#closing) {
          reject(
            new StatementError("the buyer's client closed its connection before its statement ran", 'XX000'),
          );
          return;
        }
        done = { resolve, reject };
        this.#phase = 'open';
        this.#pump();
      });
    this.#released = () => done;
    void this.#owner.submit(text, this.#connection.pid, execute).catch(() => {
      // The run was abandoned while the statement waited: the endpoint ends this connection.
    });
  }

  #released: () => Running['done'] | undefined = () => undefined;

  #sent(kind: Running['kind']): void {
    const done = this.#released();
    this.#released = () => undefined;
    if (kind === 'execute' && this.#skipping !== null) {
      // The server discards this Execute (an earlier message of the batch failed): nothing will answer it.
      this.#phase = 'idle';
      done?.reject(statementError(this.#skipping));
      return;
    }
    this.#phase = 'running';
    this.#running = { kind, tag: null, error: null, ...(done ? { done } : {}) };
  }

  /**
   * Reads a server frame along (errors, command tags and ReadyForQuery end
   * statements) and puts what the client is to receive in `out`.
   */
  fromServer(type: string, frame: Buffer, out: Buffer[]): void {
    const answer = this.#answers[0] ?? 'client';
    if (answer !== 'client' && answer !== 'ended') {
      this.#fromGateQuery(answer, type, frame, out);
      return;
    }
    const running = this.#running;
    switch (type) {
      case 'E': {
        out.push(frame);
        const error = decodeBackend(frame) as DatabaseError;
        if (running?.kind === 'query') running.error = error;
        else {
          this.#skipping = error;
          if (running) this.#complete(running, null, error);
        }
        return;
      }
      case 'C': {
        out.push(frame);
        const tag = (decodeBackend(frame) as unknown as { text: string }).text;
        if (/^(LISTEN|UNLISTEN)\b/.test(tag)) {
          this.#owner.problem(
            `a buyer's client ran ${tag.split(' ')[0]}: notifications arrive whenever the server sends them, so the gate cannot schedule them; check code that does not LISTEN`,
          );
        }
        if (running?.kind === 'query') running.tag = tag;
        else if (running) this.#complete(running, tag, null);
        return;
      }
      case 'I':
      case 's':
        out.push(frame);
        if (running?.kind === 'execute') this.#complete(running, null, null);
        return;
      case 'Z': {
        this.#answers.shift();
        this.#status = String.fromCharCode(frame[5]!);
        this.#skipping = null;
        // A statement of a run that ended early that leaves a transaction open
        // (most often the one cancelled when the run ended) is rolled back before
        // the client hears it is done: the ROLLBACK's ReadyForQuery stands in.
        if (answer === 'ended' && this.#status !== 'I') this.#rollBack('rolled-back');
        else out.push(frame);
        if (running?.kind === 'query') this.#complete(running, running.tag, running.error);
        return;
      }
      default:
        out.push(frame);
        return;
    }
  }

  /** The answer to a Sync or ROLLBACK the gate sent itself: only what the client is owed goes on. */
  #fromGateQuery(answer: Answer, type: string, frame: Buffer, out: Buffer[]): void {
    switch (type) {
      case 'Z':
        this.#answers.shift();
        this.#status = String.fromCharCode(frame[5]!);
        this.#skipping = null;
        if (answer === 'refused') out.push(REFUSED);
        if (answer === 'refused' || answer === 'rolled-back') out.push(frame);
        // Still in a transaction (a cancel meant for the statement before hit the ROLLBACK): end it too.
        if (answer !== 'sync' && this.#status !== 'I') this.#rollBack('silent');
        return;
      case 'C':
      case 'N':
      case 'E':
      case 'I':
        // The gate's own ROLLBACK (or the refused batch's error): not the client's.
        return;
      default:
        // Owed to the client (a ParseComplete for a Parse forwarded before the refusal), or state it must know.
        out.push(frame);
        return;
    }
  }

  #complete(running: Running, tag: string | null, error: DatabaseError | null): void {
    this.#running = null;
    this.#phase = 'idle';
    if (error) running.done?.reject(statementError(error));
    else
      running.done?.resolve({
        rows: [],
        rowCount: rowCountOf(tag),
        ...(tag ? { command: tag.split(' ')[0]! } : {}),
      });
    this.#pump();
  }
}

const FLUSH = Buffer.from([0x48, 0, 0, 0, 4]);
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
const ROLLBACK = queryFrame('ROLLBACK');
/** What the client of a run that ended early gets for each statement it still sends. */
const REFUSED = errorResponseFrame(
  '57014',
  'oversold ended this run (it is run again, or another buyer failed): the statement was not run',
);

function statementError(error: DatabaseError): StatementError {
  const extra: { detail?: string; constraint?: string } = {};
  if (error.detail) extra.detail = error.detail;
  if (error.constraint) extra.constraint = error.constraint;
  return new StatementError(error.message, error.code ?? 'XX000', extra);
}

/** The row count a command tag ends with (`UPDATE 1`, `INSERT 0 1`, `SELECT 3`). */
function rowCountOf(tag: string | null): number | null {
  const last = tag?.split(' ').at(-1);
  return last !== undefined && /^\d+$/.test(last) ? Number(last) : null;
}
