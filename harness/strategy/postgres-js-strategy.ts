import type { PropertyName } from '../../properties/property-names.ts';
import type { TicketRequest } from '../scenarios/tickets-scenario.ts';
import type { PostgresJsSql } from './postgres-js-facade.ts';
import type { PurchaseOutcome } from './strategy.ts';

/**
 * A purchase implementation written against postgres.js: it declares
 * `driver: 'postgres'` and receives a postgres.js-style `sql` instead of `db`.
 */
export interface PostgresJsStrategy<
  Request = TicketRequest,
  Context = { eventId: number; capacity: number },
> {
  readonly driver: 'postgres';
  /** Defaults to the file name. */
  readonly name?: string;
  readonly description?: string;
  /** `tickets` (default), `inventory`, or a scenario module's path relative to the strategy file. */
  readonly scenario?: string;
  /** Verdicts this strategy is known to get, e.g. `{ 'no-oversell': false }`. */
  readonly expect?: Partial<Record<PropertyName, boolean>>;
  /** Before every run, not scheduled. */
  setup?(sql: PostgresJsSql, context: Context): Promise<void>;
  purchase(sql: PostgresJsSql, request: Request): Promise<PurchaseOutcome>;
}

/** Identity function that gives a postgres.js strategy object its types. */
export function definePostgresJsStrategy<
  Request = TicketRequest,
  Context = { eventId: number; capacity: number },
>(strategy: PostgresJsStrategy<Request, Context>): PostgresJsStrategy<Request, Context> {
  return strategy;
}
