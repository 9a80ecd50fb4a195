import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isScenarioPath } from '../scenarios/load-scenario-module.ts';
import { findScenario } from '../scenarios/scenario-registry.ts';
import { AssignmentError, Checker, displayPath, got } from './assignment-checker.ts';
import { testsOf } from './assignment-tests.ts';
import type { Assignment, GradeLimits } from './grade-model.ts';
import { readAssignmentFile } from './read-assignment-file.ts';

export { AssignmentError };

const defaultEntry = ['purchase.ts', 'purchase.mts', 'purchase.js', 'purchase.mjs', 'purchase.sql'].concat([
  'strategy.ts',
  'strategy.js',
  'strategy.sql',
  'index.ts',
  'index.js',
]);
const defaultLimits: GradeLimits = {
  timeoutMs: 10_000,
  memoryMb: 256,
  cpuSeconds: 60,
  submissionSeconds: 120,
};
const fields = {
  top: ['title', 'scenario', 'seed', 'entry', 'reference', 'limits', 'tests'],
  limits: ['timeout', 'memoryMb', 'cpuSeconds', 'submissionSeconds'],
};

/**
 * Reads and checks an assignment: `assignment.json`, or a .ts/.js module
 * whose default export has the same shape. Paths in it are relative to the
 * file and come back absolute. Anything wrong rejects with a one-line
 * {@link AssignmentError} naming the file, the field and the fix.
 */
export async function loadAssignment(path: string): Promise<Assignment> {
  const file = resolve(path);
  const at: Checker = new Checker(displayPath(file));
  const { bytes, raw } = await readAssignmentFile(file, at);
  const top = at.object(raw, '', '{ "title": "Lab 4", "tests": [ … ] }');
  at.onlyFields(top, '', fields.top);
  const title = at.text(top.title, 'title', 'Lab 4: the last ticket');
  const scenario = await scenarioOf(top.scenario, file, at);
  const tests = testsOf(top.tests, findScenario(scenario), at);
  return {
    file,
    title,
    scenario,
    seed: top.seed === undefined ? 1 : at.whole(top.seed, 'seed', -(2 ** 31 - 1), 2 ** 31 - 1, 2026),
    entry: entryOf(top.entry, at),
    reference: top.reference == null ? null : await fileOf(top.reference, 'reference', file, at),
    limits: limitsOf(top.limits, at),
    tests,
    maxScore: tests.reduce((sum, test) => sum + test.points, 0),
    fingerprint: createHash('sha256').update(bytes).digest('hex'),
  };
}

async function scenarioOf(value: unknown, file: string, at: Checker): Promise<string> {
  const name = value === undefined ? 'tickets' : at.text(value, 'scenario', 'tickets');
  if (isScenarioPath(name)) return fileOf(name, 'scenario', file, at);
  if (!findScenario(name)) {
    at.fail(
      'scenario',
      `no scenario is called ${got(name)}`,
      'write "tickets", "inventory", or the path of a scenario module as in "./my-scenario.ts"',
    );
  }
  return name;
}

/** A path relative to the assignment file, made absolute; the file must exist. */
async function fileOf(value: unknown, path: string, file: string, at: Checker): Promise<string> {
  const absolute = resolve(dirname(file), at.text(value, path, 'reference/purchase.ts'));
  if (!(await stat(absolute).catch(() => null))?.isFile()) {
    at.fail(path, `${displayPath(absolute)} does not exist`, 'give a path relative to the assignment file');
  }
  return absolute;
}

function entryOf(value: unknown, at: Checker): readonly string[] {
  if (value === undefined) return defaultEntry;
  const fix = 'write e.g. "entry": ["purchase.ts", "purchase.sql"]';
  if (!Array.isArray(value) || value.length === 0)
    at.fail('entry', `must be a list of file names (got ${got(value)})`, fix);
  return (value as unknown[]).map((name, index) => {
    const text = at.text(name, `entry[${index}]`, 'purchase.ts');
    if (text.startsWith('/') || text.split(/[/\\]/).includes('..')) {
      at.fail(`entry[${index}]`, `must be a path inside the submission folder (got ${got(text)})`, fix);
    }
    return text;
  });
}

function limitsOf(value: unknown, at: Checker): GradeLimits {
  if (value === undefined) return defaultLimits;
  const limits = at.object(value, 'limits', '{ "timeout": "10s", "memoryMb": 256 }');
  at.onlyFields(limits, 'limits', fields.limits);
  const whole = (field: 'memoryMb' | 'cpuSeconds' | 'submissionSeconds'): number =>
    limits[field] === undefined
      ? defaultLimits[field]
      : at.whole(limits[field], `limits.${field}`, 1, Number.MAX_SAFE_INTEGER, defaultLimits[field]);
  return {
    timeoutMs: limits.timeout === undefined ? defaultLimits.timeoutMs : durationOf(limits.timeout, at),
    memoryMb: whole('memoryMb'),
    cpuSeconds: whole('cpuSeconds'),
    submissionSeconds: whole('submissionSeconds'),
  };
}

/** `"10s"`, `"300ms"`, `"1m"`, or a number of milliseconds; at most an hour, as check's --timeout. */
function durationOf(value: unknown, at: Checker): number {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim()) : null;
  const unit = { ms: 1, s: 1000, m: 60_000 }[(match?.[2] ?? 'ms') as 'ms' | 's' | 'm'];
  const ms = typeof value === 'number' ? value : match ? Number(match[1]) * unit : Number.NaN;
  if (!(Number.isSafeInteger(ms) && ms >= 1 && ms <= 3_600_000)) {
    at.fail(
      'limits.timeout',
      `must be a time from 1ms to 60m with its unit, or a number of milliseconds (got ${got(value)})`,
      'write e.g. "timeout": "10s"',
    );
  }
  return ms;
}
