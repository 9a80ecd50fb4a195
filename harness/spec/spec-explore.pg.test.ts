import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import { main } from '../cli/main.ts';
import './spec-command.ts';
import { exploreSpec, type SpecExploreResult } from './explore-spec.ts';
import { runSpec } from './run-spec.ts';
import { outcomeSignature } from './spec-outcome.ts';
import { allPermutations, type PermutationStep, parseSpec, type TestSpec } from './spec-parser.ts';

// Tests on the real server (the run's shared PostgreSQL: DATABASE_URL or the embedded one).

const fixtures = join(import.meta.dirname, 'fixtures');
// PostgreSQL's isolation suite (specs/ and expected/), as bench/conformance.ts finds it.
const suite =
  process.env.OVERSOLD_PG_ISOLATION ??
  resolve(import.meta.dirname, '..', '..', '..', 'shared', 'pg-isolation');
const suiteSpecs = join(suite, 'specs');

function fixture(name: string): TestSpec {
  return parseSpec(readFileSync(join(fixtures, `${name}.spec`), 'utf8'));
}

async function explore(spec: TestSpec, reduction: boolean): Promise<SpecExploreResult> {
  const result = await exploreSpec(spec, {
    url: testDatabaseUrl(),
    timeoutMs: 60_000,
    reduction,
    preemptionBound: null,
    maxInterleavings: null,
    timeLimitMs: null,
    now: () => performance.now(),
  });
  expect(result.unsupported).toBeNull();
  expect(result.exploration?.status).toBe('exhausted');
  return result;
}

const signatures = (result: SpecExploreResult): Set<string> =>
  new Set(result.exploration!.outcomes.map((outcome) => outcome.signature));

/** The distinct outcomes of running `permutations` with the permutation runner (oversold spec without --explore). */
async function permuted(spec: TestSpec, permutations: readonly (readonly PermutationStep[])[]) {
  const seen = new Set<string>();
  let runs = 0;
  const result = await runSpec(
    { ...spec, permutations },
    {
      url: testDatabaseUrl(),
      timeoutMs: 60_000,
      onPermutation: (run) => {
        runs += 1;
        seen.add(outcomeSignature(spec, run));
      },
    },
  );
  expect(result.unsupported).toBeNull();
  return { signatures: seen, runs };
}

/** The brute-force orders, as permutations the permutation runner takes. */
async function bruteForceOrders(spec: TestSpec): Promise<{ result: SpecExploreResult; orders: string[][] }> {
  const orders: string[][] = [];
  const result = await exploreSpec(spec, {
    url: testDatabaseUrl(),
    timeoutMs: 60_000,
    reduction: false,
    preemptionBound: null,
    maxInterleavings: null,
    timeLimitMs: null,
    now: () => performance.now(),
    onInterleaving: (run) => orders.push(run.permutation.map((step) => step.name)),
  });
  expect(result.unsupported).toBeNull();
  expect(result.exploration?.status).toBe('exhausted');
  return { result, orders };
}

const asPermutation = (names: readonly string[]): PermutationStep[] =>
  names.map((name) => ({ name, blockers: [] }));

/**
 * A signature in short: every number a step or the teardown printed, by step
 * (`s1r=0`), steps that printed nothing left out, then `final=N`.
 */
function short(signature: string): string {
  const { sessions, teardown } = JSON.parse(signature) as {
    sessions: { steps: [string, string][] }[];
    teardown: string;
  };
  const numbers = (text: string) => [...text.matchAll(/^ *(-?\d+) *$/gm)].map((match) => match[1]).join(',');
  const steps = sessions
    .flatMap((session) => session.steps)
    .filter(([, printed]) => numbers(printed) !== '')
    .map(([name, printed]) => `${name}=${numbers(printed)}`);
  return [...steps, `final=${numbers(teardown)}`].join(' ');
}

describe('oversold spec --explore: reduction reaches the outcomes of brute force and of every permutation', () => {
  it('two READ COMMITTED increments (UPDATE … SET x = x + 1) have one outcome: x = 2, whatever the order', async () => {
    const spec = fixture('counter-increment');
    const reduced = await explore(spec, true);
    expect([...signatures(reduced)].map(short)).toEqual(['final=2']);
    const { result: brute, orders } = await bruteForceOrders(spec);
    expect(signatures(brute)).toEqual(signatures(reduced));
    expect(reduced.exploration!.interleavings).toBeLessThan(brute.exploration!.interleavings);
    // Brute force runs exactly the orders isolationtester can run: of the
    // 20 orderings of the steps, the others send a step while its session
    // still waits for the other's row lock.
    const feasible: string[] = [];
    for (const permutation of allPermutations(spec)) {
      const result = await runSpec(
        { ...spec, permutations: [permutation] },
        { url: testDatabaseUrl(), timeoutMs: 60_000 },
      );
      if (result.unsupported === null) feasible.push(permutation.map((step) => step.name).join(' '));
      else expect(result.unsupported).toMatch(/is due while session s\d still waits for a lock/);
    }
    expect(allPermutations(spec)).toHaveLength(20);
    expect(feasible.sort()).toEqual(orders.map((order) => order.join(' ')).sort());
    const byPermutation = await permuted(spec, orders.map(asPermutation));
    expect(byPermutation.signatures).toEqual(signatures(reduced));
  });

  it('a read-modify-write (SELECT, then UPDATE with the value read) has three outcomes, one of them the lost update', async () => {
    const spec = fixture('lost-update');
    const reduced = await explore(spec, true);
    expect(new Set([...signatures(reduced)].map(short))).toEqual(
      new Set(['s1r=0 s2r=1 final=2', 's1r=1 s2r=0 final=2', 's1r=0 s2r=0 final=1']),
    );
    const brute = await explore(spec, false);
    expect(signatures(brute)).toEqual(signatures(reduced));
    const byPermutation = await permuted(spec, allPermutations(spec));
    expect(byPermutation.runs).toBe(6);
    expect(byPermutation.signatures).toEqual(signatures(reduced));
  });

  it.each([
    // plain reads in READ COMMITTED commute (sleep sets); BEGIN is local
    ['stock-check', ['s1r=1 s2r=0 final=-1', 's1r=0 s2r=1 final=-1', 's1r=1 s2r=1 final=-1']],
    // a waiting FOR UPDATE commutes with the holder's steps; never oversold
    ['stock-for-update', ['s1l=1 s2l=0 final=0', 's1l=0 s2l=1 final=0']],
  ])(
    '%s: its outcomes, the same with and without reduction and by permutation, in fewer runs',
    async (name, expected) => {
      const spec = fixture(name);
      const reduced = await explore(spec, true);
      expect(new Set([...signatures(reduced)].map(short))).toEqual(new Set(expected));
      const { result: brute, orders } = await bruteForceOrders(spec);
      expect(signatures(brute)).toEqual(signatures(reduced));
      expect(reduced.exploration!.interleavings).toBeLessThan(brute.exploration!.interleavings);
      expect(reduced.exploration!.pruned).toBeGreaterThan(0);
      const byPermutation = await permuted(spec, orders.map(asPermutation));
      expect(byPermutation.signatures).toEqual(signatures(reduced));
    },
  );

  it("replaying an outcome's permutation line prints that outcome", async () => {
    const spec = fixture('stock-check');
    const reduced = await explore(spec, true);
    for (const outcome of reduced.exploration!.outcomes) {
      const replay = await runSpec(
        { ...spec, permutations: [asPermutation(outcome.permutation)] },
        { url: testDatabaseUrl(), timeoutMs: 60_000 },
      );
      expect(replay.output).toBe(
        `Parsed test spec with 2 sessions\n\nstarting permutation: ${outcome.permutation.join(' ')}\n${outcome.printed}`,
      );
    }
  });
});

// Small specs of PostgreSQL's suite. Without permutation lines (isolationtester
// runs every ordering, and none blocks): every ordering is an interleaving.
const withoutPermutations = [
  'classroom-scheduling',
  'fk-contention',
  'index-only-scan',
  'partial-index',
  'project-manager',
  'referential-integrity',
  'ri-trigger',
  'temporal-range-integrity',
  'total-cash',
  'two-ids',
];
// With permutation lines (which --explore does not use) and steps that block:
// reduction prunes (local BEGINs, waiting locking reads); the permutation
// runner runs the orders brute force found.
const withPermutations = ['cluster-conflict', 'fk-partitioned-2', 'update-locked-tuple', 'vacuum-conflict'];

describe.runIf(existsSync(suiteSpecs))('oversold spec --explore on PostgreSQL isolation specs', () => {
  const read = (name: string) => parseSpec(readFileSync(join(suiteSpecs, `${name}.spec`), 'utf8'));

  it.each(withoutPermutations)(
    '%s: reduction, brute force and every permutation reach the same outcomes',
    async (name) => {
      const spec = read(name);
      expect(spec.permutations).toHaveLength(0);
      const reduced = await explore(spec, true);
      const brute = await explore(spec, false);
      expect(signatures(brute)).toEqual(signatures(reduced));
      const all = allPermutations(spec);
      expect(brute.exploration!.interleavings).toBe(all.length);
      const byPermutation = await permuted(spec, all);
      expect(byPermutation.signatures).toEqual(signatures(reduced));
    },
  );

  it.each(withPermutations)(
    '%s: reduction reaches the outcomes of brute force and of its orders run as permutations, in fewer runs',
    async (name) => {
      const spec = read(name);
      const reduced = await explore(spec, true);
      const { result: brute, orders } = await bruteForceOrders(spec);
      expect(signatures(brute)).toEqual(signatures(reduced));
      expect(reduced.exploration!.interleavings).toBeLessThan(brute.exploration!.interleavings);
      const byPermutation = await permuted(spec, orders.map(asPermutation));
      expect(byPermutation.signatures).toEqual(signatures(reduced));
    },
  );
});

if (!existsSync(suiteSpecs)) {
  it.skip(`needs PostgreSQL's isolation suite (specs/ and expected/) in OVERSOLD_PG_ISOLATION or ${suite}`, () => {});
}

describe('oversold spec --explore on the command line', () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['spec', ...args], {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      env: { DATABASE_URL: testDatabaseUrl() },
      width: 100,
      color: false,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints each distinct outcome once with a permutation line, then how the search ended', async () => {
    const { code, out, err } = await run(['--explore', join(fixtures, 'lost-update.spec')]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe('Parsed test spec with 2 sessions');
    expect(lines.filter((line) => line.startsWith('outcome '))).toEqual([
      'outcome 1: permutation "s1r" "s1w" "s2r" "s2w"',
      'outcome 2: permutation "s2r" "s2w" "s1r" "s1w"',
      'outcome 3: permutation "s2r" "s1r" "s1w" "s2w"',
    ]);
    expect(lines.at(-1)).toBe(
      'exhausted: every interleaving checked (6 run, 0 branches pruned); 3 distinct outcomes',
    );
  });

  it('says which limit stopped the search, never more than was run', async () => {
    const { code, out } = await run([
      '--explore',
      '--no-reduction',
      '--max-interleavings',
      '2',
      join(fixtures, 'lost-update.spec'),
    ]);
    expect(code).toBe(0);
    expect(out.split('\n').at(-1)).toBe(
      'not exhausted: stopped at --max-interleavings (2 run, no reduction); 2 distinct outcomes among the interleavings run',
    );
    const bounded = await run(['--explore', '--preemptions', '0', join(fixtures, 'lost-update.spec')]);
    expect(bounded.out.split('\n').at(-1)).toMatch(
      /^not exhausted: preemption bound 0 \(2 run, 0 branches pruned, \d+ beyond the bound\); 2 distinct outcomes among the interleavings run$/,
    );
  });

  it("says on stderr that the spec's permutation lines are not used", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'spec-explore-'));
    const file = join(folder, 'listed.spec');
    writeFileSync(
      file,
      `${readFileSync(join(fixtures, 'lost-update.spec'), 'utf8')}\npermutation s1r s1w s2r s2w\n`,
    );
    const { code, out, err } = await run(['--explore', file]).finally(() =>
      rmSync(folder, { recursive: true, force: true }),
    );
    expect(code).toBe(0);
    expect(err).toBe(
      `oversold: ${file}: --explore does not use the spec's 1 permutation line: it explores every order of the sessions' steps`,
    );
    expect(out.split('\n').at(-1)).toMatch(/; 3 distinct outcomes$/);
  });

  it('refuses an --explore option without --explore, in one line, exit status 2', async () => {
    const { code, err } = await run(['--no-reduction', join(fixtures, 'lost-update.spec')]);
    expect(code).toBe(2);
    expect(err).toMatch(/--no-reduction is an option of --explore: add --explore/);
  });

  it('ends a run whose sessions all wait for a lock that no remaining step releases, as an outcome of its own', async () => {
    const { code, out } = await run(['--explore', join(fixtures, 'advisory-stuck.spec')]);
    expect(code).toBe(0);
    expect(out).toContain(
      '(s2l never completes: it waits for a lock that no remaining step releases; isolationtester would wait until its step timeout)',
    );
    expect(out.split('\n').at(-1)).toBe(
      'exhausted: every interleaving checked (3 run, 0 branches pruned); 2 distinct outcomes',
    );
  });
});
