import { searchedText } from '../../reports/console-report.ts';
import type { CheckReport } from '../check/report-model.ts';
import type { GradeReport, SubmissionGrade } from './grade-model.ts';
import { byCodePoint } from './submissions.ts';

/**
 * The gradebook of a sharded run from the report of each shard (`oversold
 * grade --shard i/n --json`): every shard of one assignment, each once, no
 * student twice. `sources` names the reports in errors (their files).
 */
export function mergeGradeReports(
  reports: readonly GradeReport[],
  sources: readonly string[] = [],
): GradeReport {
  const named = reports.map((report, at) => ({ report, name: sources[at] ?? `report ${at + 1}` }));
  const [first, ...rest] = named;
  if (!first) throw new Error('no grade reports to merge: give the JSON report of every shard');
  const shardOf = (report: GradeReport) => report.shard ?? { index: 1, count: 1 };
  const count = shardOf(first.report).count;
  for (const { report, name } of rest) {
    const { assignment } = report;
    if (assignment.fingerprint !== first.report.assignment.fingerprint) {
      throw new Error(
        `${name} grades another assignment than ${first.name} ('${assignment.title}', sha256 ${assignment.fingerprint.slice(0, 12)}… against '${first.report.assignment.title}', ${first.report.assignment.fingerprint.slice(0, 12)}…): merge the shards of one assignment file`,
      );
    }
    if (assignment.seed !== first.report.assignment.seed) {
      throw new Error(
        `${name} was graded with seed ${assignment.seed}, ${first.name} with seed ${first.report.assignment.seed}: merge the shards of one run`,
      );
    }
    if (shardOf(report).count !== count) {
      throw new Error(
        `${name} is ${shardText(report)} but ${first.name} is ${shardText(first.report)}: merge the shards of one run (the same --shard count)`,
      );
    }
  }
  const byIndex = new Map<number, string>();
  for (const { report, name } of named) {
    const { index } = shardOf(report);
    const earlier = byIndex.get(index);
    if (earlier !== undefined && report.shard === null) {
      throw new Error(
        `${earlier} and ${name} are whole runs (graded without --shard): merge the reports of one --shard i/n run`,
      );
    }
    if (earlier !== undefined)
      throw new Error(`shard ${index}/${count} is given twice: ${earlier} and ${name}`);
    byIndex.set(index, name);
  }
  const missing = Array.from({ length: count }, (_, at) => at + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) {
    const list = missing.map((index) => `${index}/${count}`);
    const words = list.length === 1 ? `shard ${list[0]} is missing` : `shards ${list.join(', ')} are missing`;
    throw new Error(`${words}: give the JSON report of every shard, 1/${count} to ${count}/${count}`);
  }
  for (const { report, name } of rest) {
    const { database } = report;
    if (
      database.serverVersion !== first.report.database.serverVersion ||
      database.source !== first.report.database.source
    ) {
      throw new Error(
        `${name} ran on PostgreSQL ${database.serverVersion} (${database.source}), ${first.name} on ${first.report.database.serverVersion} (${first.report.database.source}): grade every shard on the same PostgreSQL`,
      );
    }
    if (report.sandbox !== first.report.sandbox) {
      throw new Error(
        `${name} confined student code with ${report.sandbox}, ${first.name} with ${first.report.sandbox}: grade every shard the same way`,
      );
    }
  }
  const owner = new Map<string, string>();
  for (const { report, name } of named) {
    for (const submission of report.submissions) {
      const earlier = owner.get(submission.student);
      if (earlier !== undefined) {
        throw new Error(
          `student ${submission.student} is in both ${earlier} and ${name}: give each shard's report once, all from one run`,
        );
      }
      owner.set(submission.student, name);
    }
  }
  return {
    ...first.report,
    shard: null,
    submissions: named.flatMap(({ report }) => report.submissions).sort(byStudent),
    durationMs: named.reduce((total, { report }) => total + report.durationMs, 0),
  };
}

/** The order `oversold grade` lists submissions in: by student name, compared by UTF-16 code units. */
export function byStudent(a: SubmissionGrade, b: SubmissionGrade): number {
  return byCodePoint(a.student, b.student);
}

/**
 * One check report from several (`oversold check --json` on several machines):
 * the strategies in the order given, passed when every report passed. The
 * checks must have drawn the same cases (same seed and ranges) on the same
 * PostgreSQL, or the merged report would claim a search no run made.
 */
export function mergeCheckReports(
  reports: readonly CheckReport[],
  sources: readonly string[] = [],
): CheckReport {
  const named = reports.map((report, at) => ({ report, name: sources[at] ?? `report ${at + 1}` }));
  const [first, ...rest] = named;
  if (!first) throw new Error('no check reports to merge: give the files written by oversold check --json');
  for (const { report, name } of rest) {
    if (report.seed !== first.report.seed) {
      throw new Error(
        `${name} used seed ${report.seed ?? 'none (a replay)'}, ${first.name} seed ${first.report.seed ?? 'none (a replay)'}: merge reports of checks run with the same --seed`,
      );
    }
    const searched = report.searched ? searchedText(report.searched) : 'nothing generated';
    const firstSearched = first.report.searched ? searchedText(first.report.searched) : 'nothing generated';
    if (searched !== firstSearched) {
      throw new Error(
        `${name} searched ${searched}, ${first.name} ${firstSearched}: merge reports of checks run with the same ranges and --runs`,
      );
    }
    const { database } = report;
    if (
      database.serverVersion !== first.report.database.serverVersion ||
      database.source !== first.report.database.source
    ) {
      throw new Error(
        `${name} ran on PostgreSQL ${database.serverVersion} (${database.source}), ${first.name} on ${first.report.database.serverVersion} (${first.report.database.source}): merge reports of checks on the same PostgreSQL`,
      );
    }
  }
  const owner = new Map<string, string>();
  for (const { report, name } of named) {
    for (const strategy of report.strategies) {
      const earlier = owner.get(strategy.file);
      if (earlier !== undefined) {
        throw new Error(`${strategy.file} is checked in both ${earlier} and ${name}: give each report once`);
      }
      owner.set(strategy.file, name);
    }
  }
  return {
    ...first.report,
    passed: named.every(({ report }) => report.passed),
    strategies: named.flatMap(({ report }) => report.strategies),
  };
}

function shardText(report: GradeReport): string {
  return report.shard ? `shard ${report.shard.index}/${report.shard.count}` : 'not sharded';
}
