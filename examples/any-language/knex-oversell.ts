import knex from 'knex';

/**
 * Application code written with the Knex query builder over node-postgres,
 * unchanged: oversold hands it a database URL instead of `db`. It reads the
 * stock, checks it, then writes, inside a read committed transaction, and
 * oversells when two buyers read before either writes.
 */
export default {
  name: 'knex-read-check-write',
  connect: 'url',
  expect: { 'no-oversell': false },
  async purchase(
    { eventId, buyerId, quantity }: { eventId: number; buyerId: number; quantity: number },
    { databaseUrl }: { databaseUrl: string },
  ) {
    const db = knex({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
    try {
      return await db.transaction(async (trx) => {
        const event = await trx('events').where({ event_id: eventId }).first('remaining');
        if (event.remaining < quantity) return 'sold-out';
        await trx('events')
          .where({ event_id: eventId })
          .update({ remaining: event.remaining - quantity });
        await trx('tickets').insert({ event_id: eventId, buyer_id: buyerId, quantity });
        return 'purchased';
      });
    } finally {
      await db.destroy();
    }
  },
};
