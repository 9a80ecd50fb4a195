import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf } from './shard.ts';

describe('parseShard', () => {
  it('reads INDEX/COUNT, counting from 1', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard('4/4')).toEqual({ index: 4, count: 4 });
    expect(parseShard(' 2 / 3 ')).toEqual({ index: 2, count: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
  });

  it('refuses anything else in one line that says how to write it', () => {
    const cases: [string, string][] = [
      ['0/4', '--shard 0/4: the index counts from 1; write e.g. --shard 1/4'],
      ['5/4', '--shard 5/4: the index is above the count; use 1/4 to 4/4'],
      ['1/0', '--shard 1/0: the count goes from 1 to 10000; write e.g. --shard 1/4'],
      ['2', "--shard takes INDEX/COUNT, as in --shard 1/4; got '2'"],
      ['a/b', "--shard takes INDEX/COUNT, as in --shard 1/4; got 'a/b'"],
      ['-1/4', "--shard takes INDEX/COUNT, as in --shard 1/4; got '-1/4'"],
      ['1.5/4', "--shard takes INDEX/COUNT, as in --shard 1/4; got '1.5/4'"],
    ];
    for (const [text, message] of cases) expect(() => parseShard(text), text).toThrow(message);
  });
});

describe('shardOf', () => {
  it('assigns the same names to the same shards on every machine and every run', () => {
    // sha256("alice") starts 2bd806c97f0e: 0x2bd806c97f0e % 4 = 2, shard 3.
    // These are pinned: changing the hash would split a running class differently.
    const expected: Record<string, [number, number]> = {
      alice: [3, 2],
      bob: [3, 1],
      carol: [4, 1],
      dave: [2, 1],
      erin: [3, 3],
      frank: [2, 3],
      José: [2, 1],
      小明: [2, 2],
      "o'brien-2": [4, 2],
    };
    for (const [name, [ofFour, ofThree]] of Object.entries(expected)) {
      expect(shardOf(name, 4), name).toBe(ofFour);
      expect(shardOf(name, 3), name).toBe(ofThree);
      expect(shardOf(name, 1), name).toBe(1);
    }
  });

  test.prop([
    fc.uniqueArray(fc.string({ unit: 'grapheme' }), { maxLength: 60 }),
    fc.integer({ min: 1, max: 9 }),
  ])('the shards of a run partition any list of names: each name in exactly one', (names, count) => {
    const shards = Array.from({ length: count }, (_, at) => ({ index: at + 1, count }));
    const taken = shards.flatMap((shard) => names.filter((name) => inShard(name, shard)));
    expect([...taken].sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(shards.filter((shard) => inShard(name, shard))).toHaveLength(1);
    }
  });

  it('spreads a class over the shards', () => {
    const names = Array.from({ length: 400 }, (_, at) => `student-${at}`);
    const sizes = [1, 2, 3, 4].map(
      (index) => names.filter((name) => inShard(name, { index, count: 4 })).length,
    );
    // 100 expected in each; a hash this poor would put a shard below 60.
    for (const size of sizes) expect(size).toBeGreaterThan(60);
  });
});
