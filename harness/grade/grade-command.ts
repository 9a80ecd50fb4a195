import { basename } from 'node:path';
import { Option } from 'commander';
import { addCommand, type CliIo, UsageError } from '../cli/main.ts';
import { databaseChoice, parseDbSource, parsePgVersion, parsePositive } from '../cli/options.ts';
import type { DatabaseSource } from '../database/started-database.ts';
import type { GradeReport, SubmissionGrade } from './grade-model.ts';

interface GradeOptions {
  assignment?: string;
  jobs: number;
  shard?: string;
  json?: string;
  csv?: string;
  html?: string;
  feedback?: string;
  showHidden?: boolean;
  submission?: string;
  student?: string;
  gradescope?: string | true;
  prairielearn?: string | true;
  githubClassroom?: boolean;
  unsafeNoSandbox?: boolean;
  databaseUrl?: string;
  db?: DatabaseSource;
  pgVersion?: number;
}

/** Where the platforms put one student's files and want the result. */
const platforms = {
  gradescope: { submission: '/autograder/submission', results: '/autograder/results/results.json' },
  prairielearn: { submission: '/grade/student', results: '/grade/results/results.json' },
} as const;

addCommand((program, io, setExit) => {
  program
    .command('grade')
    .description(
      "grade a class's strategies against an assignment, each in a sandbox and a database of its own",
    )
    .argument('[submissions]', 'folder with one file or folder per student (the name is the student)')
    .option('--assignment <file>', 'the assignment: scenario, graded tests and points, reference solution')
    .option('--jobs <k>', 'submissions graded at once', parsePositive('--jobs', 64), 1)
    .option(
      '--shard <i/n>',
      'grade only shard i of n (by a hash of the student name); merge with merge-reports',
    )
    .option('--json <file>', 'write the grade report (what merge-reports reads)')
    .option('--csv <file>', 'write the gradebook: student, score, max, one column per test')
    .option('--html <file>', 'write the class overview: distribution, broken properties, counterexamples')
    .option('--feedback <dir>', "write each student's feedback as <dir>/<student>.md")
    .option('--show-hidden', 'release hidden tests: feedback and platform files show their results')
    .option('--submission <dir>', 'grade this one folder as one submission (a platform run)')
    .option('--student <name>', 'the name of the one submission (default: its folder name)')
    .addOption(
      new Option(
        '--gradescope [results]',
        `Gradescope autograder: grade ${platforms.gradescope.submission}, write results.json`,
      ),
    )
    .addOption(
      new Option(
        '--prairielearn [results]',
        `PrairieLearn external grader: grade ${platforms.prairielearn.submission}, write results.json`,
      ),
    )
    .option('--github-classroom', "GitHub Classroom: append the reporter's result to $GITHUB_OUTPUT")
    .option(
      '--unsafe-no-sandbox',
      "run students' code without bubblewrap, with your rights (trusted code only)",
    )
    .option(
      '--database-url <url>',
      'PostgreSQL to use (also read from DATABASE_URL); needs a superuser or CREATEROLE',
    )
    .addOption(
      new Option('--db <source>', 'where PostgreSQL comes from: embedded, container or url').argParser(
        parseDbSource,
      ),
    )
    .option('--pg-version <major>', 'PostgreSQL major of the embedded server, 13 to 18', parsePgVersion)
    .action(async (folder: string | undefined, opts: GradeOptions) => {
      try {
        setExit(await grade(folder, opts, io));
      } catch (error) {
        // PrairieLearn reads "could not grade" from the results file, not from an exit status.
        if (opts.prairielearn !== undefined) await writeUngradable(opts.prairielearn, error);
        throw error;
      }
    });
});

async function grade(folder: string | undefined, opts: GradeOptions, io: CliIo): Promise<number> {
  if (!opts.assignment) {
    throw new UsageError(
      'grade needs --assignment FILE: the JSON or TypeScript file that says what is graded',
    );
  }
  const platform =
    opts.gradescope !== undefined ? 'gradescope' : opts.prairielearn !== undefined ? 'prairielearn' : null;
  if (opts.gradescope !== undefined && opts.prairielearn !== undefined) {
    throw new UsageError('--gradescope and --prairielearn exclude each other: give one');
  }
  const single = opts.submission ?? (platform ? platforms[platform].submission : undefined);
  if (single && folder) {
    throw new UsageError(
      `grade takes either a folder of submissions (${folder}) or one submission (--submission ${single}), not both`,
    );
  }
  if (!single && !folder) {
    throw new UsageError(
      'grade needs the folder of submissions (one file or folder per student), or --submission DIR',
    );
  }
  // Loaded when the command runs, so that --help starts fast.
  const [
    { loadAssignment },
    { findSubmissions, singleSubmission },
    { runGrade },
    { parseShard },
    outputs,
    platformOutputs,
  ] = await Promise.all([
    import('./assignment.ts'),
    import('./submissions.ts'),
    import('./run-grade.ts'),
    import('./shard.ts'),
    import('./grade-outputs.ts'),
    import('./platform-outputs.ts'),
  ]);
  const shard = opts.shard ? parseShard(opts.shard) : null;
  const assignment = await loadAssignment(opts.assignment);
  const submissions = single
    ? [await singleSubmission(single, opts.student ?? studentName(single, platform), assignment.entry)]
    : await findSubmissions(folder!, assignment.entry);
  if (submissions.length === 0) {
    throw new UsageError(`${folder}: holds no submissions: put one file or folder per student in it`);
  }
  const started = performance.now();
  const report = await runGrade({
    assignment,
    submissions,
    database: databaseChoice(opts, io.env),
    jobs: opts.jobs,
    shard,
    unsafeNoSandbox: opts.unsafeNoSandbox === true,
    onGraded: (submissionGrade) => io.out(gradeLine(submissionGrade)),
  });
  const written = [
    ...(await outputs.writeGradeOutputs(report, {
      ...(opts.json ? { json: opts.json } : {}),
      ...(opts.csv ? { csv: opts.csv } : {}),
      ...(opts.html ? { html: opts.html } : {}),
      ...(opts.feedback ? { feedback: opts.feedback } : {}),
      showHidden: opts.showHidden === true,
    })),
    ...(await platformOutputs.writePlatformOutputs(report, {
      ...(opts.gradescope !== undefined
        ? { gradescope: opts.gradescope === true ? platforms.gradescope.results : opts.gradescope }
        : {}),
      ...(opts.prairielearn !== undefined
        ? { prairielearn: opts.prairielearn === true ? platforms.prairielearn.results : opts.prairielearn }
        : {}),
      ...(opts.githubClassroom ? { githubClassroom: true as const } : {}),
      showHidden: opts.showHidden === true,
    })),
  ];
  for (const line of written) io.out(line);
  io.out(summaryLine(report, performance.now() - started));
  return 0;
}

/** `alice  8/10  (0.9 s)  oversell-3: capacity 1; buyer 1 wants 1, … sold 2 of 1`. */
function gradeLine(grade: SubmissionGrade): string {
  const failed = grade.tests.find((test) => !test.passed);
  const why = grade.error ?? (failed ? `${failed.id}: ${failed.output}` : '');
  const seconds = (grade.durationMs / 1000).toFixed(1);
  return `${grade.student}  ${formatScore(grade.score)}/${formatScore(grade.maxScore)}  (${seconds} s)${why ? `  ${why}` : ''}`;
}

function summaryLine(report: GradeReport, elapsedMs: number): string {
  const scores = report.submissions.map((submission) => submission.score).sort((a, b) => a - b);
  const mean = scores.reduce((sum, score) => sum + score, 0) / Math.max(1, scores.length);
  const median =
    scores.length === 0
      ? 0
      : (scores[Math.floor((scores.length - 1) / 2)]! + scores[Math.ceil((scores.length - 1) / 2)]!) / 2;
  const shard = report.shard ? ` (shard ${report.shard.index}/${report.shard.count})` : '';
  const sandbox = report.sandbox === 'none' ? 'no sandbox (--unsafe-no-sandbox)' : 'sandbox: bubblewrap';
  return `graded ${scores.length} submission${scores.length === 1 ? '' : 's'}${shard} in ${(elapsedMs / 1000).toFixed(1)} s: mean ${formatScore(mean)}/${formatScore(report.assignment.maxScore)}, median ${formatScore(median)}; ${sandbox}; PostgreSQL ${report.database.serverVersion} (${report.database.source})`;
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(1);
}

function studentName(folder: string, platform: 'gradescope' | 'prairielearn' | null): string {
  return platform ? 'submission' : basename(folder.replace(/\/+$/, '')) || 'submission';
}

async function writeUngradable(target: string | true, error: unknown): Promise<void> {
  const [{ prairieLearnUngradable }, { writeReportFile }] = await Promise.all([
    import('./platform-results.ts'),
    import('../../reports/json-report.ts'),
  ]);
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  const file = target === true ? platforms.prairielearn.results : target;
  await writeReportFile(file, `${JSON.stringify(prairieLearnUngradable(reason), null, 2)}\n`).catch(() => {});
}
