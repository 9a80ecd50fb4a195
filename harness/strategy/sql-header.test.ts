import { describe, expect, it } from 'vitest';
import { StrategyLoadError } from '../engine/errors.ts';
import { parseSqlHeader } from './sql-header.ts';

describe('SQL strategy metadata', () => {
  it('reads name, description, scenario and expectations from comment lines', () => {
    const header = parseSqlHeader(
      '-- @name lock-first\n-- @description Locks, then decides.\n--   @expect no-oversell=false, no-errors=true\nCREATE FUNCTION …',
      'x.sql',
    );
    expect(header).toEqual({
      name: 'lock-first',
      description: 'Locks, then decides.',
      expect: { 'no-oversell': false, 'no-errors': true },
    });
  });

  it('refuses an expectation it cannot read, naming the file and the form', () => {
    expect(() => parseSqlHeader('-- @expect no-oversell', 'x.sql')).toThrow(StrategyLoadError);
    expect(() => parseSqlHeader('-- @expect no-oversell', 'x.sql')).toThrow(
      "x.sql: '-- @expect no-oversell' is not understood: write '-- @expect no-oversell=false'",
    );
  });
});
