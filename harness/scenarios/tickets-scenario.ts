import { ticketCaseArbitrary } from '../../properties/case-arbitrary.ts';
import type { SqlSession } from '../engine/sql-session.ts';
import type { Measurement, Scenario } from './scenario.ts';

export interface TicketCase {
  readonly capacity: number;
  readonly buyers: readonly { readonly id: number; readonly quantity: number }[];
}

export interface TicketRequest {
  readonly eventId: number;
  readonly buyerId: number;
  readonly quantity: number;
}

/** The event under test, and one that no buyer asks for (it must not change). */
export const EVENT_ID = 101;
export const DECOY_EVENT_ID = 102;
const DECOY_CAPACITY = 100;

const schemaSql = `
CREATE TABLE events (
  event_id  int PRIMARY KEY,
  capacity  int NOT NULL,
  remaining int NOT NULL
);
CREATE TABLE tickets (
  ticket_id bigserial PRIMARY KEY,
  event_id  int NOT NULL REFERENCES events,
  buyer_id  int NOT NULL,
  quantity  int NOT NULL DEFAULT 1
);
INSERT INTO events VALUES (${EVENT_ID}, 1, 1), (${DECOY_EVENT_ID}, ${DECOY_CAPACITY}, ${DECOY_CAPACITY});
`;

export const ticketsScenario: Scenario<TicketCase, TicketRequest> = {
  name: 'tickets',
  schemaSql,
  sqlSignature: 'purchase(p_event_id int, p_buyer_id int, p_quantity int) RETURNS text',
  sqlProcedure: 'purchase(int,int,int)',

  async seed(session: SqlSession, kase: TicketCase): Promise<void> {
    // One prepared statement: planned once, one round trip per run.
    await session.query(`WITH ${seedSql} SELECT ${seedDoneSql}`, seedParams(kase), {
      prepare: 'oversold_seed_tickets',
    });
  },

  request(kase, buyerId) {
    return { eventId: EVENT_ID, buyerId, quantity: quantityOf(kase, buyerId) };
  },

  setupContext(kase) {
    return { eventId: EVENT_ID, capacity: kase.capacity };
  },

  wants(kase, buyerId) {
    return new Map([[String(EVENT_ID), quantityOf(kase, buyerId)]]);
  },

  async measure(session: SqlSession, kase: TicketCase): Promise<Measurement> {
    const result = await session.query(`SELECT ${measureSql('$1', '$2')}`, [EVENT_ID, DECOY_EVENT_ID], {
      prepare: 'oversold_measure_tickets',
    });
    return measurementOf(result.rows[0]!, kase);
  },

  async measureAndSeed(session: SqlSession, kase: TicketCase): Promise<Measurement> {
    // The WITH parts and the SELECT share one snapshot: the SELECT measures
    // what the run left, not what the seed puts back.
    const result = await session.query(
      `WITH ${seedSql} SELECT ${measureSql('$1', '$3')}, ${seedDoneSql}`,
      seedParams(kase),
      { prepare: 'oversold_measure_seed_tickets' },
    );
    return measurementOf(result.rows[0]!, kase);
  },

  sqlCall(request) {
    return {
      text: 'SELECT purchase($1, $2, $3) AS outcome',
      params: [request.eventId, request.buyerId, request.quantity],
    };
  },

  caseArbitrary: ticketCaseArbitrary,

  replayCase({ capacity, buyers, quantities }) {
    return {
      capacity,
      buyers: Array.from({ length: buyers }, (_, index) => ({
        id: index + 1,
        quantity: quantities[index] ?? quantities[0] ?? 1,
      })),
    };
  },

  replayArgs(kase) {
    const quantities = kase.buyers.map((buyer) => buyer.quantity);
    const args = ['--capacity', String(kase.capacity), '--buyers', String(kase.buyers.length)];
    if (quantities.some((quantity) => quantity !== 1)) {
      const same = quantities.every((quantity) => quantity === quantities[0]);
      args.push('--quantity', same ? String(quantities[0]) : quantities.join(','));
    }
    return args;
  },

  describe(kase) {
    const wants = kase.buyers.map((buyer) => `buyer ${buyer.id} wants ${buyer.quantity}`).join(', ');
    return `capacity ${kase.capacity}; ${wants}`;
  },
};

/**
 * Puts the tables back in the case's initial state, as WITH parts of one
 * statement ($1 the event, $2 its capacity, $3 the decoy, $4 its capacity).
 * Same starting state every run, ticket ids included, so traces repeat
 * exactly. Upsert rather than delete: a strategy's own tables may reference events.
 */
const seedSql = `gone AS (DELETE FROM tickets RETURNING 1),
  restart AS (SELECT setval(pg_get_serial_sequence('tickets', 'ticket_id'), 1, false) AS value),
  stock AS (
    INSERT INTO events VALUES ($1, $2, $2), ($3, $4, $4)
    ON CONFLICT (event_id) DO UPDATE SET capacity = EXCLUDED.capacity, remaining = EXCLUDED.remaining
    RETURNING 1)`;

/** Refers to every part of {@link seedSql}: a WITH query that is not referred to does not run. */
const seedDoneSql = `(SELECT count(*) FROM gone) AS deleted, (SELECT value FROM restart) AS restarted,
  (SELECT count(*) FROM stock) AS stocked`;

/** What a run left: the columns {@link measurementOf} reads, given the parameters of the event and the decoy. */
function measureSql(event: string, decoy: string): string {
  return `(SELECT coalesce(sum(quantity), 0)::int FROM tickets WHERE event_id = ${event}) AS sold,
    (SELECT coalesce(json_object_agg(buyer_id, units), '{}') FROM
       (SELECT buyer_id, sum(quantity)::int AS units FROM tickets WHERE event_id = ${event} GROUP BY buyer_id) AS held) AS holdings,
    (SELECT coalesce(sum(quantity), 0)::int FROM tickets WHERE event_id <> ${event}) AS stray_units,
    (SELECT remaining FROM events WHERE event_id = ${decoy}) AS decoy_remaining,
    (SELECT capacity FROM events WHERE event_id = ${decoy}) AS decoy_capacity`;
}

function seedParams(kase: TicketCase): number[] {
  return [EVENT_ID, kase.capacity, DECOY_EVENT_ID, DECOY_CAPACITY];
}

function measurementOf(row: Record<string, unknown>, kase: TicketCase): Measurement {
  const holdings = new Map<number, Map<string, number>>();
  for (const [buyer, units] of Object.entries(row.holdings as Record<string, number>)) {
    holdings.set(Number(buyer), new Map([[String(EVENT_ID), units]]));
  }
  const strayChanges: string[] = [];
  if ((row.stray_units as number) > 0) {
    strayChanges.push(
      `${row.stray_units} unit(s) were sold for event ${DECOY_EVENT_ID}, which no buyer asked for`,
    );
  }
  if (row.decoy_remaining !== DECOY_CAPACITY || row.decoy_capacity !== DECOY_CAPACITY) {
    strayChanges.push(
      `event ${DECOY_EVENT_ID}, which no buyer asked for, changed (remaining ${String(row.decoy_remaining)} of ${DECOY_CAPACITY})`,
    );
  }
  return {
    stock: [{ key: String(EVENT_ID), capacity: kase.capacity, sold: row.sold as number }],
    holdings,
    strayChanges,
  };
}

function quantityOf(kase: TicketCase, buyerId: number): number {
  return kase.buyers.find((buyer) => buyer.id === buyerId)?.quantity ?? 1;
}
