import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrategyLoadError } from '../engine/errors.ts';
import { ownModuleUrl } from '../package-files.ts';

const childEntry = fileURLToPath(ownModuleUrl('../engine/isolated-buyer-child', import.meta.url));
const oversoldForStrategies = fileURLToPath(ownModuleUrl('./sandbox-oversold', import.meta.url));

// An ES-module bundle that holds CommonJS code needs a real `require` for Node's own modules.
const requireBanner =
  "import { createRequire as __oversoldRequire } from 'node:module'; const require = __oversoldRequire(import.meta.url);";

/**
 * Writes oversold's child entry as one JavaScript file, so a sandboxed child
 * needs neither tsx (whose compiler runs as a process of its own) nor any
 * folder of the harness: only this file and the submission's bundle.
 */
export async function bundleChildEntry(outfile: string): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [childEntry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The child imports plain JavaScript bundles only; tsx is looked for and not needed.
    external: ['tsx', 'tsx/*', 'pg-native'],
    banner: { js: requireBanner },
    logLevel: 'silent',
    legalComments: 'none',
  });
  await chmod(outfile, 0o644);
}

/**
 * Compiles a student's strategy (TypeScript or JavaScript, with the files and
 * packages it imports) into one ES module, here in the harness, where the
 * compiler may run; the sandboxed child only imports the result. A module
 * that does not compile is a load error with the compiler's file:line:col.
 */
export async function bundleStrategy(file: string, outfile: string): Promise<void> {
  const { build } = await import('esbuild');
  await mkdir(dirname(outfile), { recursive: true, mode: 0o755 });
  try {
    const result = await build({
      entryPoints: [resolve(file)],
      // Messages and source maps name files relative to the submission's folder.
      absWorkingDir: dirname(resolve(file)),
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      alias: { oversold: oversoldForStrategies },
      banner: { js: requireBanner },
      logLevel: 'silent',
    });
    const output = result.outputFiles[0];
    if (!output) throw new Error('esbuild wrote nothing');
    await writeFile(outfile, output.contents, { mode: 0o644 });
  } catch (error) {
    const failure = error as {
      errors?: { text: string; location?: { file: string; line: number; column: number } | null }[];
    };
    const first = failure.errors?.[0];
    const where = first?.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    const reason = first ? `${where}${first.text}` : (error as Error).message;
    throw new StrategyLoadError(
      file,
      `does not compile (${reason}): fix the error so the module can be built`,
      {
        cause: error,
      },
    );
  }
}
