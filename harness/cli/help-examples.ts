import type { Command } from 'commander';
import { oversoldCommand } from './command-name.ts';

/** Two or three commands per subcommand, shown under its --help, that work as printed. */
const examples: Record<string, readonly string[]> = {
  check: [
    'oversold check                      # every strategy under ./strategies, default ranges',
    'oversold check src/purchase.ts --runs 500 --seed 42',
    'oversold check strategies --quantity 1..3 --junit report.xml --html report.html',
  ],
  replay: [
    'oversold replay strategies/naive-read-modify-write.ts --schedule "1 2 1 1 2 2" --capacity 1 --buyers 2',
    'oversold replay src/purchase.ts --schedule "1 2 2 1" --capacity 2 --buyers 2 --quantity 1,2',
    'oversold replay src/purchase.ts --schedule "1 2 1 2" --capacity 1 --buyers 2 --compare report.json',
  ],
  explore: [
    'oversold explore strategies/select-for-update.ts --buyers 2 --capacity 1',
    'oversold explore strategies --buyers 3 --capacity 2 --preemptions 2',
    'oversold explore src/purchase.ts --buyers 3 --capacity 2 --time-limit 60s --jobs 2',
  ],
  spec: [
    'oversold spec path/to/deadlock-simple.spec',
    'oversold spec specs/*.spec --database-url postgresql://postgres@localhost:5432/postgres',
  ],
  bench: [
    'oversold bench strategies/guarded-update.ts --concurrency 1,8 --duration 2s',
    'oversold bench --purchases 2000 --json bench.json --svg bench.svg',
    'oversold bench src/purchase.ts --concurrency 1,8,32 --no-ceiling --no-pgbench',
  ],
  list: ['oversold list', 'oversold list strategies/inventory'],
  'merge-reports': [
    'oversold merge-reports shard-1.json shard-2.json shard-3.json shard-4.json --csv grades.csv --json grades.json',
    'oversold merge-reports shards/*.json --feedback feedback --html class.html',
    'oversold merge-reports linux.json macos.json --junit report.xml --markdown summary.md',
  ],
};

/**
 * Each subcommand's examples under its --help, written as the user must type
 * them (`npx oversold` unless oversold is on PATH); and defaults shown as they
 * are typed: `1,8,32`, not `[1,8,32]`.
 */
export function addHelpExamples(program: Command, env: Readonly<Record<string, string | undefined>>): void {
  for (const command of program.commands) {
    for (const option of command.options) {
      if (Array.isArray(option.defaultValue) && option.defaultValueDescription === undefined) {
        option.defaultValueDescription = option.defaultValue.join(',');
      }
    }
    for (const argument of command.registeredArguments) {
      if (Array.isArray(argument.defaultValue) && argument.defaultValueDescription === undefined) {
        argument.defaultValueDescription = argument.defaultValue.join(' ');
      }
    }
    const lines = examples[command.name()];
    if (!lines) continue;
    // A function: PATH is looked at only when the help is shown.
    command.addHelpText('after', () => {
      const typed = oversoldCommand(env);
      return `\nExamples:\n${lines.map((line) => `  ${typed}${line.slice('oversold'.length)}`).join('\n')}`;
    });
  }
}
