import { StrategyLoadError } from '../engine/errors.ts';

export interface SqlHeader {
  name?: string;
  description?: string;
  scenario?: string;
  expect?: Record<string, boolean>;
}

/**
 * Reads a `.sql` strategy's metadata from `-- @key value` comment lines:
 * `-- @name`, `-- @description`, `-- @scenario`, `-- @expect no-oversell=false`.
 */
export function parseSqlHeader(text: string, file: string): SqlHeader {
  const header: SqlHeader = {};
  for (const line of text.split('\n')) {
    const match = /^\s*--\s*@(\w+)\s+(.*?)\s*$/.exec(line);
    if (!match) continue;
    const [, key, value] = match as unknown as [string, string, string];
    if (key === 'name' || key === 'description' || key === 'scenario') {
      header[key] = value;
    } else if (key === 'expect') {
      header.expect ??= {};
      for (const pair of value.split(/[,\s]+/).filter(Boolean)) {
        const [property, verdict] = pair.split('=');
        if (!property || (verdict !== 'true' && verdict !== 'false')) {
          throw new StrategyLoadError(
            file,
            `'-- @expect ${value}' is not understood: write '-- @expect no-oversell=false'`,
          );
        }
        header.expect[property] = verdict === 'true';
      }
    }
  }
  return header;
}
