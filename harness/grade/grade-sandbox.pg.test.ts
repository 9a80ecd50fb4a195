import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Canaries, writeHostileSubmissions } from '../../test/support/hostile-submissions.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import { loadAssignment } from './assignment.ts';
import type { GradeReport, SubmissionGrade } from './grade-model.ts';
import { runGrade } from './run-grade.ts';
import { Sandbox, SandboxUnavailableError } from './sandbox.ts';
import { findSubmissions } from './submissions.ts';

// Students' code attacks the grading machine, the server and the other
// submissions. Every attack must fail, leave nothing changed outside its
// sandbox, and cost only the attacker points; the others grade as if alone.

const sandboxWorks = await Sandbox.open({ memoryMb: 64, cpuSeconds: 10 }).then(
  async (sandbox) => {
    await sandbox.close();
    return true;
  },
  () => false,
);
// .ci/run installs bubblewrap, so in CI this suite always runs.
const skip = !sandboxWorks && process.env.CI !== 'true';

let url: string;
let work: string;
let admin: pg.Client;
let canaries: Canaries;
let canaryTable: string;
let before: { password: string; superusers: string };

const assignmentJson = {
  title: 'Hostile battery',
  scenario: 'tickets',
  seed: 5,
  limits: { timeout: '8s', memoryMb: 96, cpuSeconds: 60, submissionSeconds: 120 },
  tests: [
    {
      id: 'oversell-2',
      name: 'No oversell, two buyers',
      property: 'no-oversell',
      points: 4,
      capacity: '1..2',
      buyers: '2',
      quantity: '1',
      runs: 8,
    },
    {
      id: 'honest-3',
      name: 'Honest outcomes, three buyers',
      property: 'honest-outcome',
      points: 2,
      capacity: '1..2',
      buyers: '3',
      quantity: '1..2',
      runs: 6,
    },
    { id: 'no-errors', name: 'No errors', property: 'no-errors', points: 1, buyers: '2', runs: 4 },
  ],
};

beforeAll(async () => {
  url = testDatabaseUrl();
  work = await mkdtemp(join(tmpdir(), 'oversold-grade-sandbox-'));
  // Wide open on purpose: only the sandbox stands between the students and these files.
  await chmod(work, 0o777);
  const parsed = new URL(url);
  canaries = {
    secretFile: join(work, 'secret.txt'),
    secret: `s3cr3t-${Math.random().toString(36).slice(2)}`,
    keepFile: join(work, 'keep.txt'),
    markerFile: join(work, 'marker'),
    port: Number(parsed.port || 5432),
    socketDir: parsed.searchParams.get('host'),
  };
  await writeFile(canaries.secretFile, canaries.secret, { mode: 0o644 });
  await writeFile(canaries.keepFile, 'unchanged', { mode: 0o666 });
  await chmod(canaries.keepFile, 0o666);
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  canaryTable = `oversold_canary_${process.pid}`;
  await admin.query(`CREATE TABLE ${canaryTable} (value text); INSERT INTO ${canaryTable} VALUES ('intact')`);
  before = await serverState();
});

afterAll(async () => {
  await admin?.query(`DROP TABLE IF EXISTS ${canaryTable}`).catch(() => {});
  await admin?.end();
  if (work) await rm(work, { recursive: true, force: true });
});

async function serverState(): Promise<{ password: string; superusers: string }> {
  const password = await admin.query(
    "SELECT coalesce(rolpassword, '') AS p FROM pg_authid WHERE rolname = current_user",
  );
  const superusers = await admin.query(
    "SELECT string_agg(rolname, ',' ORDER BY rolname) AS s FROM pg_roles WHERE rolsuper",
  );
  return { password: String(password.rows[0]?.p), superusers: String(superusers.rows[0]?.s) };
}

async function grade(folder: string): Promise<GradeReport> {
  const file = join(work, 'assignment.json');
  await writeFile(file, JSON.stringify(assignmentJson));
  const assignment = await loadAssignment(file);
  return runGrade({
    assignment,
    submissions: await findSubmissions(folder, assignment.entry),
    database: { url },
    jobs: 2,
    shard: null,
    unsafeNoSandbox: false,
  });
}

async function writeHonestPair(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await copyFile('strategies/guarded-update.ts', join(folder, 'good.ts'));
  await copyFile('strategies/naive-read-modify-write.ts', join(folder, 'racy.ts'));
}

/** What a grade says, without timings. */
function comparable(grade: SubmissionGrade | undefined): unknown {
  if (!grade) return undefined;
  return grade.tests.map((test) => ({ id: test.id, score: test.score, output: test.output }));
}

describe.skipIf(skip)('grading hostile submissions in the sandbox', () => {
  let report: GradeReport;
  let alone: GradeReport;
  const byName = (name: string) => report.submissions.find((submission) => submission.student === name)!;

  beforeAll(async () => {
    const everyone = join(work, 'class');
    await writeHonestPair(everyone);
    await writeHostileSubmissions(everyone, canaries);
    const honest = join(work, 'honest');
    await writeHonestPair(honest);
    report = await grade(everyone);
    alone = await grade(honest);
  }, 600_000);

  it('confines student code with bubblewrap', () => {
    expect(report.sandbox).toBe('bubblewrap');
    expect(report.submissions.map((submission) => submission.student)).toContain('opens-sockets');
  });

  it('grades the honest submissions exactly as when they are graded alone', () => {
    for (const name of ['good', 'racy']) {
      expect(comparable(byName(name))).toEqual(comparable(alone.submissions.find((s) => s.student === name)));
    }
    expect(byName('good').score).toBe(byName('good').maxScore);
    expect(byName('racy').tests.find((test) => test.id === 'oversell-2')?.passed).toBe(false);
  });

  it('lets no secret, file, socket or process out: the attacks fail and the strategy grades as correct', async () => {
    const text = JSON.stringify(report);
    expect(text).not.toContain(canaries.secret);
    expect(text).not.toContain('LEAKED');
    expect(text).not.toContain('CONNECTED');
    expect(await readFile(canaries.keepFile, 'utf8')).toBe('unchanged');
    expect(await stat(canaries.markerFile).catch(() => null)).toBeNull();
    expect(await stat('/tmp/oversold-student-was-here').catch(() => null)).toBeNull();
    // Refused, the attack falls through to a correct purchase: full marks, no error.
    for (const name of ['reads-files', 'writes-files', 'spawns', 'opens-sockets']) {
      expect({ name, error: byName(name).error, score: byName(name).score }).toEqual({
        name,
        error: null,
        score: byName(name).maxScore,
      });
    }
  });

  it('leaves the server as it was: no row, role, password or database changed', async () => {
    const canary = await admin.query(`SELECT value FROM ${canaryTable}`);
    expect(canary.rows).toEqual([{ value: 'intact' }]);
    expect(await serverState()).toEqual(before);
    const leftovers = await admin.query(
      `SELECT (SELECT count(*) FROM pg_database WHERE datname LIKE 'oversold\\_${process.pid}\\_%')::int AS databases,
              (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'oversold\\_${process.pid}\\_%')::int AS roles`,
    );
    expect(leftovers.rows[0]).toEqual({ databases: 0, roles: 0 });
  });

  it('scores 0 with a one-line reason each submission that breaks its own process or does not load', () => {
    const reasons: Record<string, RegExp> = {
      'busy-loop': /did not finish|within|CPU|killed/i,
      allocates: /memory|killed/i,
      exits: /exited with code 0/,
      'hangs-at-load': /loading|within/i,
      'copy-to-program': /permission denied|must be superuser|pg_execute_server_program/i,
      'does-not-load': /purchase/,
    };
    for (const [name, reason] of Object.entries(reasons)) {
      const submission = byName(name);
      expect({ name, score: submission.score }).toEqual({ name, score: 0 });
      expect(submission.error, name).toMatch(reason);
      expect(submission.error, name).not.toContain('\n');
    }
  });

  it('refuses what the server would let a superuser do: harness functions, roles, server files', () => {
    const tamper = byName('tampers-with-harness');
    // Every statement was refused; the strategy then bought correctly.
    expect(tamper.error).toBeNull();
    expect(tamper.score).toBe(tamper.maxScore);
    const reader = byName('reads-server-files');
    expect(reader.score).toBeLessThan(reader.maxScore);
    expect(JSON.stringify(reader)).toMatch(/permission denied/);
  });
});

describe('without bubblewrap', () => {
  it('refuses to grade, naming the package to install and the flag that runs without a sandbox', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const error = await Sandbox.open({ memoryMb: 64, cpuSeconds: 10 }).then(
        () => null,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(SandboxUnavailableError);
      expect((error as Error).message).toMatch(/apt-get install bubblewrap/);
      expect((error as Error).message).toMatch(/--unsafe-no-sandbox/);
    } finally {
      process.env.PATH = path;
    }
  });
});
