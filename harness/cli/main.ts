import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { defaultCaseRanges, formatRange } from '../../properties/case-ranges.ts';
import { PROPERTY_NAMES, type PropertyName } from '../../properties/property-names.ts';
import type { ReportFiles } from '../../reports/report-files.ts';
import type { CheckReport } from '../check/report-model.ts';
import { type DatabaseSource, DatabaseUnavailableError } from '../database/started-database.ts';
import { packageRootUrl } from '../package-files.ts';
import { addHelpExamples } from './help-examples.ts';
import {
  databaseChoice,
  parseDbSource,
  parsePgVersion,
  parsePositive,
  parseProperties,
  parseQuantities,
  parseRange,
  parseSchedule,
  parseSeed,
} from './options.ts';
import { wantsColor } from './terminal-color.ts';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly width: number;
  readonly color: boolean;
}

/** Extra commands (list, bench) add themselves here. */
export type CommandInstaller = (program: Command, io: CliIo, setExit: (code: number) => void) => void;
const installers: CommandInstaller[] = [];
export function addCommand(installer: CommandInstaller): void {
  installers.push(installer);
}

interface CommonOptions {
  databaseUrl?: string;
  db?: DatabaseSource;
  pgVersion?: number;
  timeout: number;
  properties?: PropertyName[];
  json?: string;
  junit?: string;
  markdown?: string;
  html?: string;
}

const defaultIo = (): CliIo => ({
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  width: process.stdout.columns ?? 120,
  color: wantsColor(process.env, Boolean(process.stdout.isTTY)),
});

/** Runs the command line; resolves to the exit status (0 holds, 1 a property fails, 2 unusable). */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command('oversold')
    .description('Finds overselling races in purchase code on a real PostgreSQL.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .showSuggestionAfterError(true);

  const common = (command: Command): Command =>
    command
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
      .option('--html <file>', 'write a self-contained HTML report');

  common(
    program
      .command('check')
      .description('check strategies: files, or folders of them')
      .argument('[paths...]', 'strategy files or folders', ['strategies'])
      .option(
        '--runs <n>',
        'generated cases per strategy and property',
        parsePositive('--runs', 1_000_000),
        100,
      )
      .option('--seed <n>', 'fast-check seed; the same seed gives the same cases', parseSeed)
      .addOption(
        new Option('--capacity <range>', 'initial stock range')
          .argParser(parseRange('--capacity', 0, 1_000_000))
          .default(defaultCaseRanges.capacity, formatRange(defaultCaseRanges.capacity)),
      )
      .addOption(
        new Option('--buyers <range>', 'buyers per case')
          .argParser(parseRange('--buyers', 1, 32))
          .default(defaultCaseRanges.buyers, formatRange(defaultCaseRanges.buyers)),
      )
      .addOption(
        new Option('--quantity <range>', 'units per buyer')
          .argParser(parseRange('--quantity', 1, 1_000_000))
          .default(defaultCaseRanges.quantity, formatRange(defaultCaseRanges.quantity)),
      )
      .option(
        '--isolate',
        "untrusted strategies: each buyer's code in a bubblewrap sandbox of its own, its SQL as a role of no rights",
      )
      .option(
        '--unsafe-no-sandbox',
        '--isolate without bubblewrap: child processes with your rights (trusted code)',
      )
      .option(
        '--max-memory <mb>',
        "heap limit of the thread that checks each strategy, in MB (its code runs out of memory there, not in oversold's)",
        parsePositive('--max-memory', 65_536),
        1024,
      )
      .option(
        '--jobs <k>',
        'strategies checked at once, each in a worker thread of its own; results still print in path order',
        parsePositive('--jobs', 64),
        1,
      ),
  ).action(async (paths: string[], options: CommonOptions & Record<string, never>) => {
    const opts = options as unknown as CommonOptions & {
      runs: number;
      seed?: number;
      capacity: { min: number; max: number };
      buyers: { min: number; max: number };
      quantity: { min: number; max: number };
      isolate?: boolean;
      unsafeNoSandbox?: boolean;
      maxMemory: number;
      jobs: number;
    };
    const {
      exitCodeOf,
      formatStrategyReport,
      formatSummary,
      oversoldCommand,
      preflightReportFiles,
      progressBar,
      reportFileLines,
      runCheck,
      writeReportFiles,
    } = await import('./command-runtime.ts');
    await preflightReportFiles(reportFiles(opts));
    // The one place randomness enters: a fresh seed when none is given, always printed.
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31) | 0;
    const shown = { width: io.width, color: io.color, command: oversoldCommand(io.env) };
    const progress = progressBar(opts.runs);
    let report: CheckReport;
    try {
      report = await runCheck({
        paths,
        database: database(opts, io),
        runs: opts.runs,
        seed,
        ranges: { capacity: opts.capacity, buyers: opts.buyers, quantity: opts.quantity },
        properties: opts.properties ?? [...PROPERTY_NAMES],
        timeoutMs: opts.timeout,
        ...(opts.isolate ? { isolate: true } : {}),
        ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
        memoryLimitMb: opts.maxMemory,
        jobs: opts.jobs,
        onStrategy: (file, index, total) => progress.strategy(file, index, total),
        onInterleaving: () => progress.tick(),
        // Each verdict as soon as its strategy is checked; the summary waits for them all.
        onReport: (strategy) => progress.print(() => io.out(formatStrategyReport(strategy, shown))),
      });
    } finally {
      progress.stop();
    }
    if (report.strategies.length === 0) {
      io.err(
        `oversold: no strategy files under ${paths.join(', ')}: give .ts, .mts, .js, .mjs or .sql files, or folders of them`,
      );
      setExit(2);
      return;
    }
    await writeReportFiles(reportFiles(opts), report);
    const written = reportFileLines(reportFiles(opts));
    if (written.length > 0) io.out(['', ...written].join('\n'));
    io.out(formatSummary(report, shown));
    setExit(exitCodeOf(report));
  });

  common(
    program
      .command('replay')
      .description('re-run one interleaving and print its trace')
      .argument('<file>', 'the strategy file')
      .requiredOption(
        '--schedule <buyers>',
        'buyer released at each decision, as in "1 2 1 1 2 2"',
        parseSchedule,
      )
      // Required unless --case gives the whole case (checked in the action).
      .option('--capacity <n>', 'initial stock', parsePositive('--capacity', 1_000_000))
      .option('--buyers <n>', 'number of buyers', parsePositive('--buyers', 32))
      .option(
        '--quantity <n|list>',
        'units per buyer: one number, or one per buyer (2,1,1)',
        parseQuantities,
        [1],
      )
      .option(
        '--case <json>',
        'the whole case as JSON, for scenarios with several stocks (inventory, your own schema)',
        parseCaseJson,
      )
      .option('--isolate', "run each buyer's code in a child process of its own (as check --isolate)")
      .option(
        '--compare <report.json>',
        "compare the run with the counterexample recorded in a check's JSON report; say where it first differs",
      ),
  ).action(async (file: string, options: Record<string, unknown>, command: Command) => {
    const opts = options as unknown as CommonOptions & {
      compare?: string;
      schedule: number[];
      capacity?: number;
      buyers?: number;
      quantity: number[];
      case?: unknown;
      isolate?: boolean;
    };
    if (opts.case === undefined) {
      for (const flag of ['capacity', 'buyers'] as const) {
        if (opts[flag] === undefined) {
          command.error(`error: required option '--${flag} <n>' not specified`, {
            exitCode: 2,
            code: 'commander.missingMandatoryOptionValue',
          });
        }
      }
      const buyers = opts.buyers ?? 0;
      const stranger = opts.schedule.find((id) => id > buyers);
      if (stranger !== undefined) {
        throw new UsageError(
          `--schedule names buyer ${stranger}, but --buyers is ${buyers}: raise --buyers or fix the schedule`,
        );
      }
      if (opts.quantity.length !== 1 && opts.quantity.length !== buyers) {
        throw new UsageError(
          `--quantity lists ${opts.quantity.length} numbers for ${buyers} buyers: give one, or one per buyer`,
        );
      }
    }
    const {
      exitCodeOf,
      formatCheckReport,
      oversoldCommand,
      preflightReportFiles,
      recordedTrace,
      renderTimeline,
      reportFileLines,
      runReplay,
      writeReportFiles,
    } = await import('./command-runtime.ts');
    await preflightReportFiles(reportFiles(opts));
    const recorded = opts.compare ? await recordedTrace(opts.compare, file, opts.schedule) : undefined;
    const { report, run, partialTrace } = await runReplay({
      file,
      schedule: opts.schedule,
      capacity: opts.capacity ?? 0,
      buyers: opts.buyers ?? 0,
      quantities: opts.quantity,
      ...(opts.case !== undefined ? { case: opts.case } : {}),
      database: database(opts, io),
      properties: opts.properties ?? [...PROPERTY_NAMES],
      timeoutMs: opts.timeout,
      ...(opts.isolate ? { isolate: true } : {}),
      ...(recorded ? { recorded } : {}),
    });
    if (partialTrace) {
      const buyers = [...new Set(partialTrace.map((event) => event.buyer))].sort((a, b) => a - b);
      io.out(`${report.strategies[0]?.name}: the run up to where the schedule could not be followed`);
      io.out('');
      for (const line of renderTimeline(partialTrace, buyers, io.width)) io.out(line);
      io.out('');
    }
    // A failing property prints its counterexample, timeline included: print the timeline only once.
    const failing = report.strategies.some((strategy) =>
      strategy.properties.some((property) => !property.passed),
    );
    if (run && !failing) {
      const buyers = run.kase.buyers.map((buyer) => buyer.id);
      io.out(`${report.strategies[0]?.name}: schedule "${run.decisions.join(' ')}"`);
      io.out('');
      for (const line of renderTimeline(run.trace, buyers, io.width)) io.out(line);
      io.out('');
    }
    await writeReportFiles(reportFiles(opts), report);
    const written = reportFileLines(reportFiles(opts));
    if (written.length > 0) io.out(written.join('\n'));
    io.out(formatCheckReport(report, { width: io.width, color: io.color, command: oversoldCommand(io.env) }));
    setExit(exitCodeOf(report));
  });

  for (const install of installers) install(program, io, setExit);
  addHelpExamples(program, io.env);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is a usage error.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' ? 0 : 2;
    }
    io.err(`oversold: ${oneLine(error)}`);
    return 2;
  }
  return exitCode;
}

/** A bad combination of arguments: exit status 2, one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function database(opts: CommonOptions, io: CliIo): { db?: DatabaseSource; url?: string; pgVersion?: number } {
  const choice = databaseChoice(opts, io.env);
  if (opts.db === 'url' && !choice.url) {
    throw new DatabaseUnavailableError('--db url needs a URL: pass --database-url or set DATABASE_URL');
  }
  return choice;
}

/** `--case '<json>'`: parsed here, checked by the strategy's scenario. */
function parseCaseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(
      `--case takes the case as JSON, as the counterexample's replay command prints it (${(error as Error).message})`,
    );
  }
}

function reportFiles(opts: CommonOptions): ReportFiles {
  return { json: opts.json, junit: opts.junit, markdown: opts.markdown, html: opts.html };
}

function packageVersion(): string {
  const manifest = createRequire(import.meta.url)(fileURLToPath(new URL('package.json', packageRootUrl))) as {
    version: string;
  };
  return manifest.version;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
