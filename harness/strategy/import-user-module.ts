import { extname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StrategyLoadError } from '../engine/errors.ts';

type ModuleNamespace = Record<string, unknown>;
type UrlImport = (url: string) => Promise<ModuleNamespace>;

const typeScriptExtensions = new Set(['.ts', '.mts', '.cts']);
// tsx appends this to every URL its namespaced hooks handle; messages show the plain path.
const namespace = 'oversold-user-module';

/**
 * Imports a user's strategy or scenario module wherever it lives: no
 * package.json, a CommonJS or an ES-module package; .ts, .mts, .cts, .js,
 * .mjs or .cjs. A module that cannot be imported rejects with a one-line
 * {@link StrategyLoadError} carrying the compiler's or the module's own
 * message (with file:line:col for syntax errors).
 */
export async function importUserModule(path: string, file: string): Promise<ModuleNamespace> {
  try {
    return await importAnywhere(resolve(path));
  } catch (error) {
    throw new StrategyLoadError(
      file,
      `does not load (${loadErrorReason(error)}): fix the error so the module can be imported`,
      { cause: error },
    );
  }
}

/**
 * The module's default export: `export default …`, `module.exports = …`, or
 * `exports.default = …`. A CommonJS module's namespace holds `module.exports`
 * as its default, so an `exports.default` (also what esbuild writes for an ES
 * module that ran as CommonJS, marked `__esModule`) sits one level down.
 */
export function defaultExport(namespace: ModuleNamespace): unknown {
  const value = namespace.default;
  if (value === null || typeof value !== 'object') return value;
  const exports = value as ModuleNamespace;
  return exports.__esModule === true || Object.hasOwn(exports, 'default') ? exports.default : value;
}

async function importAnywhere(path: string): Promise<ModuleNamespace> {
  const url = pathToFileURL(path).href;
  const tsx = await tsxImport().catch((error: unknown) => {
    if (typeScriptExtensions.has(extname(path))) throw error;
    return undefined;
  });
  // Without tsx, plain JavaScript still loads by Node's own rules.
  return tsx ? tsx(url) : ((await import(url)) as ModuleNamespace);
}

let pendingImport: Promise<UrlImport> | undefined;

/**
 * One tsx namespace for the process, made on first use (so a run of .sql
 * strategies never loads tsx). Every module goes through it, JavaScript too,
 * so a strategy loads the same way under the CLI, under vitest (whose own
 * import would transform it) and in a host that registered tsx globally. Its
 * hooks see only what is imported through it and decide each file's format
 * from its content where the folder's package.json would reject it; the
 * CommonJS half lets a module that runs as CommonJS require TypeScript too.
 */
function tsxImport(): Promise<UrlImport> {
  pendingImport ??= registerTsx().catch((error: unknown) => {
    pendingImport = undefined;
    throw error;
  });
  return pendingImport;
}

async function registerTsx(): Promise<UrlImport> {
  let apis: [typeof import('tsx/esm/api'), typeof import('tsx/cjs/api')];
  try {
    apis = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  } catch (error) {
    throw new Error(
      'loading TypeScript needs tsx: install it (npm install --save-dev tsx) or compile the module to JavaScript',
      { cause: error },
    );
  }
  const [esm, cjs] = apis;
  // tsx maps lines back through inline source maps only where Node applies
  // them; without this a call site in a strategy reads `buy.ts:1` (seen under vitest).
  process.setSourceMapsEnabled(true);
  cjs.register({ namespace });
  const scoped = esm.register({ namespace });
  // The module is its own parent: tsx maps `x.js` to a sibling `x.ts` when the
  // importer is TypeScript, and this file is; `oversold check x.js` means x.js.
  return async (url) => (await scoped.import(url, url)) as ModuleNamespace;
}

/** One line: esbuild's `file:line:col: message`, or the first line of what was thrown. */
function loadErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const first = lines[0] ?? 'unknown error';
  // esbuild: "Transform failed with 1 error:" then "/abs/buy.ts:3:8: ERROR: Expected ";" but found "x"".
  const located = /^Transform failed with \d+ errors?:?$/.test(first) ? lines[1] : undefined;
  const compilerError = located?.match(/^(.+?):(\d+):(\d+): ERROR: (.*)$/);
  if (compilerError) {
    const [, path = '', line, column = '0', text] = compilerError;
    // esbuild counts columns from 0; editors and Node's stack traces count from 1.
    return `${displayPath(withoutNamespace(path))}:${line}:${Number(column) + 1}: ${text}`;
  }
  return withoutNamespace(first);
}

function withoutNamespace(text: string): string {
  return text.replaceAll(`?namespace=${namespace}`, '').replaceAll(`&namespace=${namespace}`, '');
}

function displayPath(path: string): string {
  const absolute = resolve(path);
  const fromHere = relative(process.cwd(), absolute);
  return fromHere.startsWith('..') ? absolute : fromHere;
}
