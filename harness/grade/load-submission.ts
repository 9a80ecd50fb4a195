import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ChildLauncher } from '../engine/child-launcher.ts';
import { StrategyLoadError } from '../engine/errors.ts';
import { StrategyChild } from '../engine/strategy-child.ts';
import { isScenarioPath } from '../scenarios/load-scenario-module.ts';
import { sqlStrategy } from '../strategy/load-strategy.ts';
import { parseSqlHeader } from '../strategy/sql-header.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import type { Sandbox } from './sandbox.ts';

export interface SubmissionLoadOptions {
  /** Null under --unsafe-no-sandbox: the child runs with the grader's rights. */
  readonly sandbox: Sandbox | null;
  /** The scenario the assignment grades on, as registered (`tickets`, or a module's name). */
  readonly scenario: string;
  /** Whether the assignment's scenario is a module (students then may name any module path). */
  readonly scenarioIsModule: boolean;
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

export interface LoadedSubmission {
  readonly strategy: LoadedStrategy;
  /** How the strategy's children start; undefined for a `.sql` strategy, which runs in PostgreSQL only. */
  readonly launcher: ChildLauncher | undefined;
}

const moduleExtensions = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

/**
 * Loads a student's strategy without running any of its code in the grader's
 * process: a module is compiled here and evaluated in a sandboxed child that
 * reports what it declares; a `.sql` file is only read. The scenario is the
 * assignment's, whatever the strategy names, and no scenario module a student
 * names is ever imported. Rejects with a one-line {@link StrategyLoadError}.
 */
export async function loadSubmission(
  path: string,
  options: SubmissionLoadOptions,
): Promise<LoadedSubmission> {
  const extension = extname(path);
  if (extension === '.sql') {
    const text = await readFile(path, 'utf8');
    checkScenario(parseSqlHeader(text, path).scenario, path, options);
    return {
      strategy: { ...sqlStrategy(path, path, text, options.scenario), expect: {} },
      launcher: undefined,
    };
  }
  if (!moduleExtensions.has(extension)) {
    throw new StrategyLoadError(
      path,
      `cannot be graded: a submission is a .ts, .js or .sql strategy (${extension === '.json' ? 'a command strategy runs a program of its own, which the sandbox cannot confine' : `not ${extension || 'a file without extension'}`})`,
    );
  }
  const launcher = options.sandbox ? await options.sandbox.launcherFor(path) : undefined;
  const { child, metadata } = await StrategyChild.start(path, {
    subject: "the strategy's process",
    timeoutMs: options.timeoutMs,
    memoryLimitMb: options.memoryMb,
    ...(launcher ? { launcher } : {}),
  });
  await child.killed();
  checkScenario(metadata.scenario, path, options);
  const elsewhere = (call: string) => () =>
    Promise.reject(new Error(`${path}: ${call} runs in the submission's own process`));
  return {
    strategy: {
      name: metadata.name,
      description: metadata.description,
      file: path,
      scenario: options.scenario,
      // A student's own verdicts never count: grading wants every property to hold.
      expect: {},
      installSql: undefined,
      setup: metadata.hasSetup ? elsewhere('setup()') : undefined,
      purchase: elsewhere('purchase()'),
    },
    launcher,
  };
}

function checkScenario(declared: string | undefined, path: string, options: SubmissionLoadOptions): void {
  if (declared === undefined || declared === options.scenario) return;
  if (options.scenarioIsModule && isScenarioPath(declared)) return;
  const wanted = options.scenarioIsModule
    ? 'the scenario module the assignment names'
    : `'${options.scenario}'`;
  throw new StrategyLoadError(
    path,
    `declares scenario '${declared}', but this assignment is graded on ${wanted}: change scenario to match, or leave it out`,
  );
}
