import { resolve } from 'node:path';
import type { ChildLauncher } from '../engine/child-launcher.ts';
import { StrategyLoadError } from '../engine/errors.ts';
import { StrategyChild } from '../engine/strategy-child.ts';
import { isScenarioPath, loadScenarioModule } from '../scenarios/load-scenario-module.ts';
import type { LoadResult } from './load-strategy.ts';
import type { LoadedStrategy } from './strategy.ts';

export interface IsolatedLoadOptions {
  /** Longest the module's top-level code may take (--timeout). */
  readonly timeoutMs: number;
  /** Heap limit of the loading child in MB (256 by default). */
  readonly memoryLimitMb?: number;
  /** How the children start: with the harness's rights by default, or in a sandbox. */
  readonly launcher?: ChildLauncher;
}

/**
 * `--isolate`'s loader: the strategy's module is evaluated in a short-lived
 * child process, never in oversold's, within `timeoutMs`; only what it declares
 * (name, scenario, expect, whether it has setup()) comes back. The result's
 * purchase() and setup() refuse to run here: run them through
 * {@link IsolatedBuyers} (`purchaseFor`, `setup`).
 */
export async function loadStrategyIsolated(path: string, options: IsolatedLoadOptions): Promise<LoadResult> {
  let started: Awaited<ReturnType<typeof StrategyChild.start>>;
  try {
    started = await StrategyChild.start(path, {
      subject: "the strategy's process",
      timeoutMs: options.timeoutMs,
      ...(options.memoryLimitMb !== undefined ? { memoryLimitMb: options.memoryLimitMb } : {}),
      ...(options.launcher ? { launcher: options.launcher } : {}),
    });
  } catch (error) {
    if (error instanceof StrategyLoadError) return { file: error.file, error };
    throw error;
  }
  await started.child.killed();
  const { metadata } = started;
  try {
    // A scenario module is the test author's code, not the strategy's: the
    // harness needs its seed() and measure(), so it is loaded here too.
    if (isScenarioPath(metadata.scenario)) {
      await loadScenarioModule(resolve(metadata.scenario), path, metadata.file);
    }
  } catch (error) {
    if (error instanceof StrategyLoadError) return { file: metadata.file, error };
    throw error;
  }
  const elsewhere = (call: string) => () =>
    Promise.reject(
      new Error(
        `${metadata.file}: ${call} runs in a child process under --isolate: call it through IsolatedBuyers`,
      ),
    );
  const strategy: LoadedStrategy = {
    name: metadata.name,
    description: metadata.description,
    file: metadata.file,
    scenario: metadata.scenario,
    // The child checked every key and verdict with the same loader.
    expect: metadata.expect as LoadedStrategy['expect'],
    installSql: metadata.installSql,
    setup: metadata.hasSetup ? elsewhere('setup()') : undefined,
    purchase: elsewhere('purchase()'),
  };
  return { file: strategy.file, strategy };
}
