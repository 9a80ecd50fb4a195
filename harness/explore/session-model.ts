import type { Step } from '../engine/interleaving.ts';
import { isLockingRead, isPlainRead } from './plain-read.ts';
import { classifyStep, isTransactionStart, normalise, transactionBlockAfter } from './step-class.ts';

/** What explore asks the server once, before a search; it holds for every buyer session. */
export interface SessionFacts {
  /** Base tables without row-level security that a buyer's unqualified table names resolve to. */
  readonly tables: ReadonlySet<string>;
  /** A buyer session's `default_transaction_isolation`, e.g. `read committed`. */
  readonly defaultIsolation: string;
}

/**
 * How a step relates to other buyers' steps:
 * - `local`: independent of every step (see classifyStep);
 * - `read`: a plain read outside SERIALIZABLE, independent of other buyers' plain reads;
 * - `shared`: dependent with every step that is not local.
 */
export type Dependence = 'local' | 'read' | 'shared';

/** Whether steps of two different buyers commute: swapping them changes nothing PostgreSQL does or answers. */
export function independent(a: Dependence, b: Dependence): boolean {
  return a === 'local' || b === 'local' || (a === 'read' && b === 'read');
}

/**
 * One buyer's session as its own statements shape it: whether a transaction
 * block is open, at which isolation level, and whether the buyer has run
 * anything that may have changed what its table names or its next
 * transaction's isolation mean. From then on ("tainted") none of its steps
 * counts as a plain read: a write may fire a trigger, a function may call
 * set_config, a `SET` may change search_path or the default isolation.
 * Without facts (null) only local steps are told apart from shared ones.
 */
export class SessionModel {
  readonly #facts: SessionFacts | null;
  #inBlock = false;
  /** The open block's isolation level when its BEGIN or SET TRANSACTION named one. */
  #blockIsolation: string | null = null;
  #tainted = false;
  /** Inside a transaction block for sure (unlike the block classifyStep uses, unsure means outside). */
  #surelyInBlock = false;

  constructor(facts: SessionFacts | null) {
    this.#facts = facts;
  }

  /** What releasing `step` (null: a buyer parked at a barrier inside SQL) would be. */
  classify(step: Step | null): Dependence {
    if (classifyStep(step, this.#inBlock) === 'local') return 'local';
    const query = this.#readable(step);
    return query !== null && isPlainRead(query.text, query.tables) ? 'read' : 'shared';
  }

  /**
   * Whether `step` is a locking read outside SERIALIZABLE (see plain-read.ts):
   * if it blocks, it waits without having changed anything another statement
   * sees, so it commutes with other buyers' steps that keep their locks
   * (see {@link keepsLocks}) and complete without blocking or waking anyone.
   */
  isBlockingReadCandidate(step: Step | null): boolean {
    const query = this.#readable(step);
    return query !== null && isLockingRead(query.text, query.tables);
  }

  /**
   * `step`'s text and the tables whose reads may commute, or null: only a
   * query of an untainted session outside SERIALIZABLE (there the order of
   * two reads can decide which transaction gets the serialization failure).
   */
  #readable(step: Step | null): { text: string; tables: ReadonlySet<string> } | null {
    if (this.#facts === null || this.#tainted || step === null || step.kind !== 'query') return null;
    const isolation = (this.#inBlock ? this.#blockIsolation : null) ?? this.#facts.defaultIsolation;
    return isolation === 'serializable' ? null : { text: step.text, tables: this.#facts.tables };
  }

  /**
   * Whether `step` is a SELECT, INSERT, UPDATE or DELETE sent inside a
   * transaction block for sure: it cannot commit (so a statement that waits
   * meanwhile sees nothing new of it when it resumes) and cannot end the
   * transaction whose locks another buyer waits for.
   */
  keepsLocks(step: Step | null): boolean {
    if (!this.#surelyInBlock || step === null || step.kind !== 'query') return false;
    const sql = normalise(step.text);
    return sql !== null && /^(select|insert|update|delete) /.test(sql);
  }

  /** Takes `step` as sent by this buyer. */
  advance(step: Step | null): void {
    if (step !== null && step.kind !== 'pause') this.#advanceStatement(step);
    this.#inBlock = transactionBlockAfter(step, this.#inBlock);
  }

  #advanceStatement(step: Exclude<Step, { kind: 'pause' }>): void {
    const sql = step.kind === 'query' ? normalise(step.text) : null;
    if (sql === null) {
      this.#tainted = true;
      this.#surelyInBlock = false;
      return;
    }
    if (isTransactionStart(sql)) {
      // A BEGIN inside a block is only a warning: the block keeps its level.
      if (!this.#inBlock) this.#blockIsolation = isolationNamed(sql);
      this.#surelyInBlock = true;
      return;
    }
    if (/^(commit|end|rollback|abort)( work| transaction)?$/.test(sql)) {
      this.#blockIsolation = null;
      this.#surelyInBlock = false;
      return;
    }
    if (/^(commit|end|rollback|abort)( work| transaction)? and chain$/.test(sql)) return;
    // A procedure may commit; a prepared transaction leaves the session.
    if (/^(call|do|prepare transaction|commit prepared|rollback prepared) /.test(sql))
      this.#surelyInBlock = false;
    if (/^set transaction isolation level /.test(sql)) {
      if (this.#inBlock) this.#blockIsolation = isolationNamed(sql);
      return;
    }
    if (/^show /.test(sql)) return;
    if (classifyStep(step, this.#inBlock) === 'local' && !/^(set|reset) /.test(sql)) return;
    // Reads of base tables without row-level security run no code of the user's.
    if (
      this.#facts !== null &&
      (isPlainRead(sql, this.#facts.tables) || isLockingRead(sql, this.#facts.tables))
    )
      return;
    this.#tainted = true;
  }
}

/** The isolation level a BEGIN or SET TRANSACTION names, as `default_transaction_isolation` spells it. */
function isolationNamed(sql: string): string | null {
  const level = /isolation level (serializable|repeatable read|read committed|read uncommitted)/.exec(
    sql,
  )?.[1];
  // PostgreSQL runs READ UNCOMMITTED as READ COMMITTED.
  return level === 'read uncommitted' ? 'read committed' : (level ?? null);
}
