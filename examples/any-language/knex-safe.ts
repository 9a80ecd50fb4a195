import knex from 'knex';

/** The Knex purchase made safe: the UPDATE checks the stock itself, in one statement. */
export default {
  name: 'knex-guarded-update',
  connect: 'url',
  async purchase(
    { eventId, buyerId, quantity }: { eventId: number; buyerId: number; quantity: number },
    { databaseUrl }: { databaseUrl: string },
  ) {
    const db = knex({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
    try {
      return await db.transaction(async (trx) => {
        const updated = await trx('events')
          .where({ event_id: eventId })
          .andWhere('remaining', '>=', quantity)
          .decrement('remaining', quantity);
        if (updated === 0) return 'sold-out';
        await trx('tickets').insert({ event_id: eventId, buyer_id: buyerId, quantity });
        return 'purchased';
      });
    } finally {
      await db.destroy();
    }
  },
};
