import { describe, expect, it } from 'vitest';
import { sampleGradeReport, sampleSubmissions } from '../../test/fixtures/grade/sample-grade-report.ts';
import type { CheckReport, StrategyReport } from '../check/report-model.ts';
import type { GradeReport, SubmissionGrade } from './grade-model.ts';
import { byStudent, mergeCheckReports, mergeGradeReports } from './merge-reports.ts';
import { inShard } from './shard.ts';

/** A class of 40 from the four sample submissions, in the order `grade` lists them. */
function classReport(): GradeReport {
  const { alice, bob, carol, dave } = sampleSubmissions;
  const kinds = [alice, bob, carol, dave];
  const names = Array.from(
    { length: 40 },
    (_, at) => `${['Zoë', 'ana', 'Ben', 'émile', 'kim'][at % 5]}-${at}`,
  );
  const submissions: SubmissionGrade[] = names.map((student, at) => ({
    ...(kinds[at % kinds.length] ?? alice),
    student,
    durationMs: 1000 + at,
  }));
  return sampleGradeReport(submissions.sort(byStudent));
}

/** What `oversold grade --shard i/n` on the same class would have written. */
function shards(report: GradeReport, count: number): GradeReport[] {
  return Array.from({ length: count }, (_, at) => {
    const shard = { index: at + 1, count };
    const submissions = report.submissions.filter((submission) => inShard(submission.student, shard));
    return {
      ...report,
      shard,
      submissions,
      durationMs: submissions.reduce((total, submission) => total + submission.durationMs, 0),
    };
  });
}

describe('mergeGradeReports', () => {
  it('gives back the unsharded report from its shards, in any order', () => {
    const whole = classReport();
    for (const count of [1, 2, 3, 4, 7]) {
      const parts = shards(whole, count);
      expect(mergeGradeReports(parts), `${count} shards`).toEqual(whole);
      expect(mergeGradeReports([...parts].reverse()), `${count} shards reversed`).toEqual(whole);
    }
  });

  it('sorts students by UTF-16 code units, as grade does: capitals before lower case, accents last', () => {
    const merged = mergeGradeReports(shards(classReport(), 3));
    const firsts = [...new Set(merged.submissions.map((submission) => submission.student.split('-')[0]))];
    expect(firsts).toEqual(['Ben', 'Zoë', 'ana', 'kim', 'émile']);
  });

  it('takes a shard with no student (a small class on many machines)', () => {
    const whole = sampleGradeReport();
    const parts = shards(whole, 4);
    expect(parts.map((part) => part.submissions.length)).toContain(0);
    expect(mergeGradeReports(parts)).toEqual(whole);
  });

  it('sums the durations and clears the shard', () => {
    const parts = shards(classReport(), 3).map((part, at) => ({ ...part, durationMs: 1000 * (at + 1) }));
    const merged = mergeGradeReports(parts);
    expect(merged.durationMs).toBe(6000);
    expect(merged.shard).toBeNull();
  });

  it('refuses in one line what does not come from one sharded run', () => {
    const parts = shards(classReport(), 4);
    const [one, two, three, four] = parts as [GradeReport, GradeReport, GradeReport, GradeReport];
    const files = ['s1.json', 's2.json', 's3.json', 's4.json'];
    const other = {
      ...two,
      assignment: { ...two.assignment, title: 'Inventory', fingerprint: 'ab'.repeat(32) },
    };
    const alice = sampleSubmissions.alice;
    const cases: [GradeReport[], string][] = [
      [[one, two, four], 'shard 3/4 is missing: give the JSON report of every shard, 1/4 to 4/4'],
      [[one, four], 'shards 2/4, 3/4 are missing: give the JSON report of every shard, 1/4 to 4/4'],
      [[one, two, two, three, four], 'shard 2/4 is given twice: s2.json and s3.json'],
      [
        [one, other, three, four],
        "s2.json grades another assignment than s1.json ('Inventory', sha256 abababababab… against 'Tickets: the last seat', f00dfeedf00d…): merge the shards of one assignment file",
      ],
      [
        [one, { ...two, shard: { index: 2, count: 3 } }],
        's2.json is shard 2/3 but s1.json is shard 1/4: merge the shards of one run (the same --shard count)',
      ],
      [
        [one, { ...two, shard: null }],
        's2.json is not sharded but s1.json is shard 1/4: merge the shards of one run (the same --shard count)',
      ],
      [
        [one, { ...two, assignment: { ...two.assignment, seed: 7 } }, three, four],
        's2.json was graded with seed 7, s1.json with seed 42: merge the shards of one run',
      ],
      [
        [one, two, { ...three, database: { source: 'url', serverVersion: '17.2' } }, four],
        's3.json ran on PostgreSQL 17.2 (url), s1.json on 18.1 (embedded): grade every shard on the same PostgreSQL',
      ],
      [
        [one, two, three, { ...four, sandbox: 'none' }],
        's4.json confined student code with none, s1.json with bubblewrap: grade every shard the same way',
      ],
      [
        [{ ...one, submissions: [...one.submissions, alice] }, two, three, { ...four, submissions: [alice] }],
        'student alice is in both s1.json and s4.json: give each shard',
      ],
      [
        [sampleGradeReport(), sampleGradeReport()],
        's1.json and s2.json are whole runs (graded without --shard): merge the reports of one --shard i/n run',
      ],
      [[], 'no grade reports to merge: give the JSON report of every shard'],
    ];
    for (const [reports, message] of cases) {
      expect(
        () => mergeGradeReports(reports, files.slice(0, reports.length).concat('s5.json')),
        message,
      ).toThrow(message);
    }
    // Without file names, reports are counted from 1.
    expect(() => mergeGradeReports([one, two, four])).toThrow('shard 3/4 is missing');
    expect(() => mergeGradeReports([one, other])).toThrow('report 2 grades another assignment than report 1');
  });
});

function strategy(name: string, passed: boolean, error: string | null = null): StrategyReport {
  return {
    name,
    file: `/repo/strategies/${name}.ts`,
    description: null,
    scenario: 'tickets',
    passed,
    error,
    interleavings: 12,
    durationMs: 300,
    properties: [{ name: 'no-oversell', passed, asExpected: passed, counterexample: null }],
  };
}

function checkReport(strategies: StrategyReport[]): CheckReport {
  return {
    passed: strategies.every((candidate) => candidate.passed),
    seed: 42,
    searched: {
      capacity: { min: 1, max: 3 },
      buyers: { min: 2, max: 3 },
      quantity: { min: 1, max: 2 },
      runs: 100,
      seed: 42,
    },
    database: { source: 'embedded', serverVersion: '18.1' },
    strategies,
  };
}

describe('mergeCheckReports', () => {
  it('concatenates the strategies in the order given; passed only when every report passed', () => {
    const a = checkReport([strategy('guarded-update', true), strategy('select-for-update', true)]);
    const b = checkReport([strategy('naive', false)]);
    const merged = mergeCheckReports([b, a]);
    expect(merged.strategies.map((candidate) => candidate.name)).toEqual([
      'naive',
      'guarded-update',
      'select-for-update',
    ]);
    expect(merged.passed).toBe(false);
    expect(mergeCheckReports([a, checkReport([strategy('atomic', true)])]).passed).toBe(true);
    expect(mergeCheckReports([a])).toEqual(a);
  });

  it('equals the check of all the strategies at once', () => {
    const all = checkReport([strategy('a', true), strategy('b', false), strategy('c', true, 'did not load')]);
    const parts = [checkReport(all.strategies.slice(0, 1)), checkReport(all.strategies.slice(1))];
    expect(mergeCheckReports(parts)).toEqual(all);
  });

  it('refuses reports of checks that drew different cases or ran elsewhere', () => {
    const a = checkReport([strategy('a', true)]);
    const b = checkReport([strategy('b', true)]);
    const files = ['a.json', 'b.json'];
    const cases: [CheckReport[], string][] = [
      [
        [a, { ...b, seed: 7 }],
        'b.json used seed 7, a.json seed 42: merge reports of checks run with the same --seed',
      ],
      [
        [a, { ...b, searched: { ...a.searched!, runs: 500 } }],
        'b.json searched capacity 1..3, buyers 2..3, quantity 1..2, 500 runs, seed 42, a.json capacity 1..3, buyers 2..3, quantity 1..2, 100 runs, seed 42: merge reports of checks run with the same ranges and --runs',
      ],
      [
        [a, { ...b, database: { source: 'container', serverVersion: '16.4' } }],
        'b.json ran on PostgreSQL 16.4 (container), a.json on 18.1 (embedded): merge reports of checks on the same PostgreSQL',
      ],
      [[a, a], '/repo/strategies/a.ts is checked in both a.json and b.json: give each report once'],
      [[], 'no check reports to merge'],
    ];
    for (const [reports, message] of cases)
      expect(() => mergeCheckReports(reports, files), message).toThrow(message);
  });

  it('merges replays, which have no seed, with each other', () => {
    const replay = (name: string): CheckReport => {
      const { searched: _searched, ...rest } = checkReport([strategy(name, false)]);
      return { ...rest, seed: null };
    };
    const merged = mergeCheckReports([replay('a'), replay('b')]);
    expect(merged.seed).toBeNull();
    expect(merged.searched).toBeUndefined();
    expect(merged.strategies).toHaveLength(2);
  });
});
