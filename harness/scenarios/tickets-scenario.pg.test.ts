import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestLab } from '../../test/support/test-lab.ts';
import type { Lab } from '../engine/lab.ts';
import { Workspace } from '../engine/workspace.ts';
import { DECOY_EVENT_ID, EVENT_ID, type TicketCase, ticketsScenario } from './tickets-scenario.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

const kase: TicketCase = {
  capacity: 2,
  buyers: [
    { id: 1, quantity: 1 },
    { id: 2, quantity: 2 },
  ],
};

describe('tickets scenario on real PostgreSQL', () => {
  it('measureAndSeed measures what a run left, as measure does, and leaves the tables as seed does', async () => {
    await using workspace = await Workspace.open(lab, 'tickets-measure-seed', ticketsScenario);
    const control = workspace.control.session;
    await ticketsScenario.seed(control, kase);
    // What a bad run leaves: an oversell, a buyer holding two tickets, a sale of the decoy.
    await control.query(
      `INSERT INTO tickets (event_id, buyer_id, quantity)
         VALUES (${EVENT_ID}, 1, 1), (${EVENT_ID}, 2, 2), (${EVENT_ID}, 1, 1), (${DECOY_EVENT_ID}, 2, 1);
       UPDATE events SET remaining = remaining - 1 WHERE event_id = ${DECOY_EVENT_ID}`,
    );
    const measured = await ticketsScenario.measure(control, kase);
    expect(measured.stock).toEqual([{ key: String(EVENT_ID), capacity: 2, sold: 4 }]);
    expect(measured.strayChanges).toHaveLength(2);

    expect(await ticketsScenario.measureAndSeed!(control, kase)).toEqual(measured);

    const reseeded = await ticketsScenario.measure(control, kase);
    expect(reseeded).toEqual({
      stock: [{ key: String(EVENT_ID), capacity: 2, sold: 0 }],
      holdings: new Map(),
      strayChanges: [],
    });
    const { rows } = await control.query(
      'SELECT json_agg(json_build_array(event_id, capacity, remaining) ORDER BY event_id) AS events FROM events',
    );
    expect(rows[0]?.events).toEqual([
      [EVENT_ID, 2, 2],
      [DECOY_EVENT_ID, 100, 100],
    ]);
    const inserted = await control.query(
      `INSERT INTO tickets (event_id, buyer_id) VALUES (${EVENT_ID}, 1) RETURNING ticket_id`,
    );
    expect(Number(inserted.rows[0]?.ticket_id)).toBe(1);
  });
});
