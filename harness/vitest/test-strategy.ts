import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStrategy } from '../strategy/load-strategy.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';

/** A strategy file as tests name it: a path (relative to the working directory) or a file URL. */
export type StrategyFile = string | URL;

/** Loads a strategy file, throwing its one-line load error (StrategyLoadError) when it cannot. */
export async function loadTestStrategy(strategy: StrategyFile): Promise<LoadedStrategy> {
  if (!(typeof strategy === 'string' || strategy instanceof URL) || String(strategy).length === 0) {
    throw new TypeError(
      `oversold: a strategy file path or file URL is required, got ${kindOf(strategy)}: pass 'strategies/x.ts' or new URL('./x.ts', import.meta.url)`,
    );
  }
  const path = strategy instanceof URL ? fileURLToPath(strategy) : resolve(strategy);
  const loaded = await loadStrategy(path);
  if ('error' in loaded) throw loaded.error;
  return loaded.strategy;
}

function kindOf(value: unknown): string {
  if (value === '') return "''";
  return value === null ? 'null' : typeof value;
}
