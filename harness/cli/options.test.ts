import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseProperties, parseQuantities, parseRange, parseSchedule, parseSeed } from './options.ts';

describe('command-line values', () => {
  it('reads ranges as A..B or N and explains bad ones', () => {
    expect(parseRange('--capacity')('1..3')).toEqual({ min: 1, max: 3 });
    expect(parseRange('--capacity')('2')).toEqual({ min: 2, max: 2 });
    expect(() => parseRange('--capacity')('3..1')).toThrow(
      '--capacity 3..1: the low end is above the high end; write --capacity 1..3',
    );
    expect(() => parseRange('--buyers', 1, 32)('1..99')).toThrow('--buyers 1..99: use numbers from 1 to 32');
    expect(() => parseRange('--capacity')('a-b')).toThrow(InvalidArgumentError);
  });

  it('reads schedules, quantities, seeds and property lists', () => {
    expect(parseSchedule('1 2 1  1 2 2')).toEqual([1, 2, 1, 1, 2, 2]);
    expect(() => parseSchedule('1 x')).toThrow(/--schedule lists buyer numbers/);
    expect(parseQuantities('2,1,1')).toEqual([2, 1, 1]);
    expect(parseSeed('-42')).toBe(-42);
    expect(() => parseSeed('1e9999')).toThrow(/--seed takes a whole number/);
    expect(parseProperties('no-oversell, no-errors,no-oversell')).toEqual(['no-oversell', 'no-errors']);
    expect(() => parseProperties('no-oversel')).toThrow(
      "unknown property 'no-oversel': choose from no-oversell, honest-outcome, no-undersell, no-errors",
    );
  });
});
