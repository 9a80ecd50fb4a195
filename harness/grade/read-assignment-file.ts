import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { defaultExport, importUserModule } from '../strategy/import-user-module.ts';
import { AssignmentError, type Checker, reason } from './assignment-checker.ts';

const moduleExtensions = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

/**
 * The assignment file's bytes (for its fingerprint) and what it holds: the
 * parsed JSON, or a .ts/.js module's default export, not yet checked.
 */
export async function readAssignmentFile(
  file: string,
  at: Checker,
): Promise<{ bytes: Buffer; raw: unknown }> {
  if ((await stat(file).catch(() => null))?.isDirectory()) {
    throw at.error(`is a folder: give the assignment file in it, as in ${join(at.file, 'assignment.json')}`);
  }
  const bytes = await readFile(file).catch((error: unknown) => {
    throw at.error(`cannot read the assignment (${reason(error)}): check the path`, error);
  });
  const raw = moduleExtensions.has(extname(file))
    ? await importAssignment(file, at)
    : parseJson(bytes.toString('utf8').replace(/^\uFEFF/, ''), at);
  return { bytes, raw };
}

async function importAssignment(file: string, at: Checker): Promise<unknown> {
  try {
    return defaultExport(await importUserModule(file, at.file));
  } catch (error) {
    // importUserModule's message already starts with the file.
    throw new AssignmentError(at.file, reason(error), { cause: error });
  }
}

function parseJson(text: string, at: Checker): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around an unexpected token, newlines and all: keep one line.
    const message = (error as Error).message.replace(/, ".*" is not valid JSON$/s, '').replace(/\s+/g, ' ');
    // Node 20 gives an offset; later versions give the line and column themselves.
    const located = message.replace(/at position (\d+)(?! \(line)/, (_, offset: string) => {
      const lines = text.slice(0, Number(offset)).split('\n');
      return `at line ${lines.length} column ${(lines.at(-1)?.length ?? 0) + 1}`;
    });
    throw at.error(`is not valid JSON (${located}): fix the syntax there`, error);
  }
}
