import fc from 'fast-check';
import type { BuyerDb } from '../engine/buyer-gate.ts';
import type { TicketRequest } from '../scenarios/tickets-scenario.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';

/**
 * Small purchase programs for the tickets scenario, generated to test the
 * explorer's reduction against brute force: every buyer runs the same list
 * of steps against `events(event_id, capacity, remaining)` and `tickets`.
 */
export type TinyStep =
  | { readonly kind: 'begin'; readonly isolation: Isolation | null }
  | { readonly kind: 'read' }
  | { readonly kind: 'locking-read'; readonly mode: LockMode }
  | { readonly kind: 'guarded-write'; readonly stopWhenNone: boolean }
  | { readonly kind: 'decrement' }
  | { readonly kind: 'write-read-value' }
  | { readonly kind: 'insert-ticket' }
  | { readonly kind: 'count-tickets' }
  | { readonly kind: 'pause' }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'check' };

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';
export type LockMode = 'update' | 'no key update' | 'share';

/** A program: its steps, printed as one line when fast-check reports a counterexample. */
export class TinyProgram {
  readonly steps: readonly TinyStep[];

  constructor(steps: readonly TinyStep[]) {
    this.steps = steps;
  }

  /** One line, e.g. `BEGIN; SELECT remaining; if read < q: ROLLBACK, sold-out; UPDATE remaining = read - q`. */
  toString(): string {
    return this.steps.map(describeStep).join('; ');
  }

  [fc.toStringMethod](): string {
    return `«${this.toString()}»`;
  }
}

const isolationArbitrary: fc.Arbitrary<Isolation | null> = fc.constantFrom(
  null,
  'read committed',
  'repeatable read',
  'serializable',
);

/** Steps inside a program: reads, writes, decisions, and now and then a transaction boundary. */
const bodyStepArbitrary: fc.Arbitrary<TinyStep> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'read' as const }), weight: 4 },
  {
    arbitrary: fc
      .constantFrom<LockMode>('update', 'no key update', 'share')
      .map((mode) => ({ kind: 'locking-read' as const, mode })),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: 'check' as const }), weight: 3 },
  {
    arbitrary: fc.boolean().map((stopWhenNone) => ({ kind: 'guarded-write' as const, stopWhenNone })),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: 'decrement' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'write-read-value' as const }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'insert-ticket' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'count-tickets' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'pause' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'commit' as const }), weight: 1 },
  {
    arbitrary: isolationArbitrary.map((isolation) => ({ kind: 'begin' as const, isolation })),
    weight: 1,
  },
);

/**
 * Programs of `minSteps`..`maxSteps` steps: most open a transaction, then
 * read, decide and write, then commit, roll back or just stop (an open
 * transaction is committed at the end). A step that needs a value read
 * earlier (a check, a write of the read value minus q) is dropped when no
 * read comes before it, so every program runs as written.
 */
export function tinyProgramArbitrary(minSteps: number, maxSteps: number): fc.Arbitrary<TinyProgram> {
  return fc
    .record({
      // One program in three runs in autocommit from the start.
      begin: fc.option(isolationArbitrary, { nil: undefined, freq: 3 }),
      body: fc.array(bodyStepArbitrary, { minLength: 1, maxLength: maxSteps }),
      end: fc.constantFrom<'commit' | 'rollback' | 'none'>('none', 'commit', 'rollback'),
    })
    .map(({ begin, body, end }) => {
      const steps: TinyStep[] = [
        ...(begin !== undefined ? [{ kind: 'begin' as const, isolation: begin }] : []),
        ...body,
        ...(end === 'none' ? [] : [{ kind: end }]),
      ];
      return new TinyProgram(withReadsFirst(steps));
    })
    .filter((program) => program.steps.length >= minSteps && program.steps.length <= maxSteps);
}

function withReadsFirst(steps: readonly TinyStep[]): TinyStep[] {
  let read = false;
  return steps.filter((step) => {
    if (step.kind === 'read' || step.kind === 'locking-read') read = true;
    return read || (step.kind !== 'check' && step.kind !== 'write-read-value');
  });
}

function describeStep(step: TinyStep): string {
  switch (step.kind) {
    case 'begin':
      return step.isolation ? `BEGIN ISOLATION LEVEL ${step.isolation.toUpperCase()}` : 'BEGIN';
    case 'read':
      return 'SELECT remaining';
    case 'locking-read':
      return `SELECT remaining FOR ${step.mode.toUpperCase()}`;
    case 'guarded-write':
      return `UPDATE remaining - q WHERE remaining >= q${step.stopWhenNone ? ' (0 rows: stop, sold-out)' : ''}`;
    case 'decrement':
      return 'UPDATE remaining - q';
    case 'write-read-value':
      return 'UPDATE remaining = read - q';
    case 'insert-ticket':
      return 'INSERT ticket';
    case 'count-tickets':
      return 'SELECT count(*) FROM tickets';
    case 'pause':
      return 'pause';
    case 'commit':
      return 'COMMIT';
    case 'rollback':
      return 'ROLLBACK';
    case 'check':
      return 'if read < q: ROLLBACK, sold-out';
  }
}

/** Hears what each statement of a buyer answered: a read's value, a row count, or `!SQLSTATE`. */
export type Observer = (buyerId: number, answer: string) => void;

/**
 * The program as a strategy object, as explore takes one. Each buyer tracks
 * whether it opened a transaction, commits one left open at the end, and on
 * an error rolls back before rethrowing, so no run ends inside a transaction.
 * `observe` hears every answer, in order: equivalent interleavings give every
 * buyer the same answers, so a sound reduction keeps the set of them.
 */
export function tinyStrategy(program: TinyProgram, observe: Observer = () => {}): LoadedStrategy {
  return {
    name: 'tiny-program',
    description: program.toString(),
    file: '(generated program)',
    scenario: 'tickets',
    expect: {},
    installSql: undefined,
    setup: undefined,
    purchase: (db, request) => {
      const { buyerId } = request as TicketRequest;
      return runProgram(
        program.steps,
        observed(db, (answer) => observe(buyerId, answer)),
        request as TicketRequest,
      );
    },
  };
}

/** `db` whose every statement's answer is also told to `hear`. */
function observed(db: BuyerDb, hear: (answer: string) => void): BuyerDb {
  return {
    async query(text, params) {
      try {
        const result = await db.query(text, params);
        const first = result.rows[0];
        hear(first ? Object.values(first).join(',') : String(result.rowCount ?? '-'));
        return result as never;
      } catch (error) {
        hear(`!${(error as { code?: string }).code ?? 'error'}`);
        throw error;
      }
    },
    pause: (label) => db.pause(label),
  };
}

async function runProgram(
  steps: readonly TinyStep[],
  db: BuyerDb,
  { eventId, buyerId, quantity }: TicketRequest,
): Promise<'purchased' | 'sold-out'> {
  let inTransaction = false;
  let read: number | null = null;
  const stop = async (): Promise<'sold-out'> => {
    if (inTransaction) await db.query('ROLLBACK');
    inTransaction = false;
    return 'sold-out';
  };
  try {
    for (const step of steps) {
      switch (step.kind) {
        case 'begin':
          await db.query(step.isolation ? `BEGIN ISOLATION LEVEL ${step.isolation.toUpperCase()}` : 'BEGIN');
          inTransaction = true;
          break;
        case 'read':
        case 'locking-read': {
          const lock = step.kind === 'locking-read' ? ` FOR ${step.mode.toUpperCase()}` : '';
          const { rows } = await db.query<{ remaining: number }>(
            `SELECT remaining FROM events WHERE event_id = $1${lock}`,
            [eventId],
          );
          read = rows[0]?.remaining ?? null;
          break;
        }
        case 'guarded-write': {
          const { rowCount } = await db.query(
            'UPDATE events SET remaining = remaining - $2 WHERE event_id = $1 AND remaining >= $2',
            [eventId, quantity],
          );
          if (step.stopWhenNone && rowCount === 0) return await stop();
          break;
        }
        case 'decrement':
          await db.query('UPDATE events SET remaining = remaining - $2 WHERE event_id = $1', [
            eventId,
            quantity,
          ]);
          break;
        case 'write-read-value':
          await db.query('UPDATE events SET remaining = $2 WHERE event_id = $1', [
            eventId,
            (read ?? 0) - quantity,
          ]);
          break;
        case 'insert-ticket':
          await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [
            eventId,
            buyerId,
            quantity,
          ]);
          break;
        case 'count-tickets':
          await db.query('SELECT count(*)::int AS sold FROM tickets WHERE event_id = $1', [eventId]);
          break;
        case 'pause':
          await db.pause('between steps');
          break;
        case 'commit':
          await db.query('COMMIT');
          inTransaction = false;
          break;
        case 'rollback':
          await db.query('ROLLBACK');
          inTransaction = false;
          break;
        case 'check':
          if (read !== null && read < quantity) return await stop();
          break;
      }
    }
    if (inTransaction) await db.query('COMMIT');
    return 'purchased';
  } catch (error) {
    // An error leaves the transaction aborted: end it, so the run can finish, and report the error.
    if (inTransaction) await db.query('ROLLBACK');
    throw error;
  }
}
