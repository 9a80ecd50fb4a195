import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oversoldCommand } from './command-name.ts';

const ownBin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oversold-command-name-'));
  for (const name of ['ours', 'theirs', 'node_modules/.bin']) {
    await mkdir(join(folder, name), { recursive: true });
  }
  await symlink(ownBin, join(folder, 'ours', 'oversold'));
  await symlink(ownBin, join(folder, 'node_modules/.bin', 'oversold'));
  // Another program of the same name: not this package's bin.
  await writeFile(join(folder, 'theirs', 'oversold'), '#!/bin/sh\n');
  await chmod(join(folder, 'theirs', 'oversold'), 0o755);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('oversoldCommand: how a printed command must be typed', () => {
  it('is oversold when this package’s bin is on PATH', () => {
    expect(oversoldCommand({ PATH: join(folder, 'ours') })).toBe('oversold');
  });

  it('is npx oversold when it is not, or when PATH has another oversold', () => {
    expect(oversoldCommand({ PATH: '' })).toBe('npx oversold');
    expect(oversoldCommand({ PATH: join(folder, 'theirs') })).toBe('npx oversold');
  });

  it('does not count the node_modules/.bin that npx or npm run put on PATH', () => {
    const bin = join(folder, 'node_modules/.bin');
    expect(oversoldCommand({ PATH: bin, npm_command: 'exec' })).toBe('npx oversold');
    expect(oversoldCommand({ PATH: bin })).toBe('oversold');
  });
});
