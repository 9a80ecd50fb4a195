import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { isPropertyName, PROPERTY_NAMES, type PropertyName } from '../../properties/property-names.ts';
import { StrategyLoadError } from '../engine/errors.ts';
import { isScenarioPath, loadScenarioModule } from '../scenarios/load-scenario-module.ts';
import { findScenario, scenarioNames } from '../scenarios/scenario-registry.ts';
import { defaultExport, importUserModule } from './import-user-module.ts';
import { connectedPurchase, isCommandStrategyFile, loadCommandStrategy } from './load-command-strategy.ts';
import { postgresJsSql } from './postgres-js-facade.ts';
import { parseSqlHeader } from './sql-header.ts';
import type { LoadedStrategy } from './strategy.ts';

const moduleExtensions = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
const extensions = [...moduleExtensions, '.sql', '.json'];

/** One path's result: a strategy, or the one-line reason it could not be loaded. */
export type LoadResult =
  | { file: string; strategy: LoadedStrategy }
  | { file: string; error: StrategyLoadError };

/** Expands folders (recursively, in name order) into strategy files. */
export async function findStrategyFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (info?.isDirectory()) files.push(...(await filesUnder(path)));
    else files.push(path);
  }
  return files;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(path)));
    else if (
      isStrategyFileName(entry.name) &&
      (extname(path) !== '.json' || (await isCommandStrategyFile(path)))
    )
      files.push(path);
  }
  return files;
}

function isStrategyFileName(name: string): boolean {
  if (/\.(test|spec|d)\.[mc]?[jt]s$/.test(name)) return false;
  return extensions.includes(extname(name));
}

/** Loads one strategy file; never throws for a bad file, it reports it. */
export async function loadStrategy(path: string): Promise<LoadResult> {
  const file = displayPath(path);
  try {
    return { file, strategy: await load(path, file) };
  } catch (error) {
    if (error instanceof StrategyLoadError) return { file, error };
    throw error;
  }
}

async function load(path: string, file: string): Promise<LoadedStrategy> {
  const info = await stat(path).catch(() => null);
  if (!info) {
    throw new StrategyLoadError(
      file,
      `no such file: check the path (a strategy is a ${extensions.join(', ')} file, or a folder of them)`,
    );
  }
  const extension = extname(path);
  if (!extensions.includes(extension)) {
    throw new StrategyLoadError(file, `is not a strategy file: use ${extensions.join(', ')}`);
  }
  if (extension === '.sql') return loadSql(path, file);
  if (extension === '.json') return loadCommandStrategy(path, file, { checkExpect, resolveScenario });
  return loadModule(path, file);
}

async function loadModule(path: string, file: string): Promise<LoadedStrategy> {
  const value = defaultExport(await importUserModule(path, file));
  const usage = "export default { async purchase(db, request) { … return 'purchased'; } }";
  if (value === null || typeof value !== 'object') {
    throw new StrategyLoadError(
      file,
      `has no default export object: write ${usage} (or module.exports = { … } in CommonJS)`,
    );
  }
  const object = value as Record<string, unknown>;
  if (typeof object.purchase !== 'function') {
    throw new StrategyLoadError(file, `its default export has no purchase() function: write ${usage}`);
  }
  if (object.setup !== undefined && typeof object.setup !== 'function') {
    throw new StrategyLoadError(
      file,
      'setup must be a function (db, { eventId, capacity }) => Promise<void>, or left out',
    );
  }
  const name = optionalString(object.name, 'name', file) ?? basename(path, extname(path));
  const scenario = await resolveScenario(
    optionalString(object.scenario, 'scenario', file) ?? 'tickets',
    path,
    file,
  );
  const purchase = object.purchase as LoadedStrategy['purchase'];
  const wired = connectedPurchase(object, file);
  const setup = object.setup as LoadedStrategy['setup'];
  // What the strategy's code receives: `db` itself, or postgres.js's `sql` built on it.
  const client = checkDriver(object.driver, file) === 'postgres' ? postgresJsSql : <Db>(db: Db) => db;
  return {
    name,
    description: optionalString(object.description, 'description', file),
    file,
    scenario,
    expect: checkExpect(object.expect, file),
    installSql: undefined,
    setup: setup ? (db, context) => setup.call(object, client(db) as never, context) : undefined,
    purchase: wired ?? ((db, request) => purchase.call(object, client(db) as never, request)),
  };
}

async function loadSql(path: string, file: string): Promise<LoadedStrategy> {
  const text = await readFile(path, 'utf8');
  const header = parseSqlHeader(text, file);
  const scenarioName = await resolveScenario(header.scenario ?? 'tickets', path, file);
  return sqlStrategy(path, file, text, scenarioName);
}

/**
 * A `.sql` strategy whose scenario is already registered: its text installs
 * the function, and each buyer calls it. Grading uses this with the
 * assignment's scenario, never loading a module the file names.
 */
export function sqlStrategy(path: string, file: string, text: string, scenarioName: string): LoadedStrategy {
  const header = parseSqlHeader(text, file);
  const scenario = findScenario(scenarioName)!;
  return {
    name: header.name ?? basename(path, '.sql'),
    description: header.description,
    file,
    scenario: scenarioName,
    expect: checkExpect(header.expect, file),
    installSql: text,
    setup: undefined,
    async purchase(db, request) {
      const call = scenario.sqlCall(request);
      const result = await db.query(call.text, call.params);
      return result.rows[0]?.outcome;
    },
  };
}

/** A built-in scenario's name, or a scenario module's path (relative to the strategy file), loaded and registered. */
async function resolveScenario(name: string, path: string, file: string): Promise<string> {
  // In the grading sandbox the module is not there to load, nor needed: the
  // grader's process uses the assignment's scenario (harness/grade/sandbox.ts).
  if (isScenarioPath(name) && process.env.OVERSOLD_SANDBOXED === '1') return name;
  if (isScenarioPath(name)) return loadScenarioModule(name, path, file);
  if (!findScenario(name)) {
    throw new StrategyLoadError(
      file,
      `scenario '${name}' is unknown: use ${scenarioNames().join(' or ')}, or a scenario module's path such as './shop.scenario.ts'`,
    );
  }
  return name;
}

function checkDriver(value: unknown, file: string): 'pg' | 'postgres' {
  if (value === undefined || value === 'pg' || value === 'postgres') return value ?? 'pg';
  throw new StrategyLoadError(
    file,
    `driver ${JSON.stringify(value)} is unknown: use 'postgres' for a postgres.js-style sql, or leave it out for pg-style db.query`,
  );
}

function checkExpect(value: unknown, file: string): Partial<Record<PropertyName, boolean>> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') {
    throw new StrategyLoadError(file, "expect must be an object such as { 'no-oversell': false }");
  }
  const expect: Partial<Record<PropertyName, boolean>> = {};
  for (const [key, verdict] of Object.entries(value)) {
    if (!isPropertyName(key)) {
      throw new StrategyLoadError(
        file,
        `expect names an unknown property '${key}': use ${PROPERTY_NAMES.join(', ')}`,
      );
    }
    if (typeof verdict !== 'boolean') {
      throw new StrategyLoadError(
        file,
        `expect['${key}'] must be true or false, not ${JSON.stringify(verdict)}`,
      );
    }
    expect[key] = verdict;
  }
  return expect;
}

function optionalString(value: unknown, field: string, file: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new StrategyLoadError(file, `${field} must be a non-empty string, or left out`);
  }
  return value;
}

function displayPath(path: string): string {
  const absolute = resolve(path);
  const fromHere = relative(process.cwd(), absolute);
  return fromHere.startsWith('..') ? absolute : fromHere;
}
