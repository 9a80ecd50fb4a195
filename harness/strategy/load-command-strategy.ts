import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { PropertyName } from '../../properties/property-names.ts';
import { StrategyLoadError } from '../engine/errors.ts';
import { commandPurchase, urlPurchase, type WireConnectContext } from '../gate/wire-purchase.ts';
import type { LoadedStrategy } from './strategy.ts';

/** How load-strategy.ts checks what every kind of strategy shares. */
export interface SharedChecks {
  checkExpect(value: unknown, file: string): Partial<Record<PropertyName, boolean>>;
  resolveScenario(name: string, path: string, file: string): Promise<string>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

const usage = '{ "name": "…", "command": ["python3", "buy.py"], "expect": { … }, "timeoutMs": 10000 }';

/**
 * A command strategy: a `.json` file naming a program that buys once per
 * buyer, in any language, through its buyer's wire gate.
 */
export async function loadCommandStrategy(
  path: string,
  file: string,
  checks: SharedChecks,
): Promise<LoadedStrategy> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new StrategyLoadError(file, `is not valid JSON (${(error as Error).message}): write ${usage}`, {
      cause: error,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StrategyLoadError(file, `must hold one object: write ${usage}`);
  }
  const object = value as Record<string, unknown>;
  const command = object.command;
  if (
    !Array.isArray(command) ||
    command.length === 0 ||
    !command.every((part) => typeof part === 'string' && part.length > 0)
  ) {
    throw new StrategyLoadError(
      file,
      `"command" must be a non-empty array of strings, such as ["python3", "buy.py"]`,
    );
  }
  const timeoutMs = object.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new StrategyLoadError(
      file,
      `"timeoutMs" must be a positive whole number of milliseconds, or left out`,
    );
  }
  for (const field of ['name', 'description', 'scenario'] as const) {
    const given = object[field];
    if (given !== undefined && (typeof given !== 'string' || given.length === 0)) {
      throw new StrategyLoadError(file, `"${field}" must be a non-empty string, or left out`);
    }
  }
  return {
    name: (object.name as string | undefined) ?? basename(path, '.json'),
    description: object.description as string | undefined,
    file,
    scenario: await checks.resolveScenario((object.scenario as string | undefined) ?? 'tickets', path, file),
    expect: checks.checkExpect(object.expect, file),
    installSql: undefined,
    setup: undefined,
    purchase: commandPurchase({ command: command as string[], cwd: dirname(resolve(path)), timeoutMs }),
  };
}

/** Whether a `.json` file found in a folder is a command strategy (it names a "command"). */
export async function isCommandStrategyFile(path: string): Promise<boolean> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return (
      value !== null && typeof value === 'object' && Array.isArray((value as { command?: unknown }).command)
    );
  } catch {
    return false;
  }
}

/**
 * A module's `connect` option: `'url'` gives its purchase() the buyer's gate
 * URL instead of `db`; left out, purchase() gets `db` as always.
 */
export function connectedPurchase(
  object: Record<string, unknown>,
  file: string,
): LoadedStrategy['purchase'] | undefined {
  if (object.connect === undefined) return undefined;
  if (object.connect !== 'url') {
    throw new StrategyLoadError(
      file,
      `connect ${JSON.stringify(object.connect)} is unknown: use connect: 'url' to get purchase(request, { databaseUrl }), or leave it out for purchase(db, request)`,
    );
  }
  const purchase = object.purchase as (request: unknown, context: WireConnectContext) => Promise<unknown>;
  return urlPurchase((request, context) => purchase.call(object, request, context));
}
