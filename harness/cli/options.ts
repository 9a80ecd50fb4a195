import { InvalidArgumentError } from 'commander';
import type { Range } from '../../properties/case-ranges.ts';
import { isPropertyName, PROPERTY_NAMES, type PropertyName } from '../../properties/property-names.ts';
import type { DatabaseSource } from '../database/started-database.ts';

/** `1..3` or `2` → { min, max }; refuses anything else with the fix. */
export function parseRange(flag: string, low = 1, high = 64): (value: string) => Range {
  return (value) => {
    const match = /^(\d+)(?:\.\.(\d+))?$/.exec(value.trim());
    if (!match) throw new InvalidArgumentError(`${flag} takes A..B or N (whole numbers), as in ${flag} 1..3`);
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : Number(match[2]);
    if (min > max)
      throw new InvalidArgumentError(
        `${flag} ${value}: the low end is above the high end; write ${flag} ${max}..${min}`,
      );
    if (min < low || max > high)
      throw new InvalidArgumentError(`${flag} ${value}: use numbers from ${low} to ${high}`);
    return { min, max };
  };
}

export function parsePositive(flag: string, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`${flag} takes a whole number from 1 to ${max}, not '${value}'`);
    }
    return Number(value);
  };
}

export function parseSeed(value: string): number {
  if (!/^-?\d+$/.test(value.trim()) || Math.abs(Number(value)) > 2 ** 31 - 1) {
    throw new InvalidArgumentError(
      `--seed takes a whole number between -2147483647 and 2147483647, not '${value}'`,
    );
  }
  return Number(value) | 0;
}

export function parseProperties(value: string): PropertyName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.find((name) => !isPropertyName(name));
  if (unknown !== undefined || names.length === 0) {
    throw new InvalidArgumentError(
      `unknown property '${unknown ?? value}': choose from ${PROPERTY_NAMES.join(', ')}`,
    );
  }
  return [...new Set(names)] as PropertyName[];
}

export function parseDbSource(value: string): DatabaseSource {
  if (value === 'embedded' || value === 'container' || value === 'url') return value;
  throw new InvalidArgumentError(`--db takes embedded, container or url, not '${value}'`);
}

/** `"1 2 1 1 2 2"` → [1, 2, 1, 1, 2, 2]. */
export function parseSchedule(value: string): number[] {
  const words = value
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (words.some((word) => !/^\d+$/.test(word) || Number(word) < 1)) {
    throw new InvalidArgumentError(
      `--schedule lists buyer numbers separated by spaces, as in --schedule "1 2 1 1 2 2"; got '${value}'`,
    );
  }
  return words.map(Number);
}

/** `2` or `2,1,1` (one per buyer). */
export function parseQuantities(value: string): number[] {
  const words = value.split(',').map((word) => word.trim());
  if (words.some((word) => !/^\d+$/.test(word) || Number(word) < 1)) {
    throw new InvalidArgumentError(
      `--quantity takes a whole number, or one per buyer as in 2,1,1; got '${value}'`,
    );
  }
  return words.map(Number);
}

/** `--pg-version 15`: a PostgreSQL major the embedded server can run. */
export function parsePgVersion(value: string): number {
  const major = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || major < 13 || major > 18) {
    throw new InvalidArgumentError(
      `--pg-version takes a PostgreSQL major from 13 to 18, as in --pg-version 15; got '${value}'`,
    );
  }
  return major;
}

/**
 * Where the database comes from, from --db, --database-url, DATABASE_URL and
 * --pg-version. --pg-version asks for the embedded server, so it wins over a
 * DATABASE_URL in the environment (not over --database-url on the command line).
 */
export function databaseChoice(
  opts: { readonly db?: DatabaseSource; readonly databaseUrl?: string; readonly pgVersion?: number },
  env: Readonly<Record<string, string | undefined>>,
): { db?: DatabaseSource; url?: string; pgVersion?: number } {
  const url =
    opts.databaseUrl ??
    (opts.pgVersion !== undefined && opts.db === undefined ? undefined : env.DATABASE_URL);
  return {
    ...(opts.db ? { db: opts.db } : {}),
    ...(url ? { url } : {}),
    ...(opts.pgVersion !== undefined ? { pgVersion: opts.pgVersion } : {}),
  };
}
