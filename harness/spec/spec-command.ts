import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { addCommand, type CommandInstaller, UsageError } from '../cli/main.ts';
import { parseDbSource, parsePositive } from '../cli/options.ts';
import type { DatabaseSource } from '../database/started-database.ts';
import { parsePreemptions, parseTimeLimit } from '../explore/explore-command.ts';

interface SpecOptions {
  databaseUrl?: string;
  db?: DatabaseSource;
  timeout: number;
  explore?: boolean;
  reduction: boolean;
  preemptions: number | null;
  maxInterleavings?: number;
  timeLimit?: number;
}

/** The options that only mean something with --explore. */
const EXPLORE_ONLY = ['reduction', 'preemptions', 'maxInterleavings', 'timeLimit'] as const;
const FLAG: Record<(typeof EXPLORE_ONLY)[number], string> = {
  reduction: '--no-reduction',
  preemptions: '--preemptions',
  maxInterleavings: '--max-interleavings',
  timeLimit: '--time-limit',
};

/**
 * `oversold spec FILE.spec...`: runs PostgreSQL isolationtester specs through
 * the engine and prints exactly what isolationtester prints; with --explore,
 * explores the orders of the steps and prints each distinct outcome once.
 * Exit 0 when every spec ran, 2 when one is unsupported or cannot be read.
 */
export const installSpecCommand: CommandInstaller = (program, io, setExit) => {
  program
    .command('spec')
    .description(
      "run PostgreSQL isolation test specs through oversold's engine; prints what isolationtester prints",
    )
    .argument('<files...>', 'isolationtester spec files (.spec)')
    .option(
      '--database-url <url>',
      "PostgreSQL to use (also read from DATABASE_URL); expected outputs of the suite are PostgreSQL 15's",
    )
    .addOption(
      new Option('--db <source>', 'where PostgreSQL comes from: embedded, container or url').argParser(
        parseDbSource,
      ),
    )
    .option(
      '--timeout <ms>',
      'longest one step may take (isolationtester waits 300 s)',
      parsePositive('--timeout', 3_600_000),
      300_000,
    )
    .option(
      '--explore',
      "explore the orders of the sessions' steps with reduction and print each distinct outcome once (permutation lines are not used)",
    )
    .option('--no-reduction', 'with --explore: brute force, every order of the steps')
    .addOption(
      new Option('--preemptions <k|all>', 'with --explore: most preemptions per interleaving')
        .argParser(parsePreemptions)
        .default(null, 'all'),
    )
    .option(
      '--max-interleavings <n>',
      'with --explore: stop after this many interleavings',
      parsePositive('--max-interleavings'),
    )
    .option(
      '--time-limit <time>',
      'with --explore: start no interleaving after this long, as in 60s or 5m',
      parseTimeLimit,
    )
    .action(async (files: string[], options: SpecOptions, command: Command) => {
      if (!options.explore) {
        const given = EXPLORE_ONLY.find((name) => command.getOptionValueSource(name) === 'cli');
        if (given) throw new UsageError(`${FLAG[given]} is an option of --explore: add --explore`);
      }
      // Loaded when the command runs, so that --help starts fast.
      const { parseSpec, SpecSyntaxError } = await import('./spec-parser.ts');
      const { runSpec } = await import('./run-spec.ts');
      const { exploreSpec } = await import('./explore-spec.ts');
      const { startDatabase } = await import('../database/start-database.ts');
      const specs = [];
      for (const file of files) {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          throw new UsageError(
            `cannot read ${file} (${(error as NodeJS.ErrnoException).code}): give an isolationtester .spec file`,
          );
        }
        try {
          specs.push({ file, spec: parseSpec(text) });
        } catch (error) {
          if (error instanceof SpecSyntaxError)
            throw new UsageError(`${file}: ${error.message}: fix the spec`);
          throw error;
        }
      }
      const url = options.databaseUrl ?? io.env.DATABASE_URL;
      await using database = await startDatabase({
        ...(options.db ? { db: options.db } : {}),
        ...(url ? { url } : {}),
      });
      let warned = false;
      for (const { file, spec } of specs) {
        if (options.explore && spec.permutations.length > 0) {
          io.err(
            `oversold: ${file}: --explore does not use the spec's ${spec.permutations.length} permutation line${spec.permutations.length === 1 ? '' : 's'}: it explores every order of the sessions' steps`,
          );
        }
        const result = options.explore
          ? await exploreSpec(spec, {
              url: database.url,
              timeoutMs: options.timeout,
              reduction: options.reduction,
              preemptionBound: options.preemptions,
              maxInterleavings: options.maxInterleavings ?? null,
              timeLimitMs: options.timeLimit ?? null,
              now: () => performance.now(),
            })
          : await runSpec(spec, { url: database.url, timeoutMs: options.timeout });
        if (result.serverMajor !== 15 && !warned && !options.explore) {
          warned = true;
          io.err(
            `oversold: warning: the server runs PostgreSQL ${result.serverVersion}; PostgreSQL's expected outputs for these specs are 15's: pass --database-url naming a PostgreSQL 15 server to compare with them`,
          );
        }
        if (result.output !== '') io.out(result.output.replace(/\n$/, ''));
        if (result.unsupported) {
          io.err(`oversold: ${file}: unsupported: ${result.unsupported}`);
          setExit(2);
        }
      }
    });
};

addCommand(installSpecCommand);
