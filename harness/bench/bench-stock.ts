import type { SqlSession } from '../engine/sql-session.ts';
import { EVENT_ID, ticketsScenario } from '../scenarios/tickets-scenario.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';

/** Events for the ceiling: buyer i (0-based) buys from OWN_EVENT_BASE + i + 1. */
export const OWN_EVENT_BASE = 1000;

/**
 * Puts the stock in place before a phase: no tickets, the hot event (and, for
 * the ceiling, one event per buyer) at full stock, and the strategy's setup()
 * run for every event that will be bought from. Then VACUUM, so that one
 * level's dead rows do not slow the next.
 */
export async function stockEvents(
  control: SqlSession,
  strategy: LoadedStrategy,
  schema: string,
  plan: { readonly hot: number; readonly own?: { readonly buyers: number; readonly each: number } },
): Promise<void> {
  await ticketsScenario.seed(control, { capacity: plan.hot, buyers: [] });
  const events: { eventId: number; capacity: number }[] = [{ eventId: EVENT_ID, capacity: plan.hot }];
  if (plan.own) {
    await control.query(
      `INSERT INTO events (event_id, capacity, remaining)
       SELECT $1::int + i, $2::int, $2::int FROM generate_series(1, $3::int) AS i
       ON CONFLICT (event_id) DO UPDATE SET capacity = EXCLUDED.capacity, remaining = EXCLUDED.remaining`,
      [OWN_EVENT_BASE, plan.own.each, plan.own.buyers],
    );
    for (let buyer = 1; buyer <= plan.own.buyers; buyer++) {
      events.push({ eventId: OWN_EVENT_BASE + buyer, capacity: plan.own.each });
    }
  }
  if (strategy.setup) {
    const db = { query: (text: string, params?: readonly unknown[]) => control.query(text, params ?? []) };
    for (const context of events) await strategy.setup(db as never, context);
  }
  const tables = await control.query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [schema]);
  const names = tables.rows.map((row) => `${schema}.${quoteIdent(String(row.tablename))}`);
  if (names.length > 0) await control.query(`VACUUM (ANALYZE) ${names.join(', ')}`);
}

/** Units sold for one event: the sum of its tickets (never `remaining`, which a strategy may clamp). */
export async function unitsSold(control: SqlSession, eventId: number): Promise<number> {
  const result = await control.query(
    'SELECT coalesce(sum(quantity), 0)::int AS sold FROM tickets WHERE event_id = $1',
    [eventId],
  );
  return Number(result.rows[0]?.sold ?? 0);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
