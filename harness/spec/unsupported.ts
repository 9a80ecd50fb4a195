import type { SpecDatabase } from './spec-database.ts';
import type { TestSpec } from './spec-parser.ts';

/**
 * Why a spec cannot be run as isolationtester would run it on this server, or
 * null. Such a spec is reported as unsupported, never as passed.
 */
export function unsupportedReason(
  spec: TestSpec,
  database: Pick<SpecDatabase, 'maxPreparedTransactions' | 'availableExtensions'>,
): string | null {
  const texts = [
    ...spec.setups,
    spec.teardown ?? '',
    ...spec.sessions.flatMap((session) => [
      session.setup ?? '',
      session.teardown ?? '',
      ...session.steps.map((step) => step.sql),
    ]),
  ].map(withoutComments);
  if (database.maxPreparedTransactions === 0 && texts.some((sql) => /\bprepare\s+transaction\b/i.test(sql))) {
    return 'uses PREPARE TRANSACTION, and the server has max_prepared_transactions = 0 (set it to 3 or more)';
  }
  for (const sql of texts) {
    for (const match of sql.matchAll(/\bcreate\s+extension\s+(?:if\s+not\s+exists\s+)?"?([a-z0-9_]+)"?/gi)) {
      const name = match[1]!.toLowerCase();
      if (!database.availableExtensions.has(name))
        return `needs the extension ${name}, which the server does not have`;
    }
  }
  if (texts.some((sql) => /\blisten\b/i.test(sql))) {
    return 'uses LISTEN: oversold spec does not capture NOTIFY messages';
  }
  return null;
}

function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '');
}
