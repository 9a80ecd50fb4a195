import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { parseRange, parseSchedule } from '../cli/options.ts';
import { isScenarioPath } from '../scenarios/load-scenario-module.ts';
import type { Scenario, ScenarioCase } from '../scenarios/scenario.ts';
import { findScenario } from '../scenarios/scenario-registry.ts';
import { defaultExport, importUserModule } from '../strategy/import-user-module.ts';
import type {
  Assignment,
  AssignmentTest,
  FixedCase,
  GradeLimits,
  TestCases,
  Visibility,
} from './grade-model.ts';

/** An assignment file that cannot be used; the message is one line: file, field path, what to write. */
export class AssignmentError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AssignmentError';
    this.file = file;
  }
}

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
const defaultRanges = { capacity: '1..3', buyers: '2..3', quantity: '1..2' } as const;
// The bounds `oversold check` puts on --capacity, --buyers and --quantity.
const bounds = { capacity: [0, 1_000_000], buyers: [1, 32], quantity: [1, 1_000_000] } as const;
const visibilities: readonly Visibility[] = ['visible', 'after_due_date', 'after_published', 'hidden'];
const moduleExtensions = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const fields = {
  top: ['title', 'scenario', 'seed', 'entry', 'reference', 'limits', 'tests'],
  limits: ['timeout', 'memoryMb', 'cpuSeconds', 'submissionSeconds'],
  test: ['id', 'name', 'property', 'points', 'visibility', 'capacity', 'buyers', 'quantity', 'runs'].concat([
    'fixed',
    'explore',
  ]),
};
const ticketExample = '{ "capacity": 1, "buyers": [{ "id": 1, "quantity": 1 }, { "id": 2, "quantity": 1 }] }';

type Json = Record<string, unknown>;
type AnyScenario = Scenario<ScenarioCase> | undefined;

/**
 * Reads and checks an assignment: `assignment.json`, or a .ts/.js module
 * whose default export has the same shape. Paths in it are relative to the
 * file and come back absolute. Anything wrong rejects with a one-line
 * {@link AssignmentError} naming the file, the field and the fix.
 */
export async function loadAssignment(path: string): Promise<Assignment> {
  const file = resolve(path);
  const at: Checker = new Checker(displayPath(file));
  if ((await stat(file).catch(() => null))?.isDirectory()) {
    throw at.error(`is a folder: give the assignment file in it, as in ${join(at.file, 'assignment.json')}`);
  }
  const bytes = await readFile(file).catch((error: unknown) => {
    throw at.error(`cannot read the assignment (${reason(error)}): check the path`, error);
  });
  const raw = moduleExtensions.has(extname(file))
    ? await importAssignment(file, at)
    : parseJson(bytes.toString('utf8').replace(/^\uFEFF/, ''), at);
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

async function importAssignment(file: string, at: Checker): Promise<unknown> {
  try {
    return defaultExport(await importUserModule(file, at.file));
  } catch (error) {
    // importUserModule's message already starts with the file.
    throw new AssignmentError(at.file, reason(error), { cause: error });
  }
}

function parseJson(text: string, at: Checker): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around an unexpected token, newlines and all: keep one line.
    const message = (error as Error).message.replace(/, ".*" is not valid JSON$/s, '').replace(/\s+/g, ' ');
    // Node 20 gives an offset; later versions give the line and column themselves.
    const located = message.replace(/at position (\d+)(?! \(line)/, (_, offset: string) => {
      const lines = text.slice(0, Number(offset)).split('\n');
      return `at line ${lines.length} column ${(lines.at(-1)?.length ?? 0) + 1}`;
    });
    throw at.error(`is not valid JSON (${located}): fix the syntax there`, error);
  }
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

function testsOf(value: unknown, scenario: AnyScenario, at: Checker): AssignmentTest[] {
  if (!Array.isArray(value) || value.length === 0) {
    at.fail(
      'tests',
      `must be a list of at least one test (got ${got(value)})`,
      'write e.g. "tests": [{ "name": "No oversell", "property": "no-oversell", "points": 4 }]',
    );
  }
  const seen = new Map<string, number>();
  return (value as unknown[]).map((entry, index) => {
    const test = testOf(entry, `tests[${index}]`, scenario, at);
    const earlier = seen.get(test.id);
    if (earlier !== undefined) {
      at.fail(
        `tests[${index}].id`,
        `${got(test.id)} is also the id of tests[${earlier}]`,
        'give each test its own id',
      );
    }
    seen.set(test.id, index);
    return test;
  });
}

function testOf(value: unknown, path: string, scenario: AnyScenario, at: Checker): AssignmentTest {
  const test = at.object(value, path, '{ "name": "No oversell", "property": "no-oversell", "points": 4 }');
  at.onlyFields(test, path, fields.test);
  const name = at.text(test.name, `${path}.name`, 'No oversell: two buyers, the last ticket');
  const id = test.id === undefined ? slug(name) : at.text(test.id, `${path}.id`, 'oversell-two-buyers');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) {
    const problem = test.id === undefined ? `the name gives no usable id (${got(id)})` : `got ${got(id)}`;
    at.fail(
      `${path}.id`,
      `must be lowercase letters, digits and dashes, as it names a CSV column (${problem})`,
      'write e.g. "id": "oversell-two-buyers"',
    );
  }
  const property = at.oneOf(test.property, `${path}.property`, PROPERTY_NAMES);
  const points = test.points;
  if (typeof points !== 'number' || !Number.isFinite(points) || points <= 0) {
    at.fail(`${path}.points`, `must be a positive number (got ${got(points)})`, 'write e.g. "points": 4');
  }
  const visibility =
    test.visibility === undefined ? 'visible' : at.oneOf(test.visibility, `${path}.visibility`, visibilities);
  return { id, name, property, points, visibility, cases: casesOf(test, path, scenario, at) };
}

function casesOf(test: Json, path: string, scenario: AnyScenario, at: Checker): TestCases {
  const ranges = ['capacity', 'buyers', 'quantity', 'runs'].find((field) => test[field] !== undefined);
  const kinds = [
    ranges,
    test.fixed === undefined ? undefined : 'fixed',
    test.explore === undefined ? undefined : 'explore',
  ];
  const given = kinds.filter((kind) => kind !== undefined).map((kind) => `"${kind}"`);
  if (given.length > 1) {
    at.fail(
      path,
      `has both ${given.join(' and ')}`,
      'give a test either ranges (capacity, buyers, quantity, runs), or "fixed", or "explore"',
    );
  }
  if (test.fixed !== undefined)
    return { kind: 'fixed', cases: fixedOf(test.fixed, `${path}.fixed`, scenario, at) };
  if (test.explore !== undefined) return exploreOf(test.explore, `${path}.explore`, scenario, at);
  const range = (field: keyof typeof defaultRanges) => {
    const [low, high] = bounds[field];
    const value = test[field] ?? defaultRanges[field];
    try {
      return parseRange(field, low, high)(typeof value === 'number' ? `${value}` : (value as string));
    } catch {
      return at.fail(
        `${path}.${field}`,
        `must be a whole number or a range A..B, from ${low} to ${high} (got ${got(value)})`,
        `write e.g. "${field}": "${defaultRanges[field]}"`,
      );
    }
  };
  return {
    kind: 'generated',
    ranges: { capacity: range('capacity'), buyers: range('buyers'), quantity: range('quantity') },
    runs: test.runs === undefined ? 25 : at.whole(test.runs, `${path}.runs`, 1, 100_000, 25),
  };
}

function fixedOf(value: unknown, path: string, scenario: AnyScenario, at: Checker): FixedCase[] {
  const example = `[{ "case": ${ticketExample}, "schedule": "1 2 1 2" }]`;
  if (!Array.isArray(value) || value.length === 0) {
    at.fail(
      path,
      `must be a list of at least one case and schedule (got ${got(value)})`,
      `write e.g. "fixed": ${example}`,
    );
  }
  return (value as unknown[]).map((entry, index) => {
    const where = `${path}[${index}]`;
    const fixed = at.object(entry, where, '{ "case": { … }, "schedule": "1 2 1 2" }');
    at.onlyFields(fixed, where, ['case', 'schedule']);
    const kase = caseOf(fixed.case, `${where}.case`, scenario, at);
    return { case: kase, schedule: scheduleOf(fixed.schedule ?? '', `${where}.schedule`, kase, at) };
  });
}

function exploreOf(value: unknown, path: string, scenario: AnyScenario, at: Checker): TestCases {
  const explore = at.object(value, path, `{ "case": ${ticketExample}, "preemptions": 2 }`);
  at.onlyFields(explore, path, ['case', 'preemptions', 'maxInterleavings']);
  const preemptions = explore.preemptions;
  return {
    kind: 'explore',
    case: caseOf(explore.case, `${path}.case`, scenario, at),
    preemptions:
      preemptions === undefined || preemptions === 'all'
        ? (preemptions ?? 2)
        : at.whole(preemptions, `${path}.preemptions`, 0, 1_000, 2, ' or "all"'),
    maxInterleavings:
      explore.maxInterleavings === undefined
        ? 10_000
        : at.whole(explore.maxInterleavings, `${path}.maxInterleavings`, 1, Number.MAX_SAFE_INTEGER, 10_000),
  };
}

/**
 * A case checked as `replay --case` checks it (the scenario's own parseCase);
 * a tickets case, which replay takes as --capacity, --buyers and --quantity,
 * is checked field by field and rebuilt with the scenario's replayCase. A
 * scenario module is not imported here: of its case only the buyer ids are checked.
 */
function caseOf(value: unknown, path: string, scenario: AnyScenario, at: Checker): ScenarioCase {
  if (scenario?.parseCase) {
    try {
      return scenario.parseCase(value);
    } catch (error) {
      return at.fail(path, reason(error).replace(/^--case /, ''), 'fix the case');
    }
  }
  if (scenario?.name === 'tickets') return ticketCaseOf(value, path, scenario, at);
  const kase = at.object(value, path, '{ "buyers": [{ "id": 1, … }, { "id": 2, … }], … }');
  const buyers = kase.buyers;
  if (
    !Array.isArray(buyers) ||
    buyers.length === 0 ||
    buyers.some((buyer) => !(Number.isSafeInteger(buyer?.id) && buyer.id >= 1))
  ) {
    at.fail(
      `${path}.buyers`,
      `must list buyers with whole ids from 1 (got ${got(buyers)})`,
      'write e.g. "buyers": [{ "id": 1, … }]',
    );
  }
  return kase as unknown as ScenarioCase;
}

function ticketCaseOf(
  value: unknown,
  path: string,
  scenario: Scenario<ScenarioCase>,
  at: Checker,
): ScenarioCase {
  const kase = at.object(value, path, ticketExample);
  at.onlyFields(kase, path, ['capacity', 'buyers']);
  const capacity = at.whole(kase.capacity, `${path}.capacity`, bounds.capacity[0], bounds.capacity[1], 1);
  const buyers = kase.buyers;
  if (!Array.isArray(buyers) || buyers.length === 0 || buyers.length > bounds.buyers[1]) {
    at.fail(
      `${path}.buyers`,
      `must list 1 to ${bounds.buyers[1]} buyers (got ${got(buyers)})`,
      `write e.g. "case": ${ticketExample}`,
    );
  }
  const quantities = (buyers as unknown[]).map((entry, index) => {
    const where = `${path}.buyers[${index}]`;
    const buyer = at.object(entry, where, '{ "id": 1, "quantity": 1 }');
    at.onlyFields(buyer, where, ['id', 'quantity']);
    // replay numbers a tickets case's buyers 1, 2, …: other ids could not be replayed.
    if (buyer.id !== index + 1) {
      at.fail(
        `${where}.id`,
        `must be ${index + 1}, as buyers are numbered 1, 2, … in order (got ${got(buyer.id)})`,
        `write "id": ${index + 1}`,
      );
    }
    return at.whole(buyer.quantity, `${where}.quantity`, bounds.quantity[0], bounds.quantity[1], 1);
  });
  return scenario.replayCase({ capacity, buyers: quantities.length, quantities });
}

function scheduleOf(value: unknown, path: string, kase: ScenarioCase, at: Checker): string {
  const fix = 'write the buyer ids in release order, e.g. "schedule": "1 2 1 2", or "" for id order';
  let ids: number[] = [];
  try {
    ids = parseSchedule(value as string);
  } catch {
    at.fail(path, `must list buyer ids separated by spaces (got ${got(value)})`, fix);
  }
  const known = kase.buyers.map((buyer) => buyer.id);
  const stranger = ids.find((id) => !known.includes(id));
  if (stranger !== undefined) {
    at.fail(
      path,
      `names buyer ${stranger}, but the case has buyers ${known.join(', ')}`,
      'fix the schedule or add that buyer',
    );
  }
  return ids.join(' ');
}

/** Builds the one-line errors: `assignment.json: tests[2].points: must be …; write e.g. "points": 4`. */
class Checker {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  error(message: string, cause?: unknown): AssignmentError {
    return new AssignmentError(
      this.file,
      `${this.file}: ${message}`,
      cause === undefined ? undefined : { cause },
    );
  }

  fail(path: string, problem: string, fix: string): never {
    throw this.error(`${path === '' ? 'the top level' : path}: ${problem}; ${fix}`);
  }

  object(value: unknown, path: string, example: string): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, `must be an object (got ${got(value)})`, `write e.g. ${example}`);
    }
    return value as Json;
  }

  text(value: unknown, path: string, example: string): string {
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(
        path,
        `must be a non-empty string (got ${got(value)})`,
        `write e.g. "${key(path)}": "${example}"`,
      );
    }
    return value as string;
  }

  whole(value: unknown, path: string, min: number, max: number, example: number, or = ''): number {
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `from ${min}` : `from ${min} to ${max}`;
      this.fail(
        path,
        `must be a whole number ${range}${or} (got ${got(value)})`,
        `write e.g. "${key(path)}": ${example}`,
      );
    }
    return value as number;
  }

  oneOf<Choice extends string>(value: unknown, path: string, choices: readonly Choice[]): Choice {
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      this.fail(
        path,
        `must be one of ${choices.join(', ')} (got ${got(value)})`,
        `write e.g. "${key(path)}": "${choices[0]}"`,
      );
    }
    return value as Choice;
  }

  /** Unknown keys are errors, so that a typo (`"pionts"`) cannot pass silently. */
  onlyFields(object: Json, path: string, known: readonly string[]): void {
    const stranger = Object.keys(object).find((field) => !known.includes(field));
    if (stranger === undefined) return;
    const near = known.find((field) => distance(field.toLowerCase(), stranger.toLowerCase()) <= 2);
    this.fail(
      path === '' ? stranger : `${path}.${stranger}`,
      'unknown field',
      near ? `did you mean "${near}"?` : `remove it, or use one of ${known.join(', ')}`,
    );
  }
}

/** `tests[0].points` → `points`, for "write e.g. "points": 4". */
function key(path: string): string {
  return (
    path
      .split('.')
      .at(-1)
      ?.replace(/\[\d+\]$/, '') ?? path
  );
}

/** `"No oversell: two buyers!"` → `no-oversell-two-buyers`. */
function slug(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Levenshtein distance, for "did you mean" on a misspelt field. */
function distance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row++) {
    const current = [row];
    for (let column = 1; column <= right.length; column++) {
      const substitution = previous[column - 1]! + (left[row - 1] === right[column - 1] ? 0 : 1);
      current.push(Math.min(previous[column]! + 1, current[column - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length]!;
}

/** The offending value as written in the file, kept to one short line. */
function got(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') || fromHere === '' ? path : fromHere;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
