import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DatabaseUnavailableError } from './started-database.ts';

const run = promisify(execFile);

/** The OS user the embedded server runs as when oversold itself runs as root. */
export interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

const name = 'postgres';

/**
 * PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server
 * is not permitted). As root, the server runs as the OS user `postgres`,
 * created here when missing; otherwise as this process's own user (null).
 */
export async function serverUser(): Promise<ServerUser | null> {
  if (process.getuid?.() !== 0) return null;
  const found = await lookup();
  if (found) return found;
  // Two processes may race to create it: whichever fails, the lookup after decides.
  await run('groupadd', ['--system', name]).catch(() => {});
  const created = await run('useradd', ['--system', '--gid', name, '--no-create-home', name]).catch(
    (error: unknown) => error as Error,
  );
  const after = await lookup();
  if (after) return after;
  const reason = created instanceof Error ? created.message.split('\n')[0] : 'not found after useradd';
  throw new DatabaseUnavailableError(
    `the embedded PostgreSQL cannot run as root and the OS user '${name}' could not be created (${reason}): create it (useradd ${name}), run oversold as another user, or pass --database-url`,
  );
}

async function lookup(): Promise<ServerUser | null> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return null;
  }
}
