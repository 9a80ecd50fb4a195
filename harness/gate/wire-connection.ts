import { connect, type Socket } from 'node:net';
import type { QueryResult } from '../engine/sql-session.ts';
import { StatementError } from '../engine/sql-session.ts';
import {
  CANCEL_REQUEST,
  cStrings,
  type DatabaseError,
  decodeBackend,
  FrameReader,
  GSSENC_REQUEST,
  PROTOCOL_3,
  readStartup,
  SSL_REQUEST,
  startupFrame,
} from './frames.ts';
import type { ServerTarget } from './server-target.ts';

/** What a connection asks of the buyer endpoint it belongs to. */
export interface ConnectionOwner {
  readonly target: ServerTarget;
  /** Whether this statement is held for the schedule (the buyer is in a run, and it is no driver preamble). */
  holds(text: string): boolean;
  /** Hands a held statement to the scheduler; resolves once it ran (or was refused). */
  submit(text: string, pid: number, execute: () => Promise<QueryResult>): Promise<unknown>;
  /** The connection learned its backend pid, or ended. */
  opened(connection: WireConnection): void;
  closed(connection: WireConnection): void;
  /** Something the gate cannot schedule (COPY, LISTEN, SSL only, a password): one line for the report. */
  problem(message: string): void;
}

/** Where the statement a connection forwards stands. */
type Phase =
  | 'idle' // forwarding messages as they come
  | 'held' // a statement waits for the schedule; later messages queue behind it
  | 'open' // the statement is released: forward until its Query or Execute is sent
  | 'running'; // its Query or Execute is at the server: wait for the answer

interface Running {
  readonly kind: 'query' | 'execute';
  readonly done?: { resolve(result: QueryResult): void; reject(error: unknown): void };
  tag: string | null;
  error: DatabaseError | null;
}

/**
 * One client connection through a buyer's gate, and its own connection to
 * the real server. Messages pass byte for byte, except that a statement (a
 * simple Query, or an extended Bind…Execute) waits at the gate until the
 * schedule releases it. The hold starts at Bind, not Execute: PostgreSQL
 * takes a SELECT's snapshot when the portal starts, which is at Bind.
 */
export class WireConnection {
  readonly #client: Socket;
  readonly #owner: ConnectionOwner;
  #server: Socket | null = null;
  pid = 0;
  #secret = 0;
  /** Client frames not yet forwarded (everything behind a held statement). */
  readonly #queue: Buffer[] = [];
  #phase: Phase = 'idle';
  #running: Running | null = null;
  /** The server skips to the next Sync after an error in the extended protocol. */
  #skipping: DatabaseError | null = null;
  /** Statement texts by prepared statement name (Parse), for the trace. */
  readonly #statements = new Map<string, string>();
  #closing = false;
  readonly #ended: Promise<void>;
  #markEnded!: () => void;

  constructor(client: Socket, owner: ConnectionOwner) {
    this.#client = client;
    this.#owner = owner;
    this.#ended = new Promise((resolve) => {
      this.#markEnded = resolve;
    });
    client.setNoDelay(true);
    client.on('error', () => this.close());
    client.on('close', () => this.close());
    this.#startUp();
  }

  /** Resolves once both sockets are closed (the backend has seen the client go). */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** Whether a statement of this connection is at the server now. */
  get busy(): boolean {
    return this.#phase === 'running' || this.#phase === 'open';
  }

  /**
   * Closes both sockets. A statement still at the server is cancelled first:
   * a backend waiting for a lock does not notice its client has gone, and
   * would hold its own locks until the lock it waits for is granted.
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.busy && this.pid !== 0) this.#cancel();
    // Not a lost server connection (class 08): the buyer's own program went away.
    const lost = new StatementError(
      "the buyer's client closed its connection while its statement ran",
      'XX000',
    );
    this.#running?.done?.reject(lost);
    this.#running = null;
    this.#client.destroy();
    const server = this.#server;
    if (server && !server.destroyed) {
      // Terminate tells the backend to end now rather than when it next reads.
      server.end(Buffer.from([0x58, 0, 0, 0, 4]));
      server.once('close', () => this.#finish());
      setImmediate(() => server.destroyed || server.destroySoon());
    } else this.#finish();
  }

  #finish(): void {
    this.#owner.closed(this);
    this.#markEnded();
  }

  #startUp(): void {
    const reader = new FrameReader(false);
    const onData = (chunk: Buffer) => {
      reader.push(chunk);
      for (let frame = reader.next(); frame !== null; frame = reader.next()) {
        const { code, params } = readStartup(frame);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          // No TLS on a loopback gate: 'N' tells the client to go on in plain text.
          this.#client.write('N');
          this.#refusedSecurity = true;
          continue;
        }
        this.#client.off('data', onData);
        if (code === CANCEL_REQUEST) return this.#passCancel(frame);
        if (code !== PROTOCOL_3) return this.close();
        this.#refusedSecurity = false;
        return this.#connectServer(params, reader.rest());
      }
    };
    this.#client.on('data', onData);
    this.#client.once('close', () => {
      if (this.#refusedSecurity && this.#server === null) {
        this.#owner.problem(
          "a client asked for SSL, was told the gate has none, and hung up: it insists on SSL (sslmode=require or ssl: true); oversold's gate is plain TCP on 127.0.0.1, so use sslmode=disable or prefer",
        );
      }
    });
  }

  #refusedSecurity = false;

  #passCancel(frame: Buffer): void {
    const server = this.#openServer();
    server.end(frame);
    server.on('error', () => {});
    this.close();
  }

  #openServer(): Socket {
    const { target } = this.#owner;
    const server =
      target.socketPath !== undefined ? connect(target.socketPath) : connect(target.port, target.host);
    server.setNoDelay(true);
    return server;
  }

  #connectServer(params: Map<string, string>, early: Buffer): void {
    const { target } = this.#owner;
    // Every connection of this buyer lands in the strategy's schema on the lab's database.
    params.set('user', target.user);
    params.set('database', target.database);
    const options = [params.get('options'), target.options].filter(Boolean).join(' ');
    if (options) params.set('options', options);
    if (!params.has('application_name')) params.set('application_name', target.applicationName);
    const server = this.#openServer();
    this.#server = server;
    server.on('error', () => this.close());
    server.on('close', () => this.close());
    server.write(startupFrame(params));
    const fromServer = new FrameReader(true);
    server.on('data', (chunk: Buffer) => {
      // Bytes go on to the client as they came; the gate only reads along.
      this.#client.write(chunk);
      fromServer.push(chunk);
      for (let frame = fromServer.next(); frame !== null; frame = fromServer.next()) this.#fromServer(frame);
    });
    const fromClient = new FrameReader(true);
    const take = (chunk: Buffer) => {
      fromClient.push(chunk);
      for (let frame = fromClient.next(); frame !== null; frame = fromClient.next()) this.#queue.push(frame);
      this.#pump();
    };
    this.#client.on('data', take);
    if (early.length > 0) take(early);
  }

  /** Forwards queued client frames until a statement must wait for the schedule. */
  #pump(): void {
    const server = this.#server;
    if (!server || this.#closing) return;
    server.cork();
    try {
      while (this.#queue.length > 0 && this.#phase !== 'held') {
        const frame = this.#queue[0]!;
        const type = String.fromCharCode(frame[0]!);
        // While a statement runs, the next one waits; Sync, Flush, Parse and the like go on.
        if (this.#phase === 'running' && (type === 'Q' || type === 'B' || type === 'E')) break;
        if (type === 'P') {
          const [name, text] = cStrings(frame, 2);
          this.#statements.set(name ?? '', text ?? '');
        }
        if (this.#phase === 'idle' && (type === 'Q' || type === 'B')) {
          const text = type === 'Q' ? (cStrings(frame, 1)[0] ?? '') : this.#boundText(frame);
          if (this.#skipping === null && this.pid !== 0 && this.#owner.holds(text)) {
            this.#hold(text);
            break;
          }
          this.#phase = 'open';
        }
        this.#queue.shift();
        server.write(frame);
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
    void this.#owner.submit(text, this.pid, execute).catch(() => {
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

  #fromServer(frame: Buffer): void {
    const type = String.fromCharCode(frame[0]!);
    const running = this.#running;
    switch (type) {
      case 'K': {
        this.pid = frame.readInt32BE(5);
        this.#secret = frame.readInt32BE(9);
        this.#owner.opened(this);
        return;
      }
      case 'R': {
        const request = frame.readInt32BE(5);
        // 3 cleartext, 5 MD5, 10 SASL: the client must answer with a password.
        if ((request === 3 || request === 5 || request === 10) && !this.#owner.target.hasPassword) {
          this.#owner.problem(
            'the server asks for a password and the database URL has none: put it in --database-url (or DATABASE_URL)',
          );
        }
        return;
      }
      case 'E': {
        const error = decodeBackend(frame) as DatabaseError;
        if (running?.kind === 'query') running.error = error;
        else {
          this.#skipping = error;
          if (running) this.#complete(running, null, error);
        }
        return;
      }
      case 'C': {
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
        if (running?.kind === 'execute') this.#complete(running, null, null);
        return;
      case 'Z':
        this.#skipping = null;
        if (running?.kind === 'query') this.#complete(running, running.tag, running.error);
        return;
      case 'G':
      case 'H':
      case 'W':
        this.#owner.problem(
          "a buyer's client used COPY: the gate schedules statements, not COPY streams; write the purchase with INSERT or UPDATE",
        );
        this.close();
        return;
      default:
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

  /** CancelRequest on a connection of its own, as any client cancels. */
  #cancel(): void {
    const frame = Buffer.alloc(16);
    frame.writeInt32BE(16, 0);
    frame.writeInt32BE(CANCEL_REQUEST, 4);
    frame.writeInt32BE(this.pid, 8);
    frame.writeInt32BE(this.#secret, 12);
    const socket = this.#openServer();
    socket.on('error', () => {});
    socket.end(frame);
  }
}

const FLUSH = Buffer.from([0x48, 0, 0, 0, 4]);

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
