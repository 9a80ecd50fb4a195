import { InvalidArgumentError, Option } from 'commander';
import { PROPERTY_NAMES, type PropertyName } from '../../properties/property-names.ts';
import { addCommand, UsageError } from '../cli/main.ts';
import {
  databaseChoice,
  parseDbSource,
  parsePgVersion,
  parsePositive,
  parseProperties,
  parseQuantities,
} from '../cli/options.ts';
import { type DatabaseSource, DatabaseUnavailableError } from '../database/started-database.ts';
import type { ExploreReport } from './run-explore.ts';

interface ExploreOptions {
  buyers?: number;
  capacity?: number;
  quantity: number[];
  case?: unknown;
  preemptions: number | null;
  maxInterleavings?: number;
  timeLimit?: number;
  reduction: boolean;
  symmetry?: boolean;
  jobs: number;
  isolate?: boolean;
  unsafeNoSandbox?: boolean;
  pgVersion?: number;
  databaseUrl?: string;
  db?: DatabaseSource;
  timeout: number;
  properties?: PropertyName[];
  json?: string;
  junit?: string;
  markdown?: string;
  html?: string;
}

addCommand((program, io, setExit) => {
  program
    .command('explore')
    .description(
      'run every interleaving of one case (reduced, optionally bounded), or say what stopped the search',
    )
    .argument('[paths...]', 'strategy files or folders', ['strategies'])
    .option('--buyers <n>', 'number of buyers', parsePositive('--buyers', 32))
    .option('--capacity <n>', 'initial stock', parsePositive('--capacity', 1_000_000))
    .option(
      '--quantity <n|list>',
      'units per buyer: one number, or one per buyer (2,1,1)',
      parseQuantities,
      [1],
    )
    .option(
      '--case <json>',
      'the whole case as JSON, for scenarios with several stocks (as replay takes it)',
      parseCaseJson,
    )
    .addOption(
      new Option('--preemptions <k|all>', 'most preemptions per interleaving')
        .argParser(parsePreemptions)
        .default(null, 'all'),
    )
    .option(
      '--max-interleavings <n>',
      'stop after this many interleavings',
      parsePositive('--max-interleavings'),
    )
    .option(
      '--time-limit <time>',
      'stop starting new interleavings after this long, as in 60s or 5m',
      parseTimeLimit,
    )
    .option('--no-reduction', 'brute force: branch on every ready buyer at every decision')
    .option(
      '--symmetry',
      'treat buyers with equal requests as interchangeable (only if the code ignores buyer ids)',
    )
    .option('--jobs <k>', 'parallel workspaces exploring disjoint subtrees', parsePositive('--jobs', 64), 1)
    .option(
      '--isolate',
      "untrusted strategies: each buyer's code in a sandboxed child process, its SQL as a role of no rights",
    )
    .option('--unsafe-no-sandbox', '--isolate without bubblewrap (child processes with your rights)')
    .option(
      '--pg-version <major>',
      'PostgreSQL major of the embedded server, 13 to 18 (default: the installed one, 18)',
      parsePgVersion,
    )
    .option('--database-url <url>', 'PostgreSQL to use (also read from DATABASE_URL)')
    .addOption(
      new Option('--db <source>', 'where PostgreSQL comes from: embedded, container or url').argParser(
        parseDbSource,
      ),
    )
    .option(
      '--timeout <ms>',
      'longest one buyer may take on one step before the run fails as hung',
      parsePositive('--timeout', 3_600_000),
      10_000,
    )
    .option('--properties <list>', `which properties (${PROPERTY_NAMES.join(', ')})`, parseProperties)
    .option('--json <file>', 'write the JSON report')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--markdown <file>', 'write a Markdown summary')
    .option('--html <file>', 'write a self-contained HTML report')
    .action(async (paths: string[], options: Record<string, unknown>) => {
      const opts = options as unknown as ExploreOptions;
      if (opts.case === undefined) {
        if (opts.buyers === undefined || opts.capacity === undefined) {
          throw new UsageError(
            "explore needs the case: give --buyers N and --capacity C (or --case '<json>')",
          );
        }
        if (opts.quantity.length !== 1 && opts.quantity.length !== opts.buyers) {
          throw new UsageError(
            `--quantity lists ${opts.quantity.length} numbers for ${opts.buyers} buyers: give one, or one per buyer`,
          );
        }
      }
      // Loaded when the command runs, so that --help and --version start fast.
      const [
        { toJson, writeReportFile },
        { preflightReportFiles, writeReportFiles },
        { exitCodeOf },
        { formatExploreReport },
        { runExplore },
      ] = await Promise.all([
        import('../../reports/json-report.ts'),
        import('../../reports/report-files.ts'),
        import('../check/report-model.ts'),
        import('./explore-console.ts'),
        import('./run-explore.ts'),
      ]);
      const files = { junit: opts.junit, markdown: opts.markdown, html: opts.html };
      await preflightReportFiles({ ...files, json: opts.json });
      const database = databaseChoice(opts, io.env);
      if (opts.db === 'url' && !database.url) {
        throw new DatabaseUnavailableError('--db url needs a URL: pass --database-url or set DATABASE_URL');
      }
      const report = await runExplore({
        paths,
        database,
        ...(opts.isolate ? { isolate: true } : {}),
        ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
        capacity: opts.capacity ?? 0,
        buyers: opts.buyers ?? 0,
        quantities: opts.quantity,
        ...(opts.case !== undefined ? { case: opts.case } : {}),
        properties: opts.properties ?? [...PROPERTY_NAMES],
        timeoutMs: opts.timeout,
        preemptionBound: opts.preemptions,
        maxInterleavings: opts.maxInterleavings ?? null,
        timeLimitMs: opts.timeLimit ?? null,
        reduction: opts.reduction,
        symmetry: opts.symmetry ?? false,
        jobs: opts.jobs,
      });
      if (report.strategies.length === 0) {
        throw new UsageError(
          `no strategy files under ${paths.join(', ')}: give .ts, .mts, .js, .mjs or .sql files, or folders of them`,
        );
      }
      io.out(formatExploreReport(report, { width: io.width, color: io.color }));
      await writeReportFiles(files, report);
      if (opts.json) {
        await writeReportFile(opts.json, `${JSON.stringify(exploreJson(report, toJson), null, 2)}\n`);
      }
      setExit(exitCodeOf(report));
    });
});

/** The check's JSON report, with each strategy's `exploration` beside its verdicts. */
export function exploreJson(report: ExploreReport, toJson: (report: ExploreReport) => unknown): unknown {
  const json = toJson(report) as { strategies: Record<string, unknown>[] };
  return {
    ...json,
    strategies: json.strategies.map((strategy, index) => ({
      ...strategy,
      exploration: report.strategies[index]?.exploration ?? null,
    })),
  };
}

/** `--preemptions 2` or `--preemptions all`. */
export function parsePreemptions(value: string): number | null {
  if (value === 'all') return null;
  if (!/^\d+$/.test(value) || Number(value) > 1000) {
    throw new InvalidArgumentError(`--preemptions takes a number from 0 to 1000, or all; got '${value}'`);
  }
  return Number(value);
}

/** `60s`, `500ms`, `5m` → milliseconds. */
export function parseTimeLimit(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim());
  const ms = match
    ? Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm']
    : Number.NaN;
  if (!(ms >= 1 && ms <= 24 * 3_600_000)) {
    throw new InvalidArgumentError(
      `--time-limit takes a time with its unit, as in 60s, 500ms or 5m; got '${value}'`,
    );
  }
  return ms;
}

/** `--case '<json>'`: parsed here, checked by the strategy's scenario. */
function parseCaseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(
      `--case takes the case as JSON, as a counterexample's replay command prints it (${(error as Error).message})`,
    );
  }
}
