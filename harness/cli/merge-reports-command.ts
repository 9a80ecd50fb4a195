import { readFile } from 'node:fs/promises';
import type { ReportFiles } from '../../reports/report-files.ts';
import type { CheckReport, PropertyReport, StrategyReport } from '../check/report-model.ts';
import type { GradeReport } from '../grade/grade-model.ts';
import { addCommand, UsageError } from './main.ts';

interface MergeOptions {
  json?: string;
  html?: string;
  junit?: string;
  markdown?: string;
  csv?: string;
  feedback?: string;
  showHidden?: boolean;
  gradescope?: string;
  prairielearn?: string;
  githubClassroom?: string | true;
}

type ReadReport = { kind: 'grade'; report: GradeReport } | { kind: 'check'; report: CheckReport };

/** Options only one kind of report has, with the words for the error when given the other kind. */
const gradeOnly = ['csv', 'feedback', 'showHidden', 'gradescope', 'prairielearn', 'githubClassroom'] as const;
const checkOnly = ['junit', 'markdown'] as const;
const flags: Record<(typeof gradeOnly)[number] | (typeof checkOnly)[number], string> = {
  csv: '--csv',
  feedback: '--feedback',
  showHidden: '--show-hidden',
  gradescope: '--gradescope',
  prairielearn: '--prairielearn',
  githubClassroom: '--github-classroom',
  junit: '--junit',
  markdown: '--markdown',
};

/** `oversold merge-reports FILE...`: one report from the JSON reports of several runs (the shards of a grade, checks on several machines). */
addCommand((program, io, setExit) => {
  program
    .command('merge-reports')
    .description(
      "merge JSON reports into one: the shards of 'oversold grade --shard i/n', or checks run on several machines",
    )
    .argument('<files...>', "JSON reports written by 'oversold grade --json' or 'oversold check --json'")
    .option('--json <file>', 'write the merged JSON report')
    .option('--html <file>', 'write the merged HTML report (for grade reports: the gradebook)')
    .option('--junit <file>', 'check reports: write a JUnit XML report')
    .option('--markdown <file>', 'check reports: write a Markdown summary')
    .option('--csv <file>', 'grade reports: write the gradebook as CSV')
    .option('--feedback <dir>', "grade reports: write each student's feedback, one Markdown file each")
    .option('--show-hidden', 'grade reports: feedback and platform results show hidden and unreleased tests')
    .option(
      '--gradescope <path>',
      "grade reports: Gradescope's results.json (a folder: <student>/results.json each)",
    )
    .option(
      '--prairielearn <path>',
      "grade reports: PrairieLearn's results.json (a folder: <student>/results.json each)",
    )
    .option(
      '--github-classroom [path]',
      "grade reports: the classroom reporter's result (no path: appended to $GITHUB_OUTPUT)",
    )
    .action(async (files: string[], options: Record<string, unknown>) => {
      const opts = options as MergeOptions;
      const read: ReadReport[] = [];
      for (const file of files) read.push(await readReport(file));
      const kinds = new Set(read.map((entry) => entry.kind));
      if (kinds.size > 1) {
        const grade = files[read.findIndex((entry) => entry.kind === 'grade')];
        const check = files[read.findIndex((entry) => entry.kind === 'check')];
        throw new UsageError(
          `${grade} is a grade report but ${check} is a check report: merge reports of one kind`,
        );
      }
      const { mergeCheckReports, mergeGradeReports } = await import('../grade/merge-reports.ts');
      if (read[0]?.kind === 'grade') {
        refuse(opts, checkOnly, 'check', 'grade', '--json, --csv, --html, --feedback');
        const reports = read.flatMap((entry) => (entry.kind === 'grade' ? [entry.report] : []));
        const merged = mergeGradeReports(reports, files);
        const [{ writeGradeOutputs }, { writePlatformOutputs }] = await Promise.all([
          import('../grade/grade-outputs.ts'),
          import('../grade/platform-outputs.ts'),
        ]);
        const written = [
          ...(await writeGradeOutputs(merged, {
            json: opts.json,
            csv: opts.csv,
            html: opts.html,
            feedback: opts.feedback,
            showHidden: opts.showHidden,
          })),
          ...(await writePlatformOutputs(
            merged,
            {
              gradescope: opts.gradescope,
              prairielearn: opts.prairielearn,
              githubClassroom: opts.githubClassroom,
              showHidden: opts.showHidden,
            },
            io.env,
          )),
        ];
        for (const line of written) io.out(line);
        io.out(gradeSummary(merged, reports.length));
        return;
      }
      refuse(opts, gradeOnly, 'grade', 'check', '--json, --junit, --markdown, --html');
      const reports = read.flatMap((entry) => (entry.kind === 'check' ? [entry.report] : []));
      const merged = mergeCheckReports(reports, files);
      const [{ preflightReportFiles, reportFileLines, writeReportFiles }, { formatSummary }, { exitCodeOf }] =
        await Promise.all([
          import('../../reports/report-files.ts'),
          import('../../reports/console-report.ts'),
          import('../check/report-model.ts'),
        ]);
      const reportFiles: ReportFiles = {
        json: opts.json,
        junit: opts.junit,
        markdown: opts.markdown,
        html: opts.html,
      };
      await preflightReportFiles(reportFiles);
      await writeReportFiles(reportFiles, merged);
      for (const line of reportFileLines(reportFiles)) io.out(line);
      io.out(`merged ${reports.length} check reports: ${merged.strategies.length} strategies`);
      io.out(formatSummary(merged, { color: io.color }).trimStart());
      setExit(exitCodeOf(merged));
    });
});

function refuse(
  opts: MergeOptions,
  names: readonly (keyof typeof flags)[],
  their: string,
  these: string,
  instead: string,
): void {
  const given = names.find((name) => opts[name] !== undefined);
  if (given !== undefined) {
    throw new UsageError(
      `${flags[given]} is for ${their} reports, and these are ${these} reports: write ${instead}`,
    );
  }
}

function gradeSummary(report: GradeReport, merged: number): string {
  const { submissions, assignment } = report;
  const broken = submissions.filter((submission) => submission.error !== null).length;
  const mean =
    submissions.length === 0
      ? 0
      : submissions.reduce((total, submission) => total + submission.score, 0) / submissions.length;
  const evaluated = broken > 0 ? `, ${broken} could not be evaluated` : '';
  return `merged ${merged} grade reports of '${assignment.title}': ${submissions.length} submissions, mean ${Math.round(mean * 100) / 100}/${assignment.maxScore}${evaluated}`;
}

/** Reads one file as a grade report (`kind: "oversold-grade"`) or a check report (`oversold check --json`). */
async function readReport(file: string): Promise<ReadReport> {
  const hint = "give files written by 'oversold grade --json' or 'oversold check --json'";
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new UsageError(`${file}: cannot read it (${reason(error)}): ${hint}`);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not JSON (${reason(error)}): ${hint}`);
  }
  const object = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  if ((object as { kind?: unknown }).kind === 'oversold-grade') {
    const { readGradeReport } = await import('../grade/grade-outputs.ts');
    return { kind: 'grade', report: await readGradeReport(file) };
  }
  const report = checkReportFromJson(object as Record<string, unknown>);
  if (!report) {
    throw new UsageError(
      `${file}: not an oversold report (no "kind": "oversold-grade", no "strategies" list): ${hint}`,
    );
  }
  return { kind: 'check', report };
}

/**
 * The CheckReport a check's JSON report holds (reports/json-report.ts writes
 * `properties` keyed by name), or null when it is not one.
 */
function checkReportFromJson(json: Record<string, unknown>): CheckReport | null {
  const { strategies, database, passed, seed } = json;
  if (!Array.isArray(strategies) || typeof database !== 'object' || database === null) return null;
  if (typeof passed !== 'boolean' || (seed !== null && typeof seed !== 'number')) return null;
  const read: StrategyReport[] = [];
  for (const strategy of strategies as Record<string, unknown>[]) {
    const properties = strategy?.properties;
    if (typeof strategy?.file !== 'string' || typeof properties !== 'object' || properties === null)
      return null;
    read.push({
      ...(strategy as unknown as StrategyReport),
      properties: Object.entries(properties).map(
        ([name, property]) => ({ name, ...(property as object) }) as PropertyReport,
      ),
    });
  }
  return { ...(json as unknown as CheckReport), strategies: read };
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
