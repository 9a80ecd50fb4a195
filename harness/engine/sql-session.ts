/**
 * The engine talks to PostgreSQL only through this interface, so that `pg`
 * (or any other client) stays behind a thin adapter in harness/database/.
 */
export interface QueryResult {
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number | null;
  /** The command tag's verb (`SELECT`, `UPDATE`, …), when the driver reports it. */
  readonly command?: string;
}

export interface SqlSession {
  /** The server process id of this session (`pg_backend_pid()`). */
  readonly pid: number;
  /** `prepare` names a statement the session parses once and reuses (for hot internal queries). */
  query(
    text: string,
    params?: readonly unknown[],
    options?: { readonly prepare?: string },
  ): Promise<QueryResult>;
  /**
   * Whether the session is inside a transaction block, from the last
   * ReadyForQuery message; undefined when the driver does not tell.
   */
  inTransaction(): boolean | undefined;
  /** Closes the connection; never rejects. */
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Runs `SET search_path` equivalently at connection start. */
  readonly searchPath?: string;
  readonly applicationName?: string;
  /** Further run-time parameters sent at connection start (`-c name=value`). */
  readonly settings?: Readonly<Record<string, string>>;
}

/** Opens sessions on one database. */
export interface SqlConnector {
  readonly url: string;
  connect(options?: SessionOptions): Promise<SqlSession>;
}

/** A PostgreSQL error as the engine records it: SQLSTATE plus message. */
export class StatementError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  readonly constraint: string | undefined;

  constructor(message: string, code: string, extra: { detail?: string; constraint?: string } = {}) {
    super(message);
    this.name = 'StatementError';
    this.code = code;
    this.detail = extra.detail;
    this.constraint = extra.constraint;
  }
}

/** Class 08 (connection exception) and the 57P0x shutdown codes: the session is gone. */
export function isConnectionLost(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}
