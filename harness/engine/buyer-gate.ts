import { findSourceMap } from 'node:module';
import { type Deferred, deferred } from './deferred.ts';
import type { QueryResult } from './sql-session.ts';

/** What a buyer asks to do next; it is held at the gate until the schedule releases it. */
export type Step =
  | {
      readonly kind: 'query';
      readonly text: string;
      readonly params: readonly unknown[];
      readonly at?: string;
    }
  | { readonly kind: 'pause'; readonly label: string; readonly at?: string }
  | WireStep;

/**
 * A statement that arrived over the PostgreSQL wire protocol (harness/gate/):
 * it runs on the client's own connection, backend `pid`, when `execute()`
 * forwards it, not on the buyer's session. It never crosses a process boundary.
 */
export interface WireStep {
  readonly kind: 'wire';
  readonly text: string;
  readonly pid: number;
  readonly at?: string;
  execute(): Promise<QueryResult>;
}

/** The handle a strategy's purchase() receives as `db`. */
export interface BuyerDb {
  /** Sends one statement when the schedule says so; resolves like pg's `client.query`. */
  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;
  /** A barrier: a schedulable point with no SQL. */
  pause(label: string): Promise<void>;
}

/**
 * The meeting point between one buyer's code and the scheduler. The buyer side
 * only submits serialisable steps and awaits their replies, so the same
 * protocol can cross a process boundary (a child process sends `Step`s over IPC).
 */
export class BuyerGate {
  readonly buyer: number;
  readonly #onChange: () => void;
  #held: { step: Step; reply: Deferred<QueryResult | undefined> } | null = null;
  #closedReason: string | null = null;
  /** Set when the strategy broke the protocol (e.g. two statements at once). */
  mistake: string | null = null;
  /**
   * The buyer's latest statement and its error, when it failed: a buyer that
   * ends inside a transaction is most often one that did not roll back after it.
   */
  failedStatement: { readonly sql: string; readonly at?: string; readonly error: unknown } | null = null;
  /**
   * Backends that act for this buyer besides its session: the connections a
   * wire buyer opened. A lock one of them holds is this buyer's lock.
   */
  readonly pids = new Set<number>();
  readonly #closed = new AbortController();

  /** `onChange` runs whenever a step arrives, so a waiting scheduler wakes. */
  constructor(buyer: number, onChange: () => void) {
    this.buyer = buyer;
    this.#onChange = onChange;
  }

  /** Strategy side: submit a step and wait for its reply. */
  submit(step: Step): Promise<QueryResult | undefined> {
    if (this.#closedReason !== null) return Promise.reject(new Error(this.#closedReason));
    if (this.#held !== null) {
      this.mistake = `buyer ${this.buyer} sent a second statement while its first was still waiting: await each db.query() before the next (one session runs one statement at a time)`;
      return Promise.reject(new Error(this.mistake));
    }
    const reply = deferred<QueryResult | undefined>();
    this.#held = { step, reply };
    // A side branch: the buyer's code awaits reply.promise itself, unchanged.
    if (step.kind !== 'pause') {
      reply.promise.then(
        () => {
          this.failedStatement = null;
        },
        (error: unknown) => {
          // A closed gate's refusal is not a statement PostgreSQL ran.
          if (this.#closedReason !== null) return;
          this.failedStatement = step.at ? { sql: step.text, at: step.at, error } : { sql: step.text, error };
        },
      );
    }
    this.#onChange();
    return reply.promise;
  }

  /** Scheduler side: the step held at the gate, if any. */
  get held(): Step | null {
    return this.#held?.step ?? null;
  }

  /** Scheduler side: take the held step; reply through the returned functions. */
  take(): { step: Step; reply: Deferred<QueryResult | undefined> } {
    const held = this.#held;
    if (held === null) throw new Error(`buyer ${this.buyer} has no step at the gate`);
    this.#held = null;
    return held;
  }

  /** Aborted when the gate closes: a buyer with connections of its own ends them. */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  /** Refuses every later step with this message (the run was abandoned). */
  close(reason: string): void {
    this.#closedReason = reason;
    this.#closed.abort(new Error(reason));
    const held = this.#held;
    this.#held = null;
    held?.reply.reject(new Error(reason));
  }

  /**
   * Leaves the buyer's code suspended for good: its connections end (as on
   * close) but its pending step never answers, so nothing of an attempt run
   * again from the start goes on (no catch block, no "buyer finished" hook).
   */
  abandon(): void {
    this.#closedReason = 'the run is being run again from the start';
    this.#closed.abort(new Error(this.#closedReason));
    this.#held = null;
  }
}

/** How a `db` handle hands a step to the scheduler (directly, or across a process boundary). */
export type SubmitStep = (step: Step) => Promise<QueryResult | undefined>;

const gates = new WeakMap<BuyerDb, BuyerGate>();

/** Builds the `db` handle a strategy sees, capturing the caller's line for reports. */
export function buyerDb(gate: BuyerGate): BuyerDb {
  const db = dbOver((step) => gate.submit(step));
  gates.set(db, gate);
  return db;
}

/** The gate behind a `db` handle from {@link buyerDb} (a child-process buyer submits through it). */
export function gateOf(db: BuyerDb): BuyerGate | undefined {
  return gates.get(db);
}

/** A `db` handle over any way of submitting steps. */
export function dbOver(submit: SubmitStep): BuyerDb {
  return {
    query(text: string, params?: readonly unknown[]) {
      if (typeof text !== 'string') {
        return Promise.reject(
          new TypeError(`db.query() needs SQL text as its first argument, got ${typeof text}`),
        );
      }
      if (params !== undefined && !Array.isArray(params)) {
        return Promise.reject(
          new TypeError('db.query() takes its parameters as an array: db.query(sql, [a, b])'),
        );
      }
      const at = callSite();
      const step: Step = at
        ? { kind: 'query', text, params: params ?? [], at }
        : { kind: 'query', text, params: params ?? [] };
      // biome-ignore lint/suspicious/noExplicitAny: the row type is the caller's promise
      return submit(step) as Promise<any>;
    },
    async pause(label: string) {
      const at = callSite();
      await submit(
        at ? { kind: 'pause', label: String(label), at } : { kind: 'pause', label: String(label) },
      );
    },
  };
}

const harnessFile = /[/\\](harness|node_modules)[/\\]|node:internal/;

/** Call sites already worked out, by generated position: a purchase asks from the same lines every run. */
const sites = new Map<string, string>();
const MAX_SITES = 10_000;

/**
 * The first stack frame outside oversold: where the strategy called db.query.
 * Asks V8 for the structured frames instead of formatting a stack string
 * (through source maps, for every frame) on every statement: that was most of
 * the engine's own CPU per interleaving.
 */
function callSite(): string | undefined {
  if (statedStack !== null) return siteInStackText(statedStack);
  for (const frame of structuredStack()) {
    const file = frame.getFileName();
    const line = frame.getLineNumber();
    if (!file || line === null || harnessFile.test(file)) continue;
    const column = frame.getColumnNumber() ?? 1;
    const key = `${file}:${line}:${column}`;
    let site = sites.get(key);
    if (site === undefined) {
      site = originalSite(file, line, column);
      if (sites.size >= MAX_SITES) sites.clear();
      sites.set(key, site);
    }
    return site;
  }
  return undefined;
}

/** The caller's stack a wrapper stated for the db.query it is making (see {@link withCallerStack}). */
let statedStack: string | null = null;

/**
 * Runs `send`, whose db.query records its call site from `stack` (an Error's
 * stack text, captured where the strategy wrote the statement) instead of the
 * stack at the call: a postgres.js-style query runs when awaited, in a
 * microtask where the strategy's frame is gone.
 */
export function withCallerStack<T>(stack: string, send: () => T): T {
  const previous = statedStack;
  statedStack = stack;
  try {
    return send();
  } finally {
    statedStack = previous;
  }
}

/** The first frame outside oversold in a stack's text (Node has mapped it through source maps, unless a host replaced Error.prepareStackTrace). */
function siteInStackText(stack: string): string | undefined {
  for (const frame of stack.split('\n').slice(1)) {
    if (harnessFile.test(frame)) continue;
    const match = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?$/.exec(frame.trim());
    if (!match) continue;
    const [file, line, column] = [match[1]!, Number(match[2]), Number(match[3])];
    return typeof Error.prepareStackTrace === 'function'
      ? originalSite(file, line, column)
      : `${relativePath(file)}:${line}`;
  }
  return undefined;
}

function structuredStack(): NodeJS.CallSite[] {
  const format = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, frames) => frames;
  try {
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, structuredStack);
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = format;
  }
}

/**
 * Frames come at their generated positions: map one through the module's
 * source map, when Node keeps one (a strategy compiled by tsx or vitest, a
 * bundled submission), to the file and line of the strategy's own source.
 */
function originalSite(file: string, line: number, column: number): string {
  const entry = findSourceMap(file)?.findEntry(line - 1, column - 1);
  if (entry && 'originalLine' in entry) {
    return `${relativePath(entry.originalSource || file)}:${entry.originalLine + 1}`;
  }
  return `${relativePath(file)}:${line}`;
}

function relativePath(file: string): string {
  const path = file.startsWith('file://') ? decodeURIComponent(new URL(file).pathname) : file;
  const cwd = `${process.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}
