import { buyerDb, type Step } from './buyer-gate.ts';
import { type BuyerPlan, BuyerRun } from './buyer-run.ts';
import type { ControlSession } from './control-session.ts';
import { type Deferred, deferred } from './deferred.ts';
import { ConnectionLostError, HangError, ScheduleError, StrategyMistakeError } from './errors.ts';
import { badReturnMessage, hangError, openTransactionError, stuckError } from './interleaving-diagnosis.ts';
import { isConnectionLost, type QueryResult, StatementError } from './sql-session.ts';
import { type BuyerOutcome, boundText, oneLine, type TraceEvent } from './trace.ts';
import { overtaking, sameIds, unstableBuyers, waitCycle } from './wait-graph.ts';

export type { Step } from './buyer-gate.ts';
export type { BuyerPlan } from './buyer-run.ts';

/**
 * Picks the buyer released at decision `index` among the ready ones (ascending ids).
 * `steps[i]` is what releasing `ready[i]` would do: the step held at its gate,
 * or null for a buyer parked at a barrier inside SQL (releasing it lets that statement go on).
 */
export type Chooser = (index: number, ready: readonly number[], steps: readonly (Step | null)[]) => number;

export interface InterleavingOptions {
  readonly control: ControlSession;
  readonly buyers: readonly BuyerPlan[];
  readonly choose: Chooser;
  /** Longest one buyer may take on one step before the run fails as hung. */
  readonly timeoutMs: number;
  /** Milliseconds from some fixed origin (performance.now by default). */
  readonly now?: () => number;
  /** Most releases one run may take before it fails as hung (a buyer that loops forever). */
  readonly maxDecisions?: number;
  /**
   * How long a just-released statement may run before the scheduler first
   * asks PostgreSQL whether it is blocked (0: ask at once). Affects speed only.
   */
  readonly headStartMs?: number;
  /**
   * Puts the tables and the buyers' sessions back as they were before the
   * run and returns the buyers to run again (with new sessions, if need be).
   * With it, a run in which PostgreSQL let a buyer through before one that
   * had waited longer is run again (see {@link runInterleaving}); without it,
   * such a run goes on as PostgreSQL ordered it.
   */
  readonly restart?: () => Promise<readonly BuyerPlan[]>;
}

const DEFAULT_HEAD_START_MS = 1;

/**
 * Attempts at a run in which no buyer overtook a longer waiter, after which
 * the last one is kept as it comes. Measured on 2 cores at load average 5-6:
 * about 1 run in 15 of 3- and 4-buyer inventory cases took a second attempt,
 * at most 5 attempts in ~2,000 runs of a 3-buyer FOR UPDATE exploration; at
 * load below 1, none. The worst race seen (4 buyers) went to the longest
 * waiter 8 times in 30, so 49 lost in a row is about a chance in 5 million.
 */
const MAX_ATTEMPTS = 50;

const DEFAULT_MAX_DECISIONS = 10_000;

export interface InterleavingResult {
  readonly trace: TraceEvent[];
  readonly outcomes: Map<number, BuyerOutcome>;
  /** The buyer released at each decision: the schedule string that replays this run. */
  readonly decisions: number[];
}

const outcomes = new Set(['purchased', 'sold-out']);

/**
 * Runs the buyers' purchase code with exactly one statement released at a time.
 * After each release it waits until every buyer is at its gate, finished, or
 * stuck inside PostgreSQL (blocked by another buyer, or parked at a barrier),
 * asking PostgreSQL rather than waiting for time to pass.
 *
 * One release can wake several buyers at once (a COMMIT that several wait
 * for), and then PostgreSQL, not the schedule, decides which of them gets a
 * contested lock first. The run is kept when the buyer that had waited
 * longest got it, as happens on an idle machine; otherwise (with
 * `restart`) it is abandoned and run again from the start, replaying the
 * decisions already taken, so that the chooser is asked once per decision and
 * the same choices give the same run whatever the machine's load.
 */
export async function runInterleaving(options: InterleavingOptions): Promise<InterleavingResult> {
  const taken: number[] = [];
  let buyers = options.buyers;
  for (let attempt = 1; ; attempt++) {
    const last = options.restart === undefined || attempt >= MAX_ATTEMPTS;
    try {
      return await new Interleaving({ ...options, buyers }, taken, last).run();
    } catch (error) {
      if (!(error instanceof RunAgain)) throw error;
      buyers = await options.restart!();
    }
  }
}

/** This attempt's outcome depended on timing inside PostgreSQL: run the case again from the start. */
class RunAgain extends Error {}

class Interleaving {
  readonly #options: InterleavingOptions;
  readonly #now: () => number;
  readonly #runs: BuyerRun[];
  readonly #trace: TraceEvent[] = [];
  #wake: Deferred<void> = deferred();
  #aborted = false;
  /** Something outside the strategy broke the run (a lost connection): thrown at the next settle. */
  #fatal: Error | null = null;
  /** Buyers released, or whose statement ended, since PostgreSQL was last asked who waits for whom. */
  #moved = new Set<number>();
  /** Counts recorded blocks, so a deadlock's victim can be the buyer that has waited longest. */
  #blockSerial = 0;
  /** Buyers whose block changed since the last stable state, numbered when it is reached. */
  readonly #newBlocks = new Set<BuyerRun>();
  /** Buyer id → the block serial at which its current statement first waited. */
  readonly #waitingSince = new Map<number, number>();
  /** Decisions the chooser took, in this attempt or an abandoned one: replayed, not asked again. */
  readonly #taken: number[];
  /** The last attempt keeps whatever PostgreSQL did. */
  readonly #last: boolean;

  constructor(options: InterleavingOptions, taken: number[] = [], last = true) {
    this.#options = options;
    this.#taken = taken;
    this.#last = last;
    this.#now = options.now ?? (() => performance.now());
    this.#runs = [...options.buyers]
      .sort((a, b) => a.id - b.id)
      .map((plan) => new BuyerRun(plan, () => this.#wakeUp()));
  }

  async run(): Promise<InterleavingResult> {
    const { choose } = this.#options;
    const decisions: number[] = [];
    try {
      for (const run of this.#runs) this.#start(run);
      await this.#settle(null);
      for (let index = 0; this.#runs.some((run) => run.state !== 'finished'); index++) {
        const ready = this.#runs.filter((run) => run.state === 'ready' || run.state === 'parked');
        if (ready.length === 0) throw this.#stuck();
        const limit = this.#options.maxDecisions ?? DEFAULT_MAX_DECISIONS;
        if (index >= limit) {
          throw new HangError(
            `the buyers took ${limit} steps without all finishing: a buyer retries or loops forever; fix the strategy (or bound its retries)`,
            ready.map((run) => run.id),
          );
        }
        const id = this.#choose(index, ready, choose);
        const chosen = ready.find((run) => run.id === id);
        if (!chosen) throw new Error(`the scheduler chose buyer ${id}, which is not ready`);
        decisions.push(id);
        await this.#release(chosen);
        await this.#settle(chosen);
      }
      await this.#checkTransactionsClosed();
      const result = new Map<number, BuyerOutcome>();
      for (const run of this.#runs) result.set(run.id, run.outcome!);
      return { trace: this.#trace, outcomes: result, decisions };
    } catch (error) {
      if (error instanceof RunAgain) {
        this.#abandon();
        throw error;
      }
      this.#abort();
      if (error instanceof ScheduleError) {
        error.partialTrace = [...this.#trace];
        for (const run of this.#runs) error.buyerStates[run.id] = describeState(run);
      }
      throw error;
    }
  }

  /** The buyer to release at decision `index`: an earlier attempt's decision, or the chooser's. */
  #choose(index: number, ready: readonly BuyerRun[], choose: Chooser): number {
    const replayed = this.#taken[index];
    if (replayed !== undefined && ready.some((run) => run.id === replayed)) return replayed;
    // Not ready where an earlier attempt took it: PostgreSQL raced where no
    // overtaking showed. Run again; the last attempt asks the chooser anew.
    if (replayed !== undefined && !this.#last) throw new RunAgain();
    const id = choose(
      index,
      ready.map((run) => run.id),
      ready.map((run) => (run.state === 'parked' ? null : run.gate.held)),
    );
    this.#taken[index] = id;
    return id;
  }

  #start(run: BuyerRun): void {
    const db = buyerDb(run.gate);
    // Start the buyer's code on a fresh microtask so a synchronous throw is an outcome too.
    Promise.resolve()
      .then(() => run.plan.purchase(db))
      .then(
        (value) => this.#finish(run, { value }),
        (error: unknown) => this.#finish(run, { error }),
      );
  }

  #finish(run: BuyerRun, ending: { value: unknown } | { error: unknown }): void {
    if (this.#aborted) return;
    if ('value' in ending) {
      const { value } = ending;
      if (typeof value !== 'string' || !outcomes.has(value)) {
        run.gate.mistake = badReturnMessage(run.id, value);
        run.outcome = { kind: 'threw', message: run.gate.mistake };
      } else {
        run.outcome = { kind: 'returned', value: value as 'purchased' | 'sold-out' };
        run.events.push({ buyer: run.id, event: 'returned', value });
      }
    } else {
      const { error } = ending;
      const message = boundText(thrownMessage(error));
      const code = (error as { code?: unknown } | null)?.code;
      run.outcome = typeof code === 'string' ? { kind: 'threw', message, code } : { kind: 'threw', message };
      run.events.push(
        typeof code === 'string'
          ? { buyer: run.id, event: 'threw', message, code }
          : { buyer: run.id, event: 'threw', message },
      );
    }
    run.state = 'finished';
    this.#wakeUp();
  }

  async #release(run: BuyerRun): Promise<void> {
    if (run.state === 'parked') {
      run.events.push({ buyer: run.id, event: 'continued', label: this.#parkedLabel(run) });
      run.state = 'running';
      await this.#options.control.releaseBarrier(run.plan.slot, run.barrierHeld);
      run.barrierHeld += 1;
      return;
    }
    const { step, reply } = run.gate.take();
    if (step.kind === 'pause') {
      run.events.push(withSite({ buyer: run.id, event: 'paused', label: step.label }, step));
      run.state = 'thinking';
      reply.resolve(undefined);
      return;
    }
    run.state = 'running';
    run.sql = oneLine(step.text);
    run.wasBlocked = false;
    this.#waitingSince.delete(run.id);
    run.events.push(withSite({ buyer: run.id, event: 'sent', sql: run.sql }, step));
    // A wire step runs on the client's own connection; a db.query step on the buyer's session.
    run.statementPid = step.kind === 'wire' ? step.pid : run.plan.session.pid;
    const sent = step.kind === 'wire' ? step.execute() : run.plan.session.query(step.text, step.params);
    sent.then(
      (result) => this.#statementDone(run, reply, result, null),
      (error: unknown) => this.#statementDone(run, reply, null, error),
    );
  }

  #statementDone(
    run: BuyerRun,
    reply: Deferred<QueryResult | undefined>,
    result: QueryResult | null,
    error: unknown,
  ): void {
    if (this.#aborted) return;
    const sql = run.sql ?? '';
    if (mayHaveFreedLocks(run, sql, error)) this.#moved.add(run.id);
    const resumed = run.wasBlocked ? { resumed: true as const } : {};
    const cycle = run.deadlockVictimOf;
    run.deadlockVictimOf = null;
    if (cycle && error && (error as { code?: unknown }).code === QUERY_CANCELED) {
      error = deadlockError(run.id, cycle);
    }
    if (result) {
      run.events.push({ buyer: run.id, event: 'completed', sql, rowCount: result.rowCount, ...resumed });
    } else {
      const code = String((error as { code?: unknown })?.code ?? 'XX000');
      const message = boundText(error instanceof Error ? error.message : String(error));
      if (isConnectionLost(code)) {
        this.#fatal ??= new ConnectionLostError(
          `buyer ${run.id}'s connection to PostgreSQL was lost (SQLSTATE ${code}: ${message}): something outside oversold ended its session or the server; check the server and run again`,
        );
      }
      run.events.push({
        buyer: run.id,
        event: 'failed',
        sql,
        code,
        message,
        ...resumed,
        ...(cycle ? { deadlock: cycle } : {}),
      });
    }
    run.state = 'thinking';
    run.sql = null;
    run.blockedBy = [];
    run.lockTarget = undefined;
    run.wasBlocked = false;
    if (result) reply.resolve(result);
    else reply.reject(error);
    this.#wakeUp();
  }

  /**
   * Waits until no buyer is thinking (its JavaScript between statements) or
   * running (a statement PostgreSQL is executing and not waiting on a lock).
   * What remains is stable: blocked statements wait for buyers that will not
   * move until the schedule releases them.
   */
  async #settle(stepped: BuyerRun | null): Promise<void> {
    const started = this.#now();
    const { control, timeoutMs } = this.#options;
    let headStart = this.#options.headStartMs ?? DEFAULT_HEAD_START_MS;
    const before = this.#waitGraph();
    for (;;) {
      if (this.#fatal) throw this.#fatal;
      for (const run of this.#runs) {
        if (run.state === 'thinking' && run.gate.held !== null) run.state = 'ready';
      }
      const remaining = timeoutMs - (this.#now() - started);
      if (remaining <= 0) throw this.#hang(timeoutMs);
      if (this.#runs.some((run) => run.state === 'thinking')) {
        await this.#sleepUntilWoken(remaining);
        continue;
      }
      const inFlight = this.#runs.filter(
        (run) => run.state === 'running' || run.state === 'blocked' || run.state === 'parked',
      );
      if (inFlight.length === 0) break;
      if (stepped !== null && this.#stillStable(inFlight)) break;
      if (headStart > 0 && stepped !== null && stepped.state === 'running') {
        // Most statements finish within a round trip: give the one just
        // released that long before asking PostgreSQL whether it is blocked.
        // This only decides when to ask; what is recorded always comes from
        // the statement's result or from PostgreSQL's answer.
        const wait = headStart;
        headStart = 0;
        if (await this.#wokenWithin(wait)) continue;
      }
      const movedBefore = this.#moved;
      this.#moved = new Set();
      const asked = control.blockers(
        inFlight.map((run) => run.statementPid),
        // A statement not yet seen blocked: if it now is, its lock is described in the same round trip.
        inFlight.filter((run) => run.state === 'running').map((run) => run.statementPid),
      );
      // Most statements finish before the answer arrives: then the answer is
      // moot, and waiting for it would only add a round trip to every step.
      const answer = await Promise.race([asked, this.#wake.promise.then(() => null)]);
      if (answer === null) {
        asked.catch(() => {});
        // Unanswered: what moved before the question still has to be asked about.
        for (const id of movedBefore) this.#moved.add(id);
        continue;
      }
      const observed = answer.blockers;
      let moving = false;
      // First what PostgreSQL says of each statement, then which blocks are
      // stable: a block is stable only when no buyer it waits for is running,
      // directly or through another blocked buyer. Only stable states are
      // recorded, so a trace does not depend on how fast anything ran.
      const waits = new Map<number, number[]>();
      const running: number[] = this.#runs.filter((run) => run.state === 'thinking').map((run) => run.id);
      for (const run of inFlight) {
        // A statement may have finished while the question was on the wire.
        if (run.state !== 'running' && run.state !== 'blocked' && run.state !== 'parked') {
          moving = true;
          continue;
        }
        const pids = observed.get(run.statementPid) ?? [];
        if (pids.includes(control.barrierPid)) {
          if (run.state !== 'parked') await this.#park(run);
          continue;
        }
        const by = [
          ...new Set(pids.map((pid) => this.#buyerOf(pid)?.id).filter((id) => id !== undefined)),
        ].sort((a, b) => a - b);
        // No buyer in the way: running, or waiting only on an outside session (briefly).
        if (by.length === 0) running.push(run.id);
        else waits.set(run.id, by);
      }
      const unstable = unstableBuyers(waits, running);
      for (const run of inFlight) {
        if (run.state === 'parked' || !(run.state === 'running' || run.state === 'blocked')) continue;
        const by = waits.get(run.id);
        if (!by || unstable.has(run.id)) {
          run.state = 'running';
          moving = true;
          continue;
        }
        if (!run.wasBlocked || !sameIds(by, run.blockedBy)) {
          run.blockedBy = by;
          run.wasBlocked = true;
          this.#newBlocks.add(run);
          const described = answer.targets.has(run.statementPid)
            ? { target: answer.targets.get(run.statementPid) }
            : undefined;
          const lock = await control.lockTarget(run.statementPid, described);
          // The lock may have been granted (a deadlock's victim aborted) while
          // the question was on the wire: then this block is history, not state.
          if (run.state !== 'running' && run.state !== 'blocked') {
            moving = true;
            continue;
          }
          run.events.push({
            buyer: run.id,
            event: 'blocked',
            sql: run.sql ?? '',
            blockedBy: by,
            ...(lock ? { lock } : {}),
          });
          run.lockTarget = lock;
        }
        run.state = 'blocked';
      }
      if (moving) continue;
      // The awaits above (a lock's description, a barrier's label) let other
      // statements finish meanwhile: a buyer that went back to its own code
      // since PostgreSQL answered makes that answer stale. Ending the settle
      // then left no buyer ready ("no buyer can move"), once in 20 catalogue runs.
      if (this.#runs.some((run) => run.state === 'thinking' || run.state === 'running')) continue;
      this.#numberNewBlocks();
      const cycle = this.#deadlockCycle();
      if (cycle.length === 0) {
        if (!this.#last && overtaking(before, this.#waitGraph(), this.#waitingSince)) throw new RunAgain();
        break;
      }
      // The victim's error may arrive while the cancel is on the wire: wait on the wake-up taken before.
      const woken = this.#wake.promise;
      await this.#breakDeadlock(cycle);
      await this.#sleepUntilWoken(timeoutMs - (this.#now() - started), woken);
    }
    this.#flush(stepped);
  }

  /**
   * Whether every statement still in flight is known to wait where it was
   * last seen waiting, without asking PostgreSQL again. A row, table or
   * transaction lock is held until its transaction ends (or a savepoint rolls
   * back), so a waiter for one can only move when a buyer it waits for (or a
   * waiter ahead of it) ends a statement that may have freed locks (see
   * {@link mayHaveFreedLocks}); a statement that ends some other way (a
   * timeout, a cancel) says so by completing, which wakes the scheduler.
   * Advisory locks, which any function may release, are always asked about.
   */
  #stillStable(inFlight: readonly BuyerRun[]): boolean {
    if (!inFlight.every((run) => run.state === 'parked' || run.state === 'blocked')) return false;
    // A deadlock's victim was cancelled: its error, and the locks it frees, are on the way.
    if (inFlight.some((run) => run.deadlockVictimOf !== null)) return false;
    const blocked = inFlight.filter((run) => run.state === 'blocked');
    if (!blocked.every((run) => heldUntilTransactionEnd(run.lockTarget))) return false;
    const affected = unstableBuyers(this.#waitGraph(), this.#moved);
    return blocked.every((run) => !affected.has(run.id));
  }

  /**
   * Numbers the blocks recorded since the last stable state, in buyer order:
   * how soon each was seen is timing, and a deadlock's victim is chosen by
   * these numbers. A statement's first block also dates its wait.
   */
  #numberNewBlocks(): void {
    const fresh = [...this.#newBlocks].filter((run) => run.state === 'blocked').sort((a, b) => a.id - b.id);
    this.#newBlocks.clear();
    for (const run of fresh) {
      this.#blockSerial += 1;
      run.blockedSince = this.#blockSerial;
      if (!this.#waitingSince.has(run.id)) this.#waitingSince.set(run.id, this.#blockSerial);
    }
  }

  async #park(run: BuyerRun): Promise<void> {
    const label = await this.#options.control.barrierLabel(run.statementPid);
    run.state = 'parked';
    run.events.push({ buyer: run.id, event: 'paused', label, sql: run.sql ?? '' });
  }

  #parkedLabel(run: BuyerRun): string {
    for (let index = this.#trace.length - 1; index >= 0; index--) {
      const event = this.#trace[index]!;
      if (event.buyer === run.id && event.event === 'paused') return event.label;
    }
    return '';
  }

  /**
   * PostgreSQL breaks a deadlock when the first waiter's deadlock_timeout
   * fires, so its victim depends on timing once three or more buyers wait
   * (or the machine is loaded). oversold breaks it itself, at once and always
   * the same way: the buyer of the cycle that has waited longest (PostgreSQL's
   * choice when the waits began far enough apart) gets its statement
   * cancelled, and the buyer's code sees the 40P01 error PostgreSQL would
   * have raised. The trace marks the failure with the cycle.
   */
  async #breakDeadlock(cycle: BuyerRun[]): Promise<void> {
    const victim = cycle.reduce((oldest, run) => (run.blockedSince < oldest.blockedSince ? run : oldest));
    if (victim.deadlockVictimOf) return; // already cancelled; its error is on the way
    victim.deadlockVictimOf = cycle.map((run) => run.id).sort((a, b) => a - b);
    await this.#options.control.cancel(victim.statementPid);
  }

  #waitGraph(): Map<number, number[]> {
    return new Map(this.#runs.filter((run) => run.state === 'blocked').map((run) => [run.id, run.blockedBy]));
  }

  #deadlockCycle(): BuyerRun[] {
    const blocked = this.#runs.filter((run) => run.state === 'blocked');
    const cycle = waitCycle(new Map(blocked.map((run) => [run.id, run.blockedBy])));
    return blocked.filter((run) => cycle.includes(run.id));
  }

  /** Whether anything happened within `ms` (a statement finished, a step arrived). */
  async #wokenWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const woken = await Promise.race([this.#wake.promise.then(() => true as const), expired]);
    clearTimeout(timer);
    return woken;
  }

  async #sleepUntilWoken(remainingMs: number, wake = this.#wake.promise): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // The timer is the --timeout guard for a hung buyer, not a guess at progress.
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), Math.max(remainingMs, 0));
    });
    const outcome = await Promise.race([wake, expired]);
    clearTimeout(timer);
    if (outcome === 'expired') throw this.#hang(this.#options.timeoutMs);
  }

  #wakeUp(): void {
    const previous = this.#wake;
    this.#wake = deferred();
    previous.resolve();
  }

  /** Appends this settle's events: the released buyer's first, then the others by id. */
  #flush(stepped: BuyerRun | null): void {
    const order = stepped ? [stepped, ...this.#runs.filter((run) => run !== stepped)] : this.#runs;
    for (const run of order) {
      this.#trace.push(...run.events);
      run.events = [];
    }
    const mistake = this.#runs.find((run) => run.gate.mistake !== null)?.gate.mistake;
    if (mistake) throw new StrategyMistakeError(mistake);
  }

  #hang(timeoutMs: number): HangError {
    return hangError(this.#runs, this.#deadlockCycle(), timeoutMs);
  }

  #stuck(): Error {
    return stuckError(this.#runs);
  }

  /** The buyer a backend acts for: its session, or one of its own connections (a wire buyer's). */
  #buyerOf(pid: number): BuyerRun | undefined {
    return this.#runs.find((run) => run.plan.session.pid === pid || run.gate.pids.has(pid));
  }

  async #checkTransactionsClosed(): Promise<void> {
    // Sessions whose driver does not tell, and every connection a wire buyer opened, are asked about.
    const unknown = this.#runs.flatMap((run) => [
      ...(run.plan.session.inTransaction() === undefined ? [run.plan.session.pid] : []),
      ...run.gate.pids,
    ]);
    const open = await this.#options.control.idleInTransaction(unknown);
    const run = this.#runs.find(
      (candidate) =>
        candidate.plan.session.inTransaction() === true || candidate.pids().some((pid) => open.includes(pid)),
    );
    if (run) throw openTransactionError(run);
  }

  #abort(): void {
    this.#aborted = true;
    for (const run of this.#runs) run.gate.close('the run was abandoned (another buyer failed or hung)');
  }

  #abandon(): void {
    this.#aborted = true;
    for (const run of this.#runs) run.gate.abandon();
  }
}

const QUERY_CANCELED = '57014';

/**
 * Whether a statement that just ended may have freed locks others wait for:
 * it failed (an aborted transaction releases its locks at once), its
 * transaction ended (autocommit, COMMIT, ROLLBACK, a procedure's own commit),
 * it ran on a connection whose state is unknown (a wire buyer's), or its text
 * rolls back to a savepoint, chains a transaction or unlocks.
 */
function mayHaveFreedLocks(run: BuyerRun, sql: string, error: unknown): boolean {
  if (error) return true;
  if (run.statementPid !== run.plan.session.pid) return true;
  if (run.plan.session.inTransaction() !== true) return true;
  return /\b(rollback|commit)\b|unlock/i.test(sql);
}

/** A lock only its holder's transaction end (or savepoint rollback) frees, by its description. */
function heldUntilTransactionEnd(target: string | undefined): boolean {
  if (target === undefined || target.startsWith('advisory lock')) return false;
  return (
    / row( \(|$)/.test(target) || target.startsWith('table ') || target.startsWith('another transaction')
  );
}

function describeState(run: BuyerRun): string {
  switch (run.state) {
    case 'blocked':
      return `is blocked by buyer ${run.blockedBy.join(', ')} (${run.sql ?? ''})`;
    case 'finished':
      return 'has finished';
    case 'parked':
      return 'is parked at a barrier';
    case 'ready':
      return 'is ready';
    default:
      return 'is still running';
  }
}

function deadlockError(victim: number, cycle: readonly number[]): StatementError {
  return new StatementError('deadlock detected', '40P01', {
    detail: `oversold broke a deadlock among buyers ${cycle.join(', ')} by cancelling buyer ${victim}'s statement, the one that had waited longest, as PostgreSQL's deadlock detector would`,
  });
}

/** What a buyer threw, in words, even when it threw something that is not an Error. */
function thrownMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error === null || error === undefined) return `purchase() threw ${String(error)}`;
  if (typeof error === 'object') {
    try {
      return `purchase() threw ${JSON.stringify(error)}`;
    } catch {
      return `purchase() threw ${Object.prototype.toString.call(error)}`;
    }
  }
  return String(error);
}

function withSite<T extends TraceEvent>(event: T, step: Step): T {
  return step.at ? { ...event, at: step.at } : event;
}
