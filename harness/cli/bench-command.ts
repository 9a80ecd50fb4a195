import { InvalidArgumentError, Option } from 'commander';
import { benchExitCode } from '../bench/bench-report.ts';
import { defaultBenchSettings } from '../bench/bench-settings.ts';
import { type DatabaseSource, DatabaseUnavailableError } from '../database/started-database.ts';
import { addCommand, UsageError } from './main.ts';
import { databaseChoice, parseDbSource, parsePgVersion, parsePositive } from './options.ts';

interface BenchOptions {
  databaseUrl?: string;
  db?: DatabaseSource;
  pgVersion?: number;
  concurrency: number[];
  duration?: number;
  purchases?: number;
  stock: number;
  lastTickets: number;
  bursts: number;
  ceiling?: boolean;
  pgbench?: string | boolean;
  timeout: number;
  json?: string;
  svg?: string;
}

addCommand((program, io, setExit) => {
  program
    .command('bench')
    .description(
      'measure strategies under real, uncontrolled concurrency: throughput, latency, oversold units',
    )
    .argument('[paths...]', 'strategy files or folders (default: the bundled correct strategies)')
    .option('--concurrency <list>', 'concurrent buyers, one level after another', parseLevels, [
      ...defaultBenchSettings.levels,
    ])
    .option('--duration <time>', 'how long each level runs, as in 5s or 300ms (default 5s)', parseDuration)
    .option('--purchases <n>', 'instead of --duration: purchases per level', parsePositive('--purchases'))
    .option(
      '--stock <n>',
      'units of the hot event at the start of each level',
      parsePositive('--stock', 100_000_000),
      defaultBenchSettings.stock,
    )
    .option(
      '--last-tickets <n>',
      'units in each "last tickets" burst',
      parsePositive('--last-tickets', 1_000_000),
      defaultBenchSettings.lastTickets,
    )
    .option(
      '--bursts <n>',
      '"last tickets" bursts per level',
      parsePositive('--bursts', 100_000),
      defaultBenchSettings.bursts,
    )
    // Extras run only when asked for: a short bench stays short.
    .option(
      '--ceiling',
      'also run each level without contention (each buyer on its own event): twice the time',
    )
    .option('--no-ceiling', 'no run without contention (the default)')
    .option(
      '--pgbench [path]',
      'also compare the driver with pgbench at the highest concurrency (pgbench from PATH or /usr/lib/postgresql, or the one given)',
    )
    .option('--no-pgbench', 'no comparison with pgbench (the default)')
    .option(
      '--timeout <ms>',
      'longest one purchase may take before the strategy counts as hung',
      parsePositive('--timeout', 3_600_000),
      defaultBenchSettings.timeoutMs,
    )
    .option('--json <file>', 'write the results as JSON')
    .option('--svg <file>', 'write a chart of throughput against concurrency')
    .option('--database-url <url>', 'PostgreSQL to use (also read from DATABASE_URL)')
    .addOption(
      new Option('--db <source>', 'where PostgreSQL comes from: embedded, container or url').argParser(
        parseDbSource,
      ),
    )
    .option(
      '--pg-version <major>',
      'PostgreSQL major of the embedded server, 13 to 18 (default: the installed one, 18)',
      parsePgVersion,
    )
    .action(async (paths: string[], options: Record<string, unknown>) => {
      const opts = options as unknown as BenchOptions;
      if (opts.duration !== undefined && opts.purchases !== undefined) {
        throw new UsageError('give --duration or --purchases, not both');
      }
      const choice = databaseChoice(opts, io.env);
      if (opts.db === 'url' && !choice.url) {
        throw new DatabaseUnavailableError('--db url needs a URL: pass --database-url or set DATABASE_URL');
      }
      // Loaded only when a bench runs: the charts and pgbench are not needed for --help.
      const [{ runBench }, { formatBenchReport }, { writeBenchFiles }, { benchEstimate }] = await Promise.all(
        [
          import('../bench/run-bench.ts'),
          import('../bench/bench-table.ts'),
          import('../bench/write-bench-files.ts'),
          import('../bench/bench-estimate.ts'),
        ],
      );
      const pgbench = opts.pgbench === undefined ? false : opts.pgbench;
      const report = await runBench({
        ...(paths.length > 0 ? { paths } : {}),
        database: choice,
        settings: {
          levels: opts.concurrency,
          durationMs: opts.duration ?? defaultBenchSettings.durationMs,
          ...(opts.purchases !== undefined ? { purchases: opts.purchases } : {}),
          stock: opts.stock,
          lastTickets: opts.lastTickets,
          bursts: opts.bursts,
          ceiling: opts.ceiling ?? false,
          timeoutMs: opts.timeout,
        },
        // true: look for pgbench; a path: that one; false: not asked for.
        ...(pgbench === true ? {} : { pgbench }),
        onStart: (files, settings) => io.err(benchEstimate(settings, files.length, pgbench !== false)),
        ...(io.color
          ? { onLevel: (name, buyers) => io.err(`measuring ${name} with ${buyers} buyers…`) }
          : {}),
      });
      io.out(formatBenchReport(report, { color: io.color }));
      await writeBenchFiles({ json: opts.json, svg: opts.svg }, report);
      setExit(benchExitCode(report));
    });
});

/** `1,8,32,128` → [1, 8, 32, 128]: whole numbers from 1, each once, in the order given. */
export function parseLevels(value: string): number[] {
  const words = value.split(',').map((word) => word.trim());
  const bad = words.find((word) => !/^\d+$/.test(word) || Number(word) < 1 || Number(word) > 10_000);
  if (bad !== undefined || words.length === 0) {
    throw new InvalidArgumentError(
      `--concurrency takes numbers of buyers from 1 to 10000, separated by commas, as in 1,8,32; got '${bad ?? value}'`,
    );
  }
  return [...new Set(words.map(Number))];
}

/** `5s`, `300ms`, `1.5s`, `2m` → milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim());
  const ms = match
    ? Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm']
    : Number.NaN;
  if (!(ms >= 1 && ms <= 3_600_000)) {
    throw new InvalidArgumentError(
      `--duration takes a time with its unit, from 1ms to 60m, as in 5s or 300ms; got '${value}'`,
    );
  }
  return ms;
}
