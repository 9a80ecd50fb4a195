/**
 * Where oversold's own files are. The harness runs either from its TypeScript
 * sources (the repository's tests and `harness/bin.mjs`, under tsx) or from
 * the JavaScript that `npm run build` compiles into `dist/` (the installed
 * package). Code that names a sibling module at run time, to fork it or to
 * read it, asks here so that both layouts resolve.
 */

/** True under tsx from the sources; false in the compiled package. This file's own extension says which. */
export const runsFromSources = import.meta.url.endsWith('.ts');

/**
 * The URL of one of oversold's own modules, `path` written without its
 * extension and relative to `base` (the caller's `import.meta.url`):
 * `ownModuleUrl('./isolated-buyer-child', import.meta.url)`.
 */
export function ownModuleUrl(path: string, base: string | URL): URL {
  return new URL(`${path}${runsFromSources ? '.ts' : '.js'}`, base);
}

/** The package's root folder: the repository, or the folder that holds `dist/`. */
export const packageRootUrl = new URL(runsFromSources ? '../' : '../../', import.meta.url);
