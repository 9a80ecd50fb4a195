/**
 * Statements client libraries send on their own while connecting, before any
 * of the application's code runs. They pass the gate unscheduled even during
 * a run, because a pool may open its connection in the middle of a purchase.
 * Matched on the whole statement text, so an application's own statement
 * never matches by accident.
 */
const preambles: readonly RegExp[] = [
  // Knex (and others) read the server version once per connection.
  /^\s*select\s+version\(\)\s*;?\s*$/i,
  // postgres.js reads the array types of the database on its first connection.
  /^\s*select b\.oid, b\.typarray\s+from pg_catalog\.pg_type a/i,
  // Rails' and Django's connection checks.
  /^\s*select 1\s*;?\s*$/i,
  /^\s*SHOW\s+(server_version|server_version_num|standard_conforming_strings|TIME\s+ZONE|timezone)\s*;?\s*$/i,
];

/** Whether a client library sent this while connecting (not the application). */
export function isDriverPreamble(text: string): boolean {
  return preambles.some((preamble) => preamble.test(text));
}
