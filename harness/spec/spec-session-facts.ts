import type { SessionFacts } from '../explore/session-model.ts';
import type { SpecConnection } from './spec-connection.ts';

/**
 * What lets plain reads commute (explore's session-model.ts), asked of every
 * session after the spec's setups: each session's default isolation and the
 * base tables without row-level security that its unqualified names resolve
 * to (the same question explore's session-facts.ts asks a buyer session).
 * Spec sessions are set up one by one, so the answers are combined the
 * cautious way: SERIALIZABLE when any session defaults to it (there two reads
 * never commute), and only the tables every session resolves alike.
 */
export async function readSpecSessionFacts(connections: readonly SpecConnection[]): Promise<SessionFacts> {
  const resolved: Set<string>[] = [];
  const isolations: string[] = [];
  for (const connection of connections) {
    const result = await connection.query(
      `SELECT 'isolation', current_setting('default_transaction_isolation')
       UNION ALL
       SELECT 'table', c.relname::text FROM pg_class c
        WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND pg_table_is_visible(c.oid)
          AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)`,
    );
    const seen = new Set<string>();
    for (const [kind, value] of result.last?.rows ?? []) {
      if (kind === 'isolation') isolations.push(value ?? '');
      else if (value !== null && value !== undefined) seen.add(value);
    }
    resolved.push(seen);
  }
  const tables = new Set([...(resolved[0] ?? [])].filter((name) => resolved.every((seen) => seen.has(name))));
  const defaultIsolation = isolations.includes('serializable')
    ? 'serializable'
    : (isolations[0] ?? 'read committed');
  return { defaultIsolation, tables };
}
