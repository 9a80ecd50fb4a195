// What a student's strategy may import from 'oversold' inside the sandbox: the
// helpers that declare a strategy, and nothing that opens a connection, starts
// a server or reads files. The sandbox bundles a submission with 'oversold'
// pointing here.
export { DECOY_ITEM_ID } from '../scenarios/inventory-scenario.ts';
export { PostgresError, postgresJsSql } from '../strategy/postgres-js-facade.ts';
export { definePostgresJsStrategy } from '../strategy/postgres-js-strategy.ts';
export { defineStrategy } from '../strategy/strategy.ts';
