import { createHash } from 'node:crypto';

/** One part of a sharded run: `--shard 2/4` → index 2 (from 1) of count 4. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** More machines than this is a typo, not a class. */
const MAX_SHARDS = 10_000;

/**
 * `--shard i/n`: the i-th of n shards, counted from 1, as vitest and Playwright
 * count them. Throws a plain Error, whose message the CLI prints as its one
 * line (commander's InvalidArgumentError thrown from an action would exit 2
 * silently).
 */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) {
    throw new Error(`--shard takes INDEX/COUNT, as in --shard 1/4; got '${text}'`);
  }
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS) {
    throw new Error(
      `--shard ${index}/${count}: the count goes from 1 to ${MAX_SHARDS}; write e.g. --shard 1/4`,
    );
  }
  if (index < 1) {
    throw new Error(`--shard ${index}/${count}: the index counts from 1; write e.g. --shard 1/${count}`);
  }
  if (index > count) {
    throw new Error(
      `--shard ${index}/${count}: the index is above the count; use 1/${count} to ${count}/${count}`,
    );
  }
  return { index, count };
}

/**
 * The shard (from 1) a student belongs to among `count`: the first 6 bytes of
 * sha256 of the name (UTF-8), read as a big-endian number, modulo `count`,
 * plus 1. It depends on the name alone, never on which other submissions a
 * machine sees, so every machine of a run splits the class the same way and
 * a student added later does not move the others.
 */
export function shardOf(student: string, count: number): number {
  const digest = createHash('sha256').update(student, 'utf8').digest();
  return (digest.readUIntBE(0, 6) % count) + 1;
}

/** Whether this shard grades this student. */
export function inShard(student: string, shard: Shard): boolean {
  return shardOf(student, shard.count) === shard.index;
}
