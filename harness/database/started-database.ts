/** Where the PostgreSQL server came from. */
export type DatabaseSource = 'embedded' | 'container' | 'url';

/**
 * A running PostgreSQL server that oversold may use. Dispose it (`await using`,
 * or `stop()`) to stop what oversold started; a server given by URL is left running.
 */
export interface StartedDatabase extends AsyncDisposable {
  readonly source: DatabaseSource;
  /** A connection URL with rights to create databases (or at least schemas). */
  readonly url: string;
  stop(): Promise<void>;
}

/** A database problem the user must fix: bad URL, no server, no container runtime. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}
