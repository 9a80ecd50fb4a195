import { mkdir, writeFile } from 'node:fs/promises';
import { basename, relative, resolve } from 'node:path';
import pc from 'picocolors';
import { formatRange } from '../../properties/case-ranges.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import { asTyped, counterexampleLines } from '../../reports/console-report.ts';
import type { Counterexample } from '../check/report-model.ts';
import type { GradeReport, SubmissionGrade, TestCases, TestGrade } from './grade-model.ts';
import { studentFolders } from './platform-outputs.ts';
import { gradedTests } from './platform-results.ts';

export interface FeedbackOptions {
  /** Show the results of hidden and not-yet-released tests too (grades are released). */
  readonly showHidden: boolean;
}

const PROPERTY_PURPOSE: Record<PropertyName, string> = {
  'no-oversell': 'never sells more than the stock',
  'honest-outcome': 'every buyer gets exactly what it was told',
  'no-undersell': "never says 'sold-out' while enough is left",
  'no-errors': 'no purchase throws',
};

// Wide enough for two buyers' statements side by side, narrow enough for a code block on GitHub.
const TIMELINE_WIDTH = 100;

/**
 * One student's feedback as Markdown: the score, a table of every test (its
 * points and what they were for), and for each failed test the student may
 * see: why, the anomaly, the smallest counterexample as a per-buyer timeline,
 * and the replay command to run in the student's own folder. Tests not yet
 * released are named with their points, nothing more.
 */
export function toFeedbackMarkdown(
  report: GradeReport,
  grade: SubmissionGrade,
  options: FeedbackOptions,
): string {
  const tests = gradedTests(report, grade);
  const shown = (test: TestGrade): boolean => test.visibility === 'visible' || options.showHidden;
  const visible = tests.filter(shown);
  const withheld = tests.filter((test) => !shown(test));
  const score = visible.reduce((sum, test) => sum + test.score, 0);
  const max = visible.reduce((sum, test) => sum + test.maxScore, 0);
  const file = grade.file === null ? null : basename(grade.file);
  const lines = [`# ${text(report.assignment.title)} — ${text(grade.student)}`, ''];
  if (file !== null) lines.push(`Graded file: ${code(file)}`, '');
  if (grade.error !== null) {
    lines.push(`> **Your submission could not be evaluated:** ${text(grade.error)}`, '');
  }
  lines.push(`**Score: ${points(score)} / ${points(max)}**`, '');
  const withheldPoints = withheld.reduce((sum, test) => sum + test.maxScore, 0);
  if (withheld.length > 0) {
    lines.push(`${points(withheldPoints)} points from hidden tests are not shown yet.`, '');
  }
  lines.push('| Test | Points | What the points are for |', '|---|---:|---|');
  for (const test of tests) {
    const cases = report.assignment.tests.find((candidate) => candidate.id === test.id)?.cases;
    if (!shown(test)) {
      lines.push(`| ${text(test.name)} | – / ${points(test.maxScore)} | hidden until grades are released |`);
      continue;
    }
    const mark = test.passed ? '✅' : '❌';
    const purpose = [PROPERTY_PURPOSE[test.property], ...(cases ? [casesText(cases)] : [])].join('; ');
    lines.push(
      `| ${mark} ${text(test.name)} | ${points(test.score)} / ${points(test.maxScore)} | ${text(purpose)} |`,
    );
  }
  for (const test of visible) {
    // A submission that could not be evaluated fails every test for the one reason above.
    if (test.passed || (grade.error !== null && test.counterexample === null)) continue;
    lines.push('', `## ❌ ${text(test.name)}`, '', text(test.output));
    if (test.anomaly) lines.push('', `Anomaly: ${text(test.anomaly)}`);
    if (test.counterexample) lines.push('', ...counterexampleMarkdown(test, test.counterexample, file));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `<dir>/<student>.md` for every submission and returns the paths.
 * Student names come from file names and report files: the file name is
 * made safe as one path segment, and nothing is written outside `dir`.
 */
export async function writeFeedbackFiles(
  report: GradeReport,
  dir: string,
  options: FeedbackOptions,
): Promise<string[]> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const written: string[] = [];
  for (const [grade, folder] of studentFolders(root, report.submissions)) {
    const file = `${folder}.md`;
    const inside = relative(root, file);
    if (inside.startsWith('..') || inside.includes('/') || inside.includes('\\')) {
      throw new Error(`student ${JSON.stringify(grade.student)}: its feedback would fall outside ${dir}`);
    }
    await writeFile(file, toFeedbackMarkdown(report, grade, options));
    written.push(file);
  }
  return written;
}

/** What a test's cases are, in words: `25 generated cases: capacity 1..3, 2..3 buyers, 1..2 units each`. */
export function casesText(cases: TestCases): string {
  switch (cases.kind) {
    case 'generated': {
      const { capacity, buyers, quantity } = cases.ranges;
      return `${cases.runs} generated ${cases.runs === 1 ? 'case' : 'cases'}: capacity ${formatRange(capacity)}, ${formatRange(buyers)} buyers, ${formatRange(quantity)} ${quantity.max === 1 ? 'unit' : 'units'} each`;
    }
    case 'fixed': {
      const count = cases.cases.length;
      const first = cases.cases[0]?.case;
      return count === 1
        ? `one fixed interleaving of ${caseText(first)}`
        : `${count} fixed interleavings (the first of ${caseText(first)})`;
    }
    case 'explore':
      return cases.preemptions === 'all'
        ? `every interleaving of ${caseText(cases.case)}`
        : `every interleaving of ${caseText(cases.case)} with up to ${cases.preemptions} preemptions`;
  }
}

/** `capacity 1, 2 buyers` for a tickets case; the number of buyers for any other scenario's. */
function caseText(kase: unknown): string {
  const { capacity, buyers } = (kase ?? {}) as { capacity?: unknown; buyers?: unknown };
  const count = Array.isArray(buyers)
    ? `${buyers.length} ${buyers.length === 1 ? 'buyer' : 'buyers'}`
    : 'one case';
  return typeof capacity === 'number' ? `capacity ${capacity}, ${count}` : count;
}

function counterexampleMarkdown(test: TestGrade, example: Counterexample, file: string | null): string[] {
  const replay = asTyped(studentReplay(example.replay, file), 'npx oversold');
  const property = { name: test.property, passed: false, asExpected: false, counterexample: example };
  // The console's rendering, timeline included, without colours: what `oversold check` shows the student.
  const rendered = counterexampleLines(
    { name: file ?? 'your purchase' },
    property,
    { ...example, replay },
    pc.createColors(false),
    TIMELINE_WIDTH,
    true,
    'npx oversold',
  );
  return [
    'The smallest interleaving that breaks it, one column per buyer, time going down:',
    '',
    fence(rendered.join('\n'), 'text'),
    '',
    'Run it yourself, in the folder of your submission:',
    '',
    fence(replay, 'sh'),
  ];
}

/**
 * `oversold replay /grading/submissions/bob/purchase.ts --schedule …` →
 * `oversold replay purchase.ts --schedule …`: the student runs it beside the file.
 */
function studentReplay(replay: string, file: string | null): string {
  const match = /^(oversold replay )('(?:[^']|'\\'')*'|\S+)/.exec(replay);
  if (!match) return replay;
  const [whole, command = '', word = ''] = match;
  const graded = word.startsWith("'") ? word.slice(1, -1).replaceAll(`'\\''`, "'") : word;
  const name = file ?? basename(graded);
  const quoted = /^[\w./,:=@+-]+$/.test(name) ? name : `'${name.replaceAll("'", `'\\''`)}'`;
  return `${command}${quoted}${replay.slice(whole.length)}`;
}

function points(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** Student names, errors and outputs in Markdown: nothing in them may become markup or HTML. */
function text(value: string): string {
  return value.replace(/\s+/g, ' ').replace(/[\\`*_[\]<>|&~#]/g, (character) => `\\${character}`);
}

/** Inline code: the backtick run is longer than any inside, padded only where it must be. */
function code(value: string): string {
  const flat = value.replace(/\s+/g, ' ');
  const ticks = '`'.repeat(Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/** A fenced block longer than any backtick run inside, so a trace cannot close it early. */
function fence(value: string, language: string): string {
  const ticks = '`'.repeat(Math.max(2, ...(value.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return `${ticks}${language}\n${value}\n${ticks}`;
}
