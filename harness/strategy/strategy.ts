import type { PropertyName } from '../../properties/property-names.ts';
import type { BuyerDb } from '../engine/buyer-gate.ts';
import type { BuyerSite } from '../engine/run-case.ts';
import type { TicketRequest } from '../scenarios/tickets-scenario.ts';

/** An unscheduled session for setup(): runs before every interleaving. */
export interface SetupDb {
  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;
}

export type PurchaseOutcome = 'purchased' | 'sold-out';

/** A purchase implementation under test (the default export of a strategy module). */
export interface Strategy<Request = TicketRequest, Context = { eventId: number; capacity: number }> {
  /** Defaults to the file name. */
  readonly name?: string;
  readonly description?: string;
  /** `tickets` (default) or `inventory`. */
  readonly scenario?: string;
  /** Verdicts this strategy is known to get, e.g. `{ 'no-oversell': false }`. */
  readonly expect?: Partial<Record<PropertyName, boolean>>;
  setup?(db: SetupDb, context: Context): Promise<void>;
  purchase(db: BuyerDb, request: Request): Promise<PurchaseOutcome>;
}

/** Identity function that gives a strategy object its types. */
export function defineStrategy<Request = TicketRequest, Context = { eventId: number; capacity: number }>(
  strategy: Strategy<Request, Context>,
): Strategy<Request, Context> {
  return strategy;
}

/** A strategy ready to run: from a module, a SQL file, or an object given in code. */
export interface LoadedStrategy {
  readonly name: string;
  readonly description: string | undefined;
  /** Path as the user gave it (relative when under the working directory). */
  readonly file: string;
  readonly scenario: string;
  readonly expect: Partial<Record<PropertyName, boolean>>;
  /** SQL run once in the strategy's schema (a `.sql` strategy's file). */
  readonly installSql: string | undefined;
  readonly setup: ((db: SetupDb, context: Record<string, unknown>) => Promise<void>) | undefined;
  /** `site` says which buyer of which workspace runs: a wire strategy opens that buyer's gate there. */
  readonly purchase: (db: BuyerDb, request: unknown, site?: BuyerSite) => Promise<unknown>;
}
