import { relative } from 'node:path';

/** An assignment file that cannot be used; the message is one line: file, field path, what to write. */
export class AssignmentError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AssignmentError';
    this.file = file;
  }
}

export type Json = Record<string, unknown>;

/** Builds the one-line errors: `assignment.json: tests[2].points: must be …; write e.g. "points": 4`. */
export class Checker {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  error(message: string, cause?: unknown): AssignmentError {
    return new AssignmentError(
      this.file,
      `${this.file}: ${message}`,
      cause === undefined ? undefined : { cause },
    );
  }

  fail(path: string, problem: string, fix: string): never {
    throw this.error(`${path === '' ? 'the top level' : path}: ${problem}; ${fix}`);
  }

  object(value: unknown, path: string, example: string): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, `must be an object (got ${got(value)})`, `write e.g. ${example}`);
    }
    return value as Json;
  }

  text(value: unknown, path: string, example: string): string {
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(
        path,
        `must be a non-empty string (got ${got(value)})`,
        `write e.g. "${key(path)}": "${example}"`,
      );
    }
    return value as string;
  }

  whole(value: unknown, path: string, min: number, max: number, example: number, or = ''): number {
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `from ${min}` : `from ${min} to ${max}`;
      this.fail(
        path,
        `must be a whole number ${range}${or} (got ${got(value)})`,
        `write e.g. "${key(path)}": ${example}`,
      );
    }
    return value as number;
  }

  oneOf<Choice extends string>(value: unknown, path: string, choices: readonly Choice[]): Choice {
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      this.fail(
        path,
        `must be one of ${choices.join(', ')} (got ${got(value)})`,
        `write e.g. "${key(path)}": "${choices[0]}"`,
      );
    }
    return value as Choice;
  }

  /** Unknown keys are errors, so that a typo (`"pionts"`) cannot pass silently. */
  onlyFields(object: Json, path: string, known: readonly string[]): void {
    const stranger = Object.keys(object).find((field) => !known.includes(field));
    if (stranger === undefined) return;
    const near = known.find((field) => distance(field.toLowerCase(), stranger.toLowerCase()) <= 2);
    this.fail(
      path === '' ? stranger : `${path}.${stranger}`,
      'unknown field',
      near ? `did you mean "${near}"?` : `remove it, or use one of ${known.join(', ')}`,
    );
  }
}

/** `tests[0].points` → `points`, for "write e.g. "points": 4". */
function key(path: string): string {
  return (
    path
      .split('.')
      .at(-1)
      ?.replace(/\[\d+\]$/, '') ?? path
  );
}

/** Levenshtein distance, for "did you mean" on a misspelt field. */
function distance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row++) {
    const current = [row];
    for (let column = 1; column <= right.length; column++) {
      const substitution = previous[column - 1]! + (left[row - 1] === right[column - 1] ? 0 : 1);
      current.push(Math.min(previous[column]! + 1, current[column - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length]!;
}

/** The offending value as written in the file, kept to one short line. */
export function got(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') || fromHere === '' ? path : fromHere;
}

export function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
