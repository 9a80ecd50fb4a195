import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, relative, resolve } from 'node:path';
import { StrategyLoadError } from '../engine/errors.ts';
import { defaultExport, importUserModule } from '../strategy/import-user-module.ts';
import { customScenario, type ScenarioDefinition } from './custom-scenario.ts';
import { registerScenario } from './scenario-registry.ts';

/** `scenario: './shop.scenario.ts'` names a module; `'tickets'` names a built-in scenario. */
export function isScenarioPath(name: string): boolean {
  return /^\.{1,2}[/\\]|^\//.test(name) || /\.[mc]?[jt]s$/.test(name);
}

const loaded = new Map<string, Promise<string>>();

/**
 * Loads the scenario module a strategy points at (a path relative to the
 * strategy file), checks its shape, registers it, and resolves to the name it
 * is registered under (its path as reports show it). A bad module rejects with
 * a one-line {@link StrategyLoadError} naming the module and the fix.
 */
export function loadScenarioModule(
  name: string,
  strategyPath: string,
  strategyFile: string,
): Promise<string> {
  const path = resolve(dirname(strategyPath), name);
  let pending = loaded.get(path);
  if (!pending) {
    pending = load(path, name, strategyFile);
    loaded.set(path, pending);
    // A module that failed may be fixed and loaded again in the same process.
    pending.catch(() => loaded.delete(path));
  }
  return pending;
}

async function load(path: string, name: string, strategyFile: string): Promise<string> {
  const file = displayPath(path);
  if (!(await stat(path).catch(() => null))?.isFile()) {
    throw new StrategyLoadError(
      strategyFile,
      `its scenario module ${name} does not exist (looked for ${file}): the path is relative to the strategy file`,
    );
  }
  const definition = checkDefinition(defaultExport(await importUserModule(path, file)), file);
  const migrationSql: string[] = [];
  for (const migration of definition.migrations ?? []) {
    const text = await readFile(resolve(dirname(path), migration), 'utf8').catch(() => null);
    if (text === null) {
      throw new StrategyLoadError(
        file,
        `its migration ${migration} does not exist: list SQL files relative to the scenario module`,
      );
    }
    migrationSql.push(text);
  }
  if (definition.schema !== undefined) migrationSql.push(definition.schema);
  registerScenario(customScenario({ file, definition, migrationSql }));
  return file;
}

const usage =
  "export default defineScenario({ migrations: ['./schema.sql'], async seed(db, { products }) { … }, unitsSold: 'SELECT … AS product, … AS buyer, … AS units …' })";

function checkDefinition(value: unknown, file: string): ScenarioDefinition<unknown> {
  if (value === null || typeof value !== 'object') {
    throw new StrategyLoadError(file, `has no default export object: write ${usage}`);
  }
  const object = value as Record<string, unknown>;
  const problem = (field: string, want: string): never => {
    throw new StrategyLoadError(file, `${field} must be ${want}: write ${usage}`);
  };
  if (typeof object.seed !== 'function') problem('seed', 'a function (db, { products }) => Promise<void>');
  if (typeof object.unitsSold !== 'string' || object.unitsSold.trim() === '') {
    problem('unitsSold', 'a SELECT returning the columns product, buyer and units');
  }
  const migrations = object.migrations;
  if (
    migrations !== undefined &&
    (!Array.isArray(migrations) || migrations.some((entry) => typeof entry !== 'string'))
  ) {
    problem('migrations', 'a list of SQL file paths, relative to the module');
  }
  if (object.schema !== undefined && typeof object.schema !== 'string') problem('schema', 'SQL text');
  if (migrations === undefined && object.schema === undefined) {
    problem('migrations or schema', 'given (the tables to create)');
  }
  if (object.request !== undefined && typeof object.request !== 'function') {
    problem('request', 'a function (cart) => request, or left out');
  }
  if (object.maxLines !== undefined && ![1, 2, 3].includes(object.maxLines as number)) {
    problem('maxLines', '1, 2 or 3, or left out');
  }
  return object as unknown as ScenarioDefinition<unknown>;
}

function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') || extname(path) === '' ? path : fromHere;
}
