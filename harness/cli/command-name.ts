import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRootUrl } from '../package-files.ts';

/** The bins this package installs: the compiled one, and the one that runs the sources. */
const ownBins = ['dist/harness/cli/bin.js', 'harness/bin.mjs'].map((path) =>
  fileURLToPath(new URL(path, packageRootUrl)),
);

/**
 * How the user types oversold, so that a printed command works when pasted:
 * `oversold` when an `oversold` on PATH is this package's own bin, else
 * `npx oversold`. The CLI asks once per run.
 *
 * `npx` and `npm run` put node_modules/.bin folders on the PATH of what they
 * start (and say so in npm_command); the user's shell does not have them, so
 * those folders do not count.
 */
export function oversoldCommand(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return onPath(env) ? 'oversold' : 'npx oversold';
}

function onPath(env: Readonly<Record<string, string | undefined>>): boolean {
  const ours = new Set(ownBins.map(realPath).filter((path) => path !== null));
  const folders = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const npmAdded = (folder: string) =>
    env.npm_command !== undefined && /[\\/]node_modules[\\/]\.bin[\\/]?$/.test(folder);
  return folders.some((folder) => {
    if (npmAdded(folder)) return false;
    const candidate = realPath(join(folder, 'oversold'));
    return candidate !== null && ours.has(candidate) && executable(candidate);
  });
}

function realPath(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null; // Not there: not on this folder of PATH.
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
