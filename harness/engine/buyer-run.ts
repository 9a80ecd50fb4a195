import type { BuyerDb } from './buyer-gate.ts';
import { BuyerGate } from './buyer-gate.ts';
import type { SqlSession } from './sql-session.ts';
import type { BuyerOutcome, TraceEvent } from './trace.ts';

/** One buyer of one interleaving: its session and the code it runs. */
export interface BuyerPlan {
  readonly id: number;
  readonly session: SqlSession;
  /** The buyer session's barrier slot (its `oversold.slot` setting). */
  readonly slot: number;
  readonly purchase: (db: BuyerDb) => Promise<unknown>;
}

/** Where a buyer is: running its own code, held at the gate, inside PostgreSQL, or done. */
export type BuyerState = 'thinking' | 'ready' | 'running' | 'blocked' | 'parked' | 'finished';

/** One buyer's state during one interleaving. */
export class BuyerRun {
  readonly plan: BuyerPlan;
  readonly gate: BuyerGate;
  state: BuyerState = 'thinking';
  /** The statement PostgreSQL is working on, while running, blocked or parked. */
  sql: string | null = null;
  /** The backend running that statement: the buyer's session, or a wire buyer's own connection. */
  statementPid = 0;
  blockedBy: number[] = [];
  /** What the statement was last recorded waiting for (ControlSession.lockTarget), while blocked. */
  lockTarget: string | undefined = undefined;
  /** The statement was blocked since it was sent: its completion is a resumption. */
  wasBlocked = false;
  /** Order in which this buyer's current block was recorded (smaller: waiting longer). */
  blockedSince = 0;
  /** The deadlock cycle this buyer's statement was cancelled to break, until its error arrives. */
  deadlockVictimOf: number[] | null = null;
  /** Which barrier lock of this slot the control session holds now. */
  barrierHeld = 1;
  outcome: BuyerOutcome | null = null;
  /** Events of the current settle, flushed in a fixed order afterwards. */
  events: TraceEvent[] = [];

  constructor(plan: BuyerPlan, wake: () => void) {
    this.plan = plan;
    this.statementPid = plan.session.pid;
    this.gate = new BuyerGate(plan.id, wake);
  }

  get id(): number {
    return this.plan.id;
  }

  /** Every backend that acts for this buyer: its session and any connections of its own. */
  pids(): number[] {
    return [this.plan.session.pid, ...this.gate.pids];
  }
}
