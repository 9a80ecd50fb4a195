/**
 * `npm run bench:grade [-- --submissions N] [--sources]`: how fast `oversold
 * grade` gets through a class, and what its sandbox costs.
 *
 * Writes N submissions (default 200) copied from the catalogue under student
 * names: correct, racy and broken ones in turn. Grades them with
 * examples/grading/assignment.json (its tests and limits) through runGrade,
 * the code path of `oversold grade`: with --jobs 1 and --jobs 2 in
 * bubblewrap, then --jobs 1 with unsafeNoSandbox. Then plain `oversold check
 * --isolate` and `oversold explore` of the same files with the assignment's
 * ranges, runs, seed and bounds: what grading runs, without the grader.
 *
 * It grades with the compiled package in dist/ (`npm run build` first), as
 * an installed oversold does; `--sources` grades from the TypeScript sources,
 * where each unsandboxed process also compiles the harness. Without the
 * sandbox every process of a TypeScript submission starts tsx to compile it,
 * where the sandbox runs a bundle made once: the bench times one process
 * start each way, which is most of the difference between the two modes.
 * Prints a table, the machine's load before and after, and the server used
 * (DATABASE_URL, else an embedded one). Figures, not assertions.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { redactUrl } from '../harness/database/redact-url.ts';
import { startDatabase } from '../harness/database/start-database.ts';
import type * as StrategyChildModule from '../harness/engine/strategy-child.ts';
import type * as AssignmentModule from '../harness/grade/assignment.ts';
import type { Assignment, GradeReport } from '../harness/grade/grade-model.ts';
import type * as RunGradeModule from '../harness/grade/run-grade.ts';
import type * as SandboxModule from '../harness/grade/sandbox.ts';
import type * as SubmissionsModule from '../harness/grade/submissions.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const ASSIGNMENT = join(repoRoot, 'examples/grading/assignment.json');

/** The oversold that grades: the compiled package (dist/) or the TypeScript sources under tsx. */
interface Build {
  readonly label: string;
  readonly loadAssignment: typeof AssignmentModule.loadAssignment;
  readonly findSubmissions: typeof SubmissionsModule.findSubmissions;
  readonly runGrade: typeof RunGradeModule.runGrade;
  readonly Sandbox: typeof SandboxModule.Sandbox;
  readonly StrategyChild: typeof StrategyChildModule.StrategyChild;
  /** Node's arguments before the CLI's own. */
  readonly cli: readonly string[];
}

async function openBuild(sources: boolean): Promise<Build> {
  const load = async <T>(name: string): Promise<T> =>
    (await import(
      pathToFileURL(join(repoRoot, sources ? '' : 'dist', `harness/${name}.${sources ? 'ts' : 'js'}`)).href
    )) as T;
  const built = sources
    ? null
    : await stat(join(repoRoot, 'dist/harness/grade/run-grade.js')).catch(() => null);
  if (!sources && !built) {
    throw new Error('dist/ has no compiled oversold: run npm run build first, or pass --sources');
  }
  return {
    label: sources
      ? 'the TypeScript sources (tsx)'
      : `the compiled dist/ (built ${built?.mtime.toISOString()})`,
    loadAssignment: (await load<typeof AssignmentModule>('grade/assignment')).loadAssignment,
    findSubmissions: (await load<typeof SubmissionsModule>('grade/submissions')).findSubmissions,
    runGrade: (await load<typeof RunGradeModule>('grade/run-grade')).runGrade,
    Sandbox: (await load<typeof SandboxModule>('grade/sandbox')).Sandbox,
    StrategyChild: (await load<typeof StrategyChildModule>('engine/strategy-child')).StrategyChild,
    cli: sources
      ? ['--conditions=oversold-source', join(repoRoot, 'harness/bin.mjs')]
      : [join(repoRoot, 'dist/harness/cli/bin.js')],
  };
}

/** What a submission of this kind should score: every point, lose an oversell test, none, or lose the no-errors test. */
type Kind = 'correct' | 'racy' | 'broken' | 'throws';
interface Template {
  readonly name: string;
  readonly kind: Kind;
  /** A file of the catalogue to copy (`strategies/<name>.ts` when absent), or a broken submission's text. */
  readonly file?: string;
  readonly text?: string;
}

const defineStrategy = (name: string, purchase: string): string =>
  `import { defineStrategy } from 'oversold';\n\nexport default defineStrategy({\n  name: '${name}',\n${purchase}});\n`;

const templates: readonly Template[] = [
  { name: 'guarded-update', kind: 'correct' },
  { name: 'select-for-update', kind: 'correct' },
  { name: 'plpgsql-lock-first', kind: 'correct', file: 'strategies/plpgsql-lock-first.sql' },
  { name: 'serializable-retry', kind: 'correct' },
  { name: 'naive-read-modify-write', kind: 'racy' },
  { name: 'read-committed-transaction', kind: 'racy' },
  { name: 'guarded-update-ignores-rowcount', kind: 'racy' },
  {
    name: 'syntax-error',
    kind: 'broken',
    text: defineStrategy(
      'syntax-error',
      "  async purchase(db, { eventId }) {\n    await db.query('SELECT 1 FROM events WHERE event_id = $1', [eventId];\n    return 'sold-out';\n  },\n",
    ),
  },
  { name: 'no-purchase', kind: 'broken', text: "export const buy = () => 'purchased';\n" },
  {
    name: 'purchase-throws',
    kind: 'throws',
    text: defineStrategy('purchase-throws', "  async purchase() {\n    throw new Error('TODO');\n  },\n"),
  },
];

interface Figures {
  readonly label: string;
  readonly count: number;
  readonly wallMs: number;
  /** Per submission, in ms: what the report says each took. */
  readonly perSubmission: readonly number[];
  readonly loadAtStart: string;
}

const loadavg = async (): Promise<string> =>
  (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function options(): { submissions: number; sources: boolean } {
  const { values } = parseArgs({
    options: {
      submissions: { type: 'string', default: '200' },
      sources: { type: 'boolean', default: false },
    },
  });
  const submissions = Number(values.submissions);
  if (!Number.isInteger(submissions) || submissions < 1 || submissions > 10_000) {
    throw new Error(`--submissions takes a whole number from 1 to 10000; got '${values.submissions}'`);
  }
  return { submissions, sources: values.sources };
}

/** student-001.ts … in turn from the templates, so every kind is there in the same proportion. */
async function writeClass(folder: string, count: number): Promise<Map<string, Template>> {
  await mkdir(folder, { recursive: true });
  const kinds = new Map<string, Template>();
  for (let index = 0; index < count; index++) {
    const template = templates[index % templates.length]!;
    const student = `student-${String(index + 1).padStart(3, '0')}`;
    if (template.text !== undefined) {
      await writeFile(join(folder, `${student}.ts`), template.text);
    } else {
      const file = template.file ?? `strategies/${template.name}.ts`;
      await copyFile(join(repoRoot, file), join(folder, student + file.slice(file.lastIndexOf('.'))));
    }
    kinds.set(student, template);
  }
  return kinds;
}

interface GradeRun {
  readonly build: Build;
  readonly assignment: Assignment;
  readonly folder: string;
  readonly url: string;
}

async function timeGrade(
  { build, assignment, folder, url }: GradeRun,
  label: string,
  jobs: number,
  unsafeNoSandbox: boolean,
): Promise<{ figures: Figures; report: GradeReport }> {
  const loadAtStart = await loadavg();
  const submissions = await build.findSubmissions(folder, assignment.entry);
  let done = 0;
  const started = performance.now();
  const report = await build.runGrade({
    assignment,
    submissions,
    database: { url },
    jobs,
    shard: null,
    unsafeNoSandbox,
    onGraded: () => {
      done++;
      if (done % 20 === 0) process.stderr.write(`  ${label}: ${done}/${submissions.length}\n`);
    },
  });
  const wallMs = performance.now() - started;
  const perSubmission = report.submissions.map((grade) => grade.durationMs);
  return { figures: { label, count: submissions.length, wallMs, perSubmission, loadAtStart }, report };
}

/** The real CLI (`check` or `explore`) over the folder; the JSON report's time per file. */
async function timeCli(build: Build, args: readonly string[], work: string): Promise<Map<string, number>> {
  const json = join(work, `cli-${Math.random().toString(36).slice(2)}.json`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [...build.cli, ...args, '--json', json], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
  // 1: a property broke (the racy ones), 2: a strategy could not be evaluated (the broken ones).
  if (code === null || code > 2) throw new Error(`oversold ${args.join(' ')} exited with ${code}`);
  const report = JSON.parse(await readFile(json, 'utf8')) as {
    strategies: { file: string; durationMs: number }[];
  };
  return new Map(report.strategies.map((strategy) => [strategy.file, strategy.durationMs]));
}

/** Each generated test as `oversold check`, the explore test as `oversold explore`: what grading runs, without the grader. */
async function timeCheck(
  build: Build,
  assignment: Assignment,
  folder: string,
  url: string,
  work: string,
): Promise<Figures> {
  const loadAtStart = await loadavg();
  const common = ['--database-url', url, '--timeout', String(assignment.limits.timeoutMs)];
  const perFile = new Map<string, number>();
  const started = performance.now();
  for (const test of assignment.tests) {
    const { cases } = test;
    let args: string[];
    if (cases.kind === 'generated') {
      const range = (value: { min: number; max: number }) =>
        value.min === value.max ? String(value.min) : `${value.min}..${value.max}`;
      args = [
        'check',
        folder,
        '--isolate',
        ...['--runs', String(cases.runs), '--seed', String(assignment.seed)],
        ...['--capacity', range(cases.ranges.capacity), '--buyers', range(cases.ranges.buyers)],
        ...['--quantity', range(cases.ranges.quantity), '--properties', test.property],
      ];
    } else if (cases.kind === 'explore') {
      const kase = JSON.stringify(cases.case);
      args = ['explore', folder, '--case', kase, '--properties', test.property, '--symmetry'];
      if (cases.preemptions !== 'all') args.push('--preemptions', String(cases.preemptions));
      args.push('--max-interleavings', String(cases.maxInterleavings));
    } else {
      continue; // one fixed interleaving: `oversold replay` takes one file per run
    }
    process.stderr.write(`  check: ${test.id}\n`);
    for (const [file, ms] of await timeCli(build, [...args, ...common], work)) {
      perFile.set(file, (perFile.get(file) ?? 0) + ms);
    }
  }
  const wallMs = performance.now() - started;
  return {
    label: 'oversold check --isolate + explore',
    count: perFile.size,
    wallMs,
    perSubmission: [...perFile.values()],
    loadAtStart,
  };
}

const STARTS = 5;

/**
 * What one process of a TypeScript submission costs to start, median of
 * STARTS: in the sandbox (bubblewrap, the strategy bundled beforehand) and
 * without it (node, tsx compiling the strategy in each process). Grading
 * starts one per buyer and test, so this is where the two modes differ.
 */
async function timeChildStarts(build: Build, file: string): Promise<{ sandboxed: number; plain: number }> {
  const startsOf = async (launcher: Awaited<ReturnType<SandboxModule.Sandbox['launcherFor']>> | null) => {
    const times: number[] = [];
    for (let start = 0; start < STARTS; start++) {
      const began = performance.now();
      const { child } = await build.StrategyChild.start(file, {
        subject: "the strategy's process",
        timeoutMs: 60_000,
        ...(launcher ? { launcher } : {}),
      });
      times.push(performance.now() - began);
      await child.killed();
    }
    return median(times);
  };
  await using sandbox = await build.Sandbox.open({ memoryMb: 256, cpuSeconds: 60 });
  const launcher = await sandbox.launcherFor(file);
  return { sandboxed: await startsOf(launcher), plain: await startsOf(null) };
}

/** Students whose grade does not fit their kind. */
function surprises(report: GradeReport, kinds: Map<string, Template>): string[] {
  return report.submissions.flatMap((grade) => {
    const template = kinds.get(grade.student);
    const oversellLost = grade.tests.some((test) => test.property === 'no-oversell' && !test.passed);
    const fits = {
      correct: grade.score === grade.maxScore,
      racy: oversellLost,
      broken: grade.score === 0 && grade.error !== null,
      throws: grade.tests.some((test) => test.property === 'no-errors' && !test.passed),
    }[template?.kind ?? 'correct'];
    return fits ? [] : [`${grade.student} (${template?.name}) ${grade.score}/${grade.maxScore}`];
  });
}

const scores = (report: GradeReport): string =>
  JSON.stringify(report.submissions.map((grade) => [grade.student, grade.tests.map((test) => test.score)]));

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => (index === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[index]!)))
    .join('  ');
}

async function main(): Promise<void> {
  const { submissions: count, sources } = options();
  const build = await openBuild(sources);
  const loadBefore = await loadavg();
  const work = await mkdtemp(join(tmpdir(), 'oversold-grade-bench-'));
  try {
    const folder = join(work, 'submissions');
    const kinds = await writeClass(folder, count);
    // The copies import 'oversold'; outside the repository that name resolves here.
    await mkdir(join(work, 'node_modules'));
    await symlink(repoRoot, join(work, 'node_modules', 'oversold'), 'dir');
    const assignment = await build.loadAssignment(ASSIGNMENT);
    const url = process.env.DATABASE_URL;
    await using database = await startDatabase(url ? { url } : { db: 'embedded' });
    const server = url ? `DATABASE_URL ${redactUrl(database.url)}` : 'embedded PostgreSQL';

    const run: GradeRun = { build, assignment, folder, url: database.url };
    const sequential = await timeGrade(run, 'grade --jobs 1', 1, false);
    const parallel = await timeGrade(run, 'grade --jobs 2', 2, false);
    const bare = await timeGrade(run, 'grade --jobs 1 --unsafe-no-sandbox', 1, true);
    const check = await timeCheck(build, assignment, folder, database.url, work);
    const starts = await timeChildStarts(build, join(folder, 'student-001.ts'));
    const loadAfter = await loadavg();

    const all = [sequential.figures, parallel.figures, bare.figures, check];
    const widths = [36, 5, 8, 9, 13, 17];
    const lines = [
      `oversold grade: ${count} submissions (${templates.length} kinds in turn: ${templates.map((t) => t.name).join(', ')})`,
      `assignment ${ASSIGNMENT.slice(repoRoot.length)}: ${assignment.tests.length} tests, timeout ${assignment.limits.timeoutMs} ms, ${assignment.limits.memoryMb} MB, ${assignment.limits.cpuSeconds} CPU s, ${assignment.limits.submissionSeconds} s per submission`,
      `oversold: ${build.label}`,
      `server: ${server}, PostgreSQL ${sequential.report.database.serverVersion}`,
      '',
      row(['mode', 'subs', 'wall s', 'subs/min', 'median s/sub', 'load at start'], widths),
      ...all.map((figures) =>
        row(
          [
            figures.label,
            String(figures.count),
            (figures.wallMs / 1000).toFixed(1),
            ((figures.count / figures.wallMs) * 60_000).toFixed(1),
            (median(figures.perSubmission) / 1000).toFixed(2),
            figures.loadAtStart,
          ],
          widths,
        ),
      ),
      '',
      `sandbox cost per submission (bubblewrap minus --unsafe-no-sandbox, --jobs 1; negative: the sandbox is faster): ${((sequential.figures.wallMs - bare.figures.wallMs) / count / 1000).toFixed(2)} s by wall time, ${((median(sequential.figures.perSubmission) - median(bare.figures.perSubmission)) / 1000).toFixed(2)} s by medians`,
      `one process of a .ts submission starts in ${(starts.sandboxed / 1000).toFixed(2)} s in the sandbox (bundled beforehand), ${(starts.plain / 1000).toFixed(2)} s without (tsx compiles it in each process); median of ${STARTS}`,
      `grading without the sandbox over plain check + explore: ${((median(bare.figures.perSubmission) - median(check.perSubmission)) / 1000).toFixed(2)} s per submission by medians (a database and role each, loading in a child; check has no fixed-schedule test)`,
      `grades as expected (correct: full marks; racy: an oversell test lost; not loading: 0; throwing: no-errors lost): ${surprises(sequential.report, kinds).join('; ') || 'all'}`,
      `same grades with --jobs 2 and without the sandbox: ${scores(sequential.report) === scores(parallel.report) && scores(sequential.report) === scores(bare.report) ? 'yes' : 'NO'}`,
      `load average (1, 5, 15 min) before ${loadBefore}, after ${loadAfter}; ${availableParallelism()} CPUs`,
    ];
    console.log(lines.join('\n'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
