import { startContainerDatabase } from './container-database.ts';
import { startEmbeddedDatabase } from './embedded-database.ts';
import { redactUrl } from './redact-url.ts';
import { type DatabaseSource, DatabaseUnavailableError, type StartedDatabase } from './started-database.ts';

export interface DatabaseChoice {
  /** Where PostgreSQL comes from; defaults to `url` when a URL is given, else `embedded`. */
  readonly db?: DatabaseSource | undefined;
  readonly url?: string | undefined;
}

/** Starts (or adopts) the PostgreSQL server a run will use. */
export async function startDatabase(choice: DatabaseChoice = {}): Promise<StartedDatabase> {
  const source = choice.db ?? (choice.url ? 'url' : 'embedded');
  switch (source) {
    case 'embedded':
      // OVERSOLD_TMPDIR moves the throwaway cluster (tests use it to prove it is removed).
      return startEmbeddedDatabase(
        process.env.OVERSOLD_TMPDIR ? { parentDir: process.env.OVERSOLD_TMPDIR } : {},
      );
    case 'container':
      return startContainerDatabase();
    case 'url': {
      if (!choice.url) {
        throw new DatabaseUnavailableError('--db url needs a URL: pass --database-url or set DATABASE_URL');
      }
      checkUrl(choice.url);
      const stop = async (): Promise<void> => {};
      return { source: 'url', url: choice.url, stop, [Symbol.asyncDispose]: stop };
    }
    default:
      throw new DatabaseUnavailableError(`unknown --db '${String(source)}': use embedded, container or url`);
  }
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUnavailableError(
      `the database URL '${redactUrl(url)}' is not a URL: write it as postgresql://user@host:5432/database`,
    );
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new DatabaseUnavailableError(
      `the database URL '${redactUrl(url)}' is not a PostgreSQL URL: it must start with postgresql://`,
    );
  }
}
