import { connect, type Socket } from 'node:net';
import type { QueryResult } from '../engine/sql-session.ts';
import {
  CANCEL_REQUEST,
  FrameReader,
  GSSENC_REQUEST,
  PROTOCOL_3,
  readStartup,
  SSL_REQUEST,
  startupFrame,
} from './frames.ts';
import type { ServerTarget } from './server-target.ts';
import { WireStatements } from './wire-statements.ts';

/** What a connection asks of the buyer endpoint it belongs to. */
export interface ConnectionOwner {
  readonly target: ServerTarget;
  /** Whether the buyer's run ended early and its code is still unwinding (see {@link WireConnection.refuse}). */
  readonly refusing: boolean;
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
  /** Its statements, once the server connection is open. */
  #statements: WireStatements | null = null;
  pid = 0;
  #secret = 0;
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
    return this.#statements?.busy ?? false;
  }

  /**
   * The run ended early: the statement at the server is cancelled and every
   * later one refused (see {@link WireStatements.refuse}); the connection
   * stays open for the client, which may be a pool's.
   */
  refuse(): void {
    if (this.#closing || !this.#statements) return;
    // A driver's own query (connection set-up) finishes: cancelled, the client library could not connect.
    if (this.#statements.scheduledBusy && this.pid !== 0) this.#cancel();
    this.#statements.refuse();
  }

  /** The run's code has returned: this connection's statements run again. */
  readmit(): void {
    this.#statements?.readmit();
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
    this.#statements?.close();
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
    const statements = new WireStatements(server, this, this.#owner);
    this.#statements = statements;
    server.on('error', () => this.close());
    server.on('close', () => this.close());
    server.write(startupFrame(params));
    const fromServer = new FrameReader(true);
    server.on('data', (chunk: Buffer) => {
      // Whole frames go on to the client as they came, but for the answers
      // to what the gate itself sent when it refused a statement.
      const aligned = fromServer.buffered === 0;
      fromServer.push(chunk);
      const frames: Buffer[] = [];
      const out: Buffer[] = [];
      for (let frame = fromServer.next(); frame !== null; frame = fromServer.next()) {
        frames.push(frame);
        this.#fromServer(frame, statements, out);
      }
      // Most chunks are whole frames, all for the client: one write, as they came.
      const unchanged =
        aligned &&
        fromServer.buffered === 0 &&
        out.length === frames.length &&
        out.every((f, k) => f === frames[k]);
      this.#toClient(unchanged ? [chunk] : out);
    });
    const fromClient = new FrameReader(true);
    const take = (chunk: Buffer) => {
      fromClient.push(chunk);
      const frames: Buffer[] = [];
      for (let frame = fromClient.next(); frame !== null; frame = fromClient.next()) frames.push(frame);
      statements.take(frames);
    };
    this.#client.on('data', take);
    if (early.length > 0) take(early);
    if (this.#owner.refusing) statements.refuse();
  }

  #toClient(frames: readonly Buffer[]): void {
    if (frames.length === 0 || this.#client.destroyed) return;
    if (frames.length === 1) {
      this.#client.write(frames[0]!);
      return;
    }
    this.#client.cork();
    for (const frame of frames) this.#client.write(frame);
    this.#client.uncork();
  }

  /** What the connection itself reads in the server's frames; the rest is its statements'. */
  #fromServer(frame: Buffer, statements: WireStatements, out: Buffer[]): void {
    const type = String.fromCharCode(frame[0]!);
    switch (type) {
      case 'K': {
        out.push(frame);
        this.pid = frame.readInt32BE(5);
        this.#secret = frame.readInt32BE(9);
        this.#owner.opened(this);
        return;
      }
      case 'R': {
        out.push(frame);
        const request = frame.readInt32BE(5);
        // 3 cleartext, 5 MD5, 10 SASL: the client must answer with a password.
        if ((request === 3 || request === 5 || request === 10) && !this.#owner.target.hasPassword) {
          this.#owner.problem(
            'the server asks for a password and the database URL has none: put it in --database-url (or DATABASE_URL)',
          );
        }
        return;
      }
      case 'G':
      case 'H':
      case 'W':
        this.#owner.problem(
          "a buyer's client used COPY: the gate schedules statements, not COPY streams; write the purchase with INSERT or UPDATE",
        );
        this.close();
        return;
      default:
        statements.fromServer(type, frame, out);
        return;
    }
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
