import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { DatabaseUnavailableError } from './started-database.ts';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
}

/** How often to try again while the postmaster starts (it takes ~40 ms), and for how long at most. */
const retryMs = 10;
const patienceMs = 60_000;

/**
 * Resolves once the server answers a query: the same test `pg_ctl -w` makes,
 * by connecting. Rejects at once when the postmaster exits first.
 */
export async function serverReady(address: ServerAddress, postmaster: ChildProcess): Promise<void> {
  let exit: string | null = null;
  let wake: () => void = () => {};
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    exit = signal ?? `exit ${code}`;
    wake();
  };
  const onError = (error: Error): void => {
    exit = `could not be run: ${error.message}`;
    wake();
  };
  postmaster.once('exit', onExit);
  postmaster.once('error', onError);
  try {
    const deadline = performance.now() + patienceMs;
    for (;;) {
      if (exit !== null) throw new DatabaseUnavailableError(`postgres stopped while starting (${exit})`);
      if (await answers(address)) return;
      if (performance.now() > deadline) {
        throw new DatabaseUnavailableError(
          `postgres did not accept connections within ${patienceMs / 1000} s`,
        );
      }
      // The socket is not there yet, or the server still says 57P03 (starting up).
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, retryMs);
      });
    }
  } finally {
    postmaster.off('exit', onExit);
    postmaster.off('error', onError);
  }
}

async function answers(address: ServerAddress): Promise<boolean> {
  const client = new pg.Client({ ...address });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
