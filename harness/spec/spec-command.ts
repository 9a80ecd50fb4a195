import { readFile } from 'node:fs/promises';
import { Option } from 'commander';
import { addCommand, type CommandInstaller, UsageError } from '../cli/main.ts';
import { parseDbSource, parsePositive } from '../cli/options.ts';
import type { DatabaseSource } from '../database/started-database.ts';

interface SpecOptions {
  databaseUrl?: string;
  db?: DatabaseSource;
  timeout: number;
}

/**
 * `oversold spec FILE.spec...`: runs PostgreSQL isolationtester specs through
 * the engine and prints exactly what isolationtester prints. Exit 0 when every
 * spec ran, 2 when one is unsupported or cannot be read.
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
    .action(async (files: string[], options: SpecOptions) => {
      // Loaded when the command runs, so that --help starts fast.
      const { parseSpec, SpecSyntaxError } = await import('./spec-parser.ts');
      const { runSpec } = await import('./run-spec.ts');
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
        const result = await runSpec(spec, { url: database.url, timeoutMs: options.timeout });
        if (result.serverMajor !== 15 && !warned) {
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
