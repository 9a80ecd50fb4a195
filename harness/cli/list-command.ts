import type { PropertyName } from '../../properties/property-names.ts';
import type { LoadedStrategy } from '../strategy/strategy.ts';
import { addCommand, type CommandInstaller, UsageError } from './main.ts';

/** How a failing property reads in the catalogue, in report order. */
const failureWords: Record<PropertyName, string> = {
  'no-oversell': 'oversells',
  'honest-outcome': 'misreports purchases',
  'no-undersell': 'turns buyers away with stock left',
  'no-errors': 'buyers see errors',
};

/**
 * One strategy's known verdicts in a few words: what its `expect` says fails, "safe" when it only
 * says properties hold, or "no expectation" when it says nothing (nothing is known until a check).
 */
export function verdictSummary(expect: LoadedStrategy['expect']): string {
  const failing = (Object.keys(failureWords) as PropertyName[]).filter((name) => expect[name] === false);
  if (failing.length > 0) return failing.map((name) => failureWords[name]).join(', ');
  return Object.keys(expect).length === 0 ? 'no expectation' : 'safe';
}

/** `oversold list [PATH...]`: the catalogue, one line per strategy, without touching a database. */
export const installListCommand: CommandInstaller = (program, io, setExit) => {
  program
    .command('list')
    .description('list strategies, one line each: name, scenario, known verdicts, description')
    .argument('[paths...]', 'strategy files or folders', ['strategies'])
    .action(async (paths: string[]) => {
      // Loaded when the command runs, so that --help starts fast.
      const { findStrategyFiles, loadStrategy } = await import('../strategy/load-strategy.ts');
      const files = await findStrategyFiles(paths);
      if (files.length === 0) {
        throw new UsageError(
          `no strategy files under ${paths.join(', ')}: give .ts, .mts, .js, .mjs or .sql files, or folders of them`,
        );
      }
      const rows: [string, string, string, string][] = [];
      const problems: string[] = [];
      for (const file of files) {
        const loaded = await loadStrategy(file);
        if ('error' in loaded) {
          problems.push(loaded.error.message);
          continue;
        }
        const { name, scenario, expect, description } = loaded.strategy;
        rows.push([name, scenario, verdictSummary(expect), description ?? '']);
      }
      for (const line of alignColumns(rows)) io.out(line);
      for (const problem of problems) io.err(`oversold: ${problem.replace(/\s*\n\s*/g, ' ')}`);
      if (problems.length > 0) setExit(2);
    });
};

addCommand(installListCommand);

/** Pads every column but the last to its widest cell. */
function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
