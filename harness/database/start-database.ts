import { startContainerDatabase } from './container-database.ts';
import { startEmbeddedDatabase } from './embedded-database.ts';
import { embeddedMajors, isPgMajor, type PgMajor } from './postgres-versions.ts';
import { redactUrl } from './redact-url.ts';
import { type DatabaseSource, DatabaseUnavailableError, type StartedDatabase } from './started-database.ts';

export interface DatabaseChoice {
  /** Where PostgreSQL comes from; defaults to `url` when a URL is given, else `embedded`. */
  readonly db?: DatabaseSource | undefined;
  readonly url?: string | undefined;
  /**
   * The PostgreSQL major (13 to 18) of the embedded server, or of the
   * container's image; absent: the embedded package's own (18), the image's
   * default. A server named by a URL is what it is: the two do not go together.
   */
  readonly pgVersion?: number | undefined;
}

/** Starts (or adopts) the PostgreSQL server a run will use. */
export async function startDatabase(choice: DatabaseChoice = {}): Promise<StartedDatabase> {
  const source = choice.db ?? (choice.url ? 'url' : 'embedded');
  const major = pgMajor(choice.pgVersion);
  switch (source) {
    case 'embedded':
      // OVERSOLD_TMPDIR moves the throwaway cluster (tests use it to prove it is removed).
      return startEmbeddedDatabase({
        ...(process.env.OVERSOLD_TMPDIR ? { parentDir: process.env.OVERSOLD_TMPDIR } : {}),
        ...(major !== undefined ? { major } : {}),
      });
    case 'container':
      return major !== undefined
        ? startContainerDatabase(`postgres:${major}-alpine`)
        : startContainerDatabase();
    case 'url': {
      if (major !== undefined) {
        throw new DatabaseUnavailableError(
          `--pg-version ${major} chooses the embedded server's version, but the database comes from a URL, whose server is what it is: drop --pg-version, or --database-url and DATABASE_URL (or pass --db embedded)`,
        );
      }
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

function pgMajor(version: number | undefined): PgMajor | undefined {
  if (version === undefined) return undefined;
  if (!isPgMajor(version)) {
    throw new DatabaseUnavailableError(
      `--pg-version ${version}: the embedded server runs PostgreSQL ${Object.keys(embeddedMajors).join(', ')}: choose one of those`,
    );
  }
  return version;
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
