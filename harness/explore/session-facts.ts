import type { Workspace } from '../engine/workspace.ts';
import type { SessionFacts } from './session-model.ts';

/**
 * Asks a buyer session what lets plain reads commute (session-model.ts): its
 * default isolation level, and which unqualified table names it resolves to
 * base tables without row-level security (not views, foreign or system tables,
 * whose reads may run code or see more than rows). Every buyer session of a
 * workspace connects the same way, so one answers for all.
 */
export async function readSessionFacts(workspace: Workspace, buyerId: number): Promise<SessionFacts> {
  const { session } = await workspace.buyer(buyerId);
  const { rows } = await session.query(
    `SELECT current_setting('default_transaction_isolation') AS isolation,
            ARRAY(SELECT c.relname::text FROM pg_class c
                  WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND pg_table_is_visible(c.oid)
                    AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
                  ORDER BY 1) AS tables`,
  );
  const row = rows[0] as { isolation: string; tables: string[] };
  return { defaultIsolation: row.isolation, tables: new Set(row.tables) };
}
