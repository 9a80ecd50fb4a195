import type { SessionOptions } from '../engine/sql-session.ts';

/** Where a gate's connections go, and what their start-up message must say. */
export interface ServerTarget {
  readonly host: string;
  readonly port: number;
  /** A Unix socket's path, when the server URL names a socket folder as its host. */
  readonly socketPath?: string;
  readonly user: string;
  readonly password: string | undefined;
  readonly hasPassword: boolean;
  readonly database: string;
  /** The `options` start-up parameter: the buyer's search_path and settings (`-c name=value`). */
  readonly options: string;
  readonly applicationName: string;
}

/** The server of `url`, with the session options a buyer's connections start with. */
export function serverTarget(url: string, session: SessionOptions): ServerTarget {
  const parsed = new URL(url);
  const port = Number(parsed.port || parsed.searchParams.get('port') || 5432);
  const hostParam = parsed.searchParams.get('host');
  const hostname = decodeURIComponent(parsed.hostname);
  const folder = hostParam?.startsWith('/') ? hostParam : hostname.startsWith('/') ? hostname : undefined;
  const settings: Record<string, string> = { ...session.settings };
  if (session.searchPath !== undefined) settings.search_path = session.searchPath;
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  return {
    host: folder === undefined ? hostname || '127.0.0.1' : '127.0.0.1',
    port,
    ...(folder !== undefined ? { socketPath: `${folder}/.s.PGSQL.${port}` } : {}),
    user: decodeURIComponent(parsed.username) || 'postgres',
    password,
    hasPassword: password !== undefined,
    database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
    options: Object.entries(settings)
      .map(([name, value]) => `-c ${name}=${escapeOption(value)}`)
      .join(' '),
    applicationName: session.applicationName ?? 'oversold',
  };
}

// libpq's options string separates with spaces and escapes with backslashes.
function escapeOption(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
}
