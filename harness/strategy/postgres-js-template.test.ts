import { describe, expect, it } from 'vitest';
import { postgresJsSql, type QueryRunner } from './postgres-js-facade.ts';
import { renderTemplate } from './postgres-js-template.ts';

// Rendering never sends anything: a runner that refuses proves it.
const unused: QueryRunner = {
  query: () => Promise.reject(new Error('rendering must not send a statement')),
};
const sql = postgresJsSql(unused);

function render(strings: TemplateStringsArray, ...values: unknown[]) {
  return renderTemplate(strings, values);
}

describe('postgres.js templates', () => {
  it('turn interpolated values into numbered parameters', () => {
    expect(render`SELECT * FROM events WHERE event_id = ${101} AND remaining >= ${2}`).toEqual({
      text: 'SELECT * FROM events WHERE event_id = $1 AND remaining >= $2',
      params: [101, 2],
    });
  });

  it('inline nested queries as fragments, numbering on from the outer query', () => {
    const filter = sql`AND buyer_id = ${7}`;
    expect(render`SELECT * FROM tickets WHERE event_id = ${101} ${filter} LIMIT ${1}`).toEqual({
      text: 'SELECT * FROM tickets WHERE event_id = $1 AND buyer_id = $2 LIMIT $3',
      params: [101, 7, 1],
    });
  });

  it('expand helpers by the keyword before them, as postgres.js does', () => {
    expect(render`SELECT * FROM ${sql('my schema.events')} WHERE event_id IN ${sql([1, 2, 3])}`).toEqual({
      text: 'SELECT * FROM "my schema"."events" WHERE event_id IN ($1,$2,$3)',
      params: [1, 2, 3],
    });
    expect(render`INSERT INTO tickets ${sql({ event_id: 101, buyer_id: 1, quantity: 2 })}`).toEqual({
      text: 'INSERT INTO tickets ("event_id","buyer_id","quantity")values($1,$2,$3)',
      params: [101, 1, 2],
    });
    expect(
      render`INSERT INTO tickets ${sql([{ event_id: 1, buyer_id: 2, extra: 9 }], 'event_id', 'buyer_id')}`,
    ).toEqual({
      text: 'INSERT INTO tickets ("event_id","buyer_id")values($1,$2)',
      params: [1, 2],
    });
    expect(render`UPDATE events SET ${sql({ remaining: 0 }, 'remaining')} WHERE event_id = ${101}`).toEqual({
      text: 'UPDATE events SET "remaining"=$1 WHERE event_id = $2',
      params: [0, 101],
    });
    expect(render`SELECT ${sql(['event_id', 'remaining'])} FROM events`).toEqual({
      text: 'SELECT "event_id","remaining" FROM events',
      params: [],
    });
  });

  it('send sql.json() as JSON text and sql.array() as an array', () => {
    expect(render`SELECT ${sql.json([{ item_id: 1 }])}::jsonb, ${sql.array([1, 2])}::int[]`).toEqual({
      text: 'SELECT $1::jsonb, $2::int[]',
      params: ['[{"item_id":1}]', [1, 2]],
    });
  });

  it('refuse undefined, as postgres.js does, and name the fix', () => {
    expect(() => render`SELECT ${undefined}`).toThrow(/UNDEFINED_VALUE.*pass null for SQL NULL/);
  });

  it('refuse a helper in a place it has no meaning, naming the forms that work', () => {
    expect(() => render`SELECT * FROM events WHERE ${sql({ a: 1 })}`).toThrow(
      /is not a helper form oversold's postgres.js facade knows: use sql\(ids\) after IN/,
    );
  });
});
