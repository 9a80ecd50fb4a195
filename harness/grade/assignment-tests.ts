import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { parseRange } from '../cli/options.ts';
import { type AnyScenario, bounds, exploreOf, fixedOf } from './assignment-cases.ts';
import { type Checker, got, type Json } from './assignment-checker.ts';
import type { AssignmentTest, TestCases, Visibility } from './grade-model.ts';

const defaultRanges = { capacity: '1..3', buyers: '2..3', quantity: '1..2' } as const;
const visibilities: readonly Visibility[] = ['visible', 'after_due_date', 'after_published', 'hidden'];
const testFields = [
  'id',
  'name',
  'property',
  'points',
  'visibility',
  'capacity',
  'buyers',
  'quantity',
  'runs',
  'fixed',
  'explore',
];

/** The `tests` list: each test's id, property, points, visibility and the cases it draws (ranges, fixed or explore). */
export function testsOf(value: unknown, scenario: AnyScenario, at: Checker): AssignmentTest[] {
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
  at.onlyFields(test, path, testFields);
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

/** `"No oversell: two buyers!"` → `no-oversell-two-buyers`. */
function slug(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
