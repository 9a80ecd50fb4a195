import { createServer, type Server, type Socket } from 'node:net';
import type { BuyerGate } from '../engine/buyer-gate.ts';
import type { QueryResult } from '../engine/sql-session.ts';
import { isDriverPreamble } from './driver-preambles.ts';
import type { ServerTarget } from './server-target.ts';
import { type ConnectionOwner, WireConnection } from './wire-connection.ts';

/**
 * One buyer's gate: a loopback port whose every connection is this buyer's.
 * It forwards to the real server and, while the buyer runs in an
 * interleaving, holds each statement until the scheduler releases it. It is
 * kept across runs, so a pool the buyer's code keeps keeps its connections.
 */
export class BuyerEndpoint implements ConnectionOwner, AsyncDisposable {
  readonly buyerId: number;
  readonly target: ServerTarget;
  readonly #server: Server;
  readonly #connections = new Set<WireConnection>();
  #gate: BuyerGate | null = null;
  /** The first thing of this run the gate could not schedule. */
  #problem: string | null = null;
  /** Connections that reached the server so far (a program that never connects is a mistake). */
  connectionsOpened = 0;
  /** What else ends with the endpoint (a buyer program started ahead). */
  readonly #onClose: (() => Promise<void>)[] = [];
  closing = false;
  /** One statement at a time per buyer, even across its connections (a pool's). */
  #turn: Promise<unknown> = Promise.resolve();
  /** The run ended early and its code has not returned yet: its statements are refused. */
  refusing = false;
  /** Settles when the latest run's code has returned (see {@link during}). */
  #unwound: Promise<void> = Promise.resolve();

  private constructor(buyerId: number, target: ServerTarget, server: Server) {
    this.buyerId = buyerId;
    this.target = target;
    this.#server = server;
    server.on('connection', (socket: Socket) => this.#connections.add(new WireConnection(socket, this)));
  }

  /** Listens on a free port of 127.0.0.1. */
  static async open(buyerId: number, target: ServerTarget): Promise<BuyerEndpoint> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new BuyerEndpoint(buyerId, target, server);
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** The URL a buyer's code connects with. */
  get url(): string {
    const { user, password, database } = this.target;
    const auth =
      encodeURIComponent(user) + (password !== undefined ? `:${encodeURIComponent(password)}` : '');
    return `postgresql://${auth}@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  get lastProblem(): string | null {
    return this.#problem;
  }

  /**
   * Runs `body` as this buyer's purchase in the run whose gate is `gate`:
   * statements are held for the schedule until it returns.
   *
   * When the run ends early (abandoned to run again, or closed because
   * another buyer failed), the statement at the server is cancelled and every
   * later one is refused with an error after a ROLLBACK, so the run's locks
   * are freed at once while the code unwinds. The connections stay open: a
   * pooled node-postgres client whose socket closes while checked out throws
   * an unhandled 'error' in the process, and a pool would hand a closed
   * client to the next run. They run statements again once `body` has
   * returned, and the next run waits for that.
   *
   * A program of its own (`clientsGone`) is stopped instead and its
   * connections closed; the run waits until every connection's backend has
   * seen its client go, so the next run starts clean.
   */
  async during<T>(gate: BuyerGate, body: () => Promise<T>, { clientsGone = false } = {}): Promise<T> {
    const unwound = !this.refusing || (await settledWithin(this.#unwound, UNWIND_GRACE_MS));
    this.#gate = gate;
    if (!unwound) {
      this.problem(
        `the code of a run that ended early had not returned ${UNWIND_GRACE_MS / 1000} s after its statements were refused: the purchase awaits something besides the database; make it return or throw once a query fails`,
      );
    }
    this.#turn = Promise.resolve();
    for (const connection of this.#connections) if (connection.pid !== 0) gate.pids.add(connection.pid);
    let returned = () => {};
    this.#unwound = new Promise<void>((resolve) => {
      returned = resolve;
    });
    const endEarly = () => (clientsGone ? void this.closeConnections() : this.#refuse());
    gate.closed.addEventListener('abort', endEarly, { once: true });
    try {
      return await body();
    } finally {
      gate.closed.removeEventListener('abort', endEarly);
      if (clientsGone) await this.connectionsEnded();
      if (this.#gate === gate) this.#gate = null;
      if (this.refusing) this.#readmit();
      returned();
    }
  }

  #refuse(): void {
    this.refusing = true;
    for (const connection of this.#connections) connection.refuse();
  }

  #readmit(): void {
    this.refusing = false;
    for (const connection of this.#connections) connection.readmit();
  }

  holds(text: string): boolean {
    return this.#gate !== null && !isDriverPreamble(text);
  }

  submit(text: string, pid: number, execute: () => Promise<QueryResult>): Promise<unknown> {
    const gate = this.#gate;
    if (gate === null) return execute();
    const turn = this.#turn.then(() => gate.submit({ kind: 'wire', text, pid, execute }));
    this.#turn = turn.catch(() => {});
    return turn;
  }

  opened(connection: WireConnection): void {
    this.connectionsOpened += 1;
    this.#gate?.pids.add(connection.pid);
  }

  closed(connection: WireConnection): void {
    this.#connections.delete(connection);
    if (connection.pid !== 0) this.#gate?.pids.delete(connection.pid);
  }

  problem(message: string): void {
    if (this.#problem !== null) return;
    this.#problem = `buyer ${this.buyerId}: ${message}`;
    // The run cannot be evaluated: the engine stops it at its next settle (exit 2).
    if (this.#gate !== null) this.#gate.mistake ??= this.#problem;
  }

  /** Resolves when every connection has ended (its client is gone, e.g. the buyer's program exited). */
  async connectionsEnded(): Promise<void> {
    await Promise.all([...this.#connections].map((connection) => connection.ended));
  }

  /** Cancels what runs and closes every connection; resolves when their backends have seen it. */
  async closeConnections(): Promise<void> {
    const connections = [...this.#connections];
    for (const connection of connections) connection.close();
    await Promise.all(connections.map((connection) => connection.ended));
  }

  /** Runs `dispose` when the endpoint closes. */
  onClose(dispose: () => Promise<void>): void {
    this.#onClose.push(dispose);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.#onClose.splice(0).map((dispose) => dispose()));
    // Code of a run that ended early may still hold a pooled client: let it
    // return first (its statements are refused at once), or a closed socket
    // would throw in it. Code that waits on something else forever is not waited for.
    await settledWithin(this.#unwound, UNWIND_GRACE_MS);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.closeConnections();
    await closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** How long the next run, or closing, waits for the code of a run that ended early to return. */
const UNWIND_GRACE_MS = 5_000;

/** Whether `promise` settled within `ms` (a guard for code that never returns, not a wait for progress). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = await Promise.race([promise.then(() => true), expired]);
  clearTimeout(timer);
  return settled;
}
