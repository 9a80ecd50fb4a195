import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/support/run-cli.ts';
import { AssignmentError, loadAssignment } from './assignment.ts';

let folder: string;
let count = 0;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oversold-assignment-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Writes the assignment (and any files beside it) in a folder of its own; returns its path. */
async function write(content: unknown, files: Record<string, string> = {}, name = 'assignment.json') {
  const dir = join(folder, `case-${++count}`);
  for (const [path, text] of Object.entries({
    ...files,
    [name]: typeof content === 'string' ? content : JSON.stringify(content, null, 2),
  })) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return join(dir, name);
}

/** The error's message, with the temporary path shortened to the file name (as a user in that folder sees it). */
async function failure(content: unknown, files: Record<string, string> = {}, name = 'assignment.json') {
  const file = await write(content, files, name);
  const error = await loadAssignment(file).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AssignmentError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return message.replaceAll(`${dirname(file)}/`, '');
}

const minimalTest = { name: 'No oversell', property: 'no-oversell', points: 1 };
const withTest = (test: Record<string, unknown>) => ({ title: 'Lab', tests: [{ ...minimalTest, ...test }] });
const ticketCase = {
  capacity: 1,
  buyers: [
    { id: 1, quantity: 1 },
    { id: 2, quantity: 1 },
  ],
};

describe('loadAssignment', () => {
  it('reads a full assignment: defaults filled in, paths absolute, fingerprint of the bytes', async () => {
    const file = await write(
      {
        title: 'Lab 4: the last ticket',
        scenario: 'tickets',
        seed: 2026,
        entry: ['purchase.ts', 'purchase.sql'],
        reference: 'reference/purchase.ts',
        limits: { timeout: '5s', memoryMb: 512 },
        tests: [
          {
            id: 'oversell-two-buyers',
            name: 'No oversell: two buyers, the last ticket',
            property: 'no-oversell',
            points: 4,
            visibility: 'visible',
            capacity: '1..2',
            buyers: '2',
            quantity: 1,
            runs: 30,
          },
          {
            id: 'oversell-fixed',
            name: 'Fixed',
            property: 'no-oversell',
            points: 2,
            visibility: 'hidden',
            fixed: [{ case: ticketCase, schedule: '1 2 1 2' }],
          },
          {
            name: 'Every interleaving!',
            property: 'honest-outcome',
            points: 4,
            visibility: 'after_due_date',
            explore: { case: ticketCase, preemptions: 'all', maxInterleavings: 5000 },
          },
        ],
      },
      { 'reference/purchase.ts': 'export default {};\n' },
    );
    const assignment = await loadAssignment(file);
    const bytes = await readFile(file);
    expect(assignment).toEqual({
      file,
      title: 'Lab 4: the last ticket',
      scenario: 'tickets',
      seed: 2026,
      entry: ['purchase.ts', 'purchase.sql'],
      reference: join(dirname(file), 'reference/purchase.ts'),
      limits: { timeoutMs: 5000, memoryMb: 512, cpuSeconds: 60, submissionSeconds: 120 },
      tests: [
        {
          id: 'oversell-two-buyers',
          name: 'No oversell: two buyers, the last ticket',
          property: 'no-oversell',
          points: 4,
          visibility: 'visible',
          cases: {
            kind: 'generated',
            ranges: {
              capacity: { min: 1, max: 2 },
              buyers: { min: 2, max: 2 },
              quantity: { min: 1, max: 1 },
            },
            runs: 30,
          },
        },
        {
          id: 'oversell-fixed',
          name: 'Fixed',
          property: 'no-oversell',
          points: 2,
          visibility: 'hidden',
          cases: { kind: 'fixed', cases: [{ case: ticketCase, schedule: '1 2 1 2' }] },
        },
        {
          id: 'every-interleaving',
          name: 'Every interleaving!',
          property: 'honest-outcome',
          points: 4,
          visibility: 'after_due_date',
          cases: { kind: 'explore', case: ticketCase, preemptions: 'all', maxInterleavings: 5000 },
        },
      ],
      maxScore: 10,
      fingerprint: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('fills in every default', async () => {
    const assignment = await loadAssignment(
      await write({
        title: 'Lab',
        tests: [
          minimalTest,
          { ...minimalTest, id: 'again', fixed: [{ case: ticketCase }] },
          { ...minimalTest, id: 'all', explore: { case: ticketCase } },
        ],
      }),
    );
    expect(assignment).toMatchObject({
      scenario: 'tickets',
      seed: 1,
      reference: null,
      limits: { timeoutMs: 10_000, memoryMb: 256, cpuSeconds: 60, submissionSeconds: 120 },
      maxScore: 3,
    });
    expect(assignment.entry).toEqual([
      'purchase.ts',
      'purchase.mts',
      'purchase.js',
      'purchase.mjs',
      'purchase.sql',
      'strategy.ts',
      'strategy.js',
      'strategy.sql',
      'index.ts',
      'index.js',
    ]);
    expect(assignment.tests.map((test) => [test.id, test.visibility, test.cases])).toEqual([
      [
        'no-oversell',
        'visible',
        {
          kind: 'generated',
          ranges: { capacity: { min: 1, max: 3 }, buyers: { min: 2, max: 3 }, quantity: { min: 1, max: 2 } },
          runs: 25,
        },
      ],
      ['again', 'visible', { kind: 'fixed', cases: [{ case: ticketCase, schedule: '' }] }],
      ['all', 'visible', { kind: 'explore', case: ticketCase, preemptions: 2, maxInterleavings: 10_000 }],
    ]);
  });

  it('takes the timeout as a number of milliseconds, and schedules with commas', async () => {
    const assignment = await loadAssignment(
      await write({
        ...withTest({ fixed: [{ case: ticketCase, schedule: '2,1, 2' }] }),
        limits: { timeout: 2500 },
      }),
    );
    expect(assignment.limits.timeoutMs).toBe(2500);
    expect(assignment.tests[0]?.cases).toEqual({
      kind: 'fixed',
      cases: [{ case: ticketCase, schedule: '2 1 2' }],
    });
  });

  it('reads a file that starts with a byte order mark, as some editors write it', async () => {
    const file = await write(`\uFEFF${JSON.stringify(withTest({}))}`);
    await expect(loadAssignment(file)).resolves.toMatchObject({ title: 'Lab', maxScore: 1 });
  });

  it('reads an assignment module whose default export has the same shape, with a scenario module beside it', async () => {
    const file = await write(
      "const tests = [{ name: 'Own shop', property: 'no-oversell', points: 2, fixed: [{ case: { buyers: [{ id: 1 }, { id: 2 }] }, schedule: '1 2' }] }];\nexport default { title: 'Lab 5', scenario: './shop.scenario.ts', tests };\n",
      { 'shop.scenario.ts': 'export default {};\n' },
      'assignment.ts',
    );
    const assignment = await loadAssignment(file);
    expect(assignment.scenario).toBe(join(dirname(file), 'shop.scenario.ts'));
    expect(assignment.title).toBe('Lab 5');
    expect(assignment.maxScore).toBe(2);
    expect(assignment.fingerprint).toBe(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
  });

  it('checks an inventory case as replay --case does', async () => {
    const kase = {
      items: [{ id: 201, stock: 1 }],
      buyers: [
        { id: 1, lines: [{ itemId: 201, quantity: 1 }] },
        { id: 2, lines: [{ itemId: 201, quantity: 1 }] },
      ],
    };
    const assignment = await loadAssignment(
      await write({ ...withTest({ explore: { case: kase } }), scenario: 'inventory' }),
    );
    expect(assignment.tests[0]?.cases).toMatchObject({ kind: 'explore', case: kase });
    expect(
      await failure({ ...withTest({ explore: { case: { items: [], buyers: [] } } }), scenario: 'inventory' }),
    ).toBe(
      'assignment.json: tests[0].explore.case: has no "items" list: give the case as JSON like {"items":[{"id":201,"stock":1}],"buyers":[{"id":1,"lines":[{"itemId":201,"quantity":1}]}]}; fix the case',
    );
  });

  it('loads examples/grading/assignment.json', async () => {
    const assignment = await loadAssignment(join(repoRoot, 'examples/grading/assignment.json'));
    expect(assignment.scenario).toBe('tickets');
    expect(assignment.reference).toBe(join(repoRoot, 'examples/grading/reference/purchase.ts'));
    expect(assignment.maxScore).toBe(assignment.tests.reduce((sum, test) => sum + test.points, 0));
    expect(new Set(assignment.tests.map((test) => test.cases.kind))).toEqual(
      new Set(['generated', 'fixed', 'explore']),
    );
  });
});

describe('loadAssignment errors: one line naming the file, the field and the fix', () => {
  it.each([
    [
      'a points typo',
      withTest({ points: 'four' }),
      'assignment.json: tests[0].points: must be a positive number (got "four"); write e.g. "points": 4',
    ],
    [
      'zero points',
      withTest({ points: 0 }),
      'assignment.json: tests[0].points: must be a positive number (got 0); write e.g. "points": 4',
    ],
    [
      'a misspelt field',
      withTest({ pionts: 4 }),
      'assignment.json: tests[0].pionts: unknown field; did you mean "points"?',
    ],
    [
      'an unknown top-level field',
      { title: 'Lab', tests: [minimalTest], deadline: 'friday' },
      'assignment.json: deadline: unknown field; remove it, or use one of title, scenario, seed, entry, reference, limits, tests',
    ],
    [
      'a top level that is not an object',
      [minimalTest],
      'assignment.json: the top level: must be an object (got [{"name":"No oversell","property":"no-oversell","points":1}]); write e.g. { "title": "Lab 4", "tests": [ … ] }',
    ],
    [
      'no title',
      { tests: [minimalTest] },
      'assignment.json: title: must be a non-empty string (got nothing); write e.g. "title": "Lab 4: the last ticket"',
    ],
    [
      'no tests',
      { title: 'Lab' },
      'assignment.json: tests: must be a list of at least one test (got nothing); write e.g. "tests": [{ "name": "No oversell", "property": "no-oversell", "points": 4 }]',
    ],
    [
      'an empty test list',
      { title: 'Lab', tests: [] },
      'assignment.json: tests: must be a list of at least one test (got []); write e.g. "tests": [{ "name": "No oversell", "property": "no-oversell", "points": 4 }]',
    ],
    [
      'a test that is not an object',
      { title: 'Lab', tests: ['oversell'] },
      'assignment.json: tests[0]: must be an object (got "oversell"); write e.g. { "name": "No oversell", "property": "no-oversell", "points": 4 }',
    ],
    [
      'an unknown scenario',
      { ...withTest({}), scenario: 'concert' },
      'assignment.json: scenario: no scenario is called "concert"; write "tickets", "inventory", or the path of a scenario module as in "./my-scenario.ts"',
    ],
    [
      'a seed that is not whole',
      { ...withTest({}), seed: 1.5 },
      'assignment.json: seed: must be a whole number from -2147483647 to 2147483647 (got 1.5); write e.g. "seed": 2026',
    ],
    [
      'an empty entry list',
      { ...withTest({}), entry: [] },
      'assignment.json: entry: must be a list of file names (got []); write e.g. "entry": ["purchase.ts", "purchase.sql"]',
    ],
    [
      'an entry outside the submission',
      { ...withTest({}), entry: ['../answers.ts'] },
      'assignment.json: entry[0]: must be a path inside the submission folder (got "../answers.ts"); write e.g. "entry": ["purchase.ts", "purchase.sql"]',
    ],
    [
      'a timeout in words',
      { ...withTest({}), limits: { timeout: '10 seconds' } },
      'assignment.json: limits.timeout: must be a time from 1ms to 60m with its unit, or a number of milliseconds (got "10 seconds"); write e.g. "timeout": "10s"',
    ],
    [
      'a limit of 0',
      { ...withTest({}), limits: { memoryMb: 0 } },
      'assignment.json: limits.memoryMb: must be a whole number from 1 (got 0); write e.g. "memoryMb": 256',
    ],
    [
      'a misspelt limit',
      { ...withTest({}), limits: { cpuSecond: 5 } },
      'assignment.json: limits.cpuSecond: unknown field; did you mean "cpuSeconds"?',
    ],
    [
      'an unknown property',
      withTest({ property: 'no-oversel' }),
      'assignment.json: tests[0].property: must be one of no-oversell, honest-outcome, no-undersell, no-errors (got "no-oversel"); write e.g. "property": "no-oversell"',
    ],
    [
      'an unknown visibility',
      withTest({ visibility: 'secret' }),
      'assignment.json: tests[0].visibility: must be one of visible, after_due_date, after_published, hidden (got "secret"); write e.g. "visibility": "visible"',
    ],
    [
      'no name',
      { title: 'Lab', tests: [{ property: 'no-oversell', points: 1 }] },
      'assignment.json: tests[0].name: must be a non-empty string (got nothing); write e.g. "name": "No oversell: two buyers, the last ticket"',
    ],
    [
      'an id that cannot be a CSV column',
      withTest({ id: 'Two Buyers' }),
      'assignment.json: tests[0].id: must be lowercase letters, digits and dashes, as it names a CSV column (got "Two Buyers"); write e.g. "id": "oversell-two-buyers"',
    ],
    [
      'a name that gives no id',
      withTest({ name: '!!!' }),
      'assignment.json: tests[0].id: must be lowercase letters, digits and dashes, as it names a CSV column (the name gives no usable id ("")); write e.g. "id": "oversell-two-buyers"',
    ],
    [
      'two tests with one id',
      { title: 'Lab', tests: [minimalTest, { ...minimalTest, name: 'No Oversell!' }] },
      'assignment.json: tests[1].id: "no-oversell" is also the id of tests[0]; give each test its own id',
    ],
    [
      'ranges and fixed cases in one test',
      withTest({ capacity: 1, fixed: [{ case: ticketCase }] }),
      'assignment.json: tests[0]: has both "capacity" and "fixed"; give a test either ranges (capacity, buyers, quantity, runs), or "fixed", or "explore"',
    ],
    [
      'fixed and explore in one test',
      withTest({ explore: { case: ticketCase }, fixed: [{ case: ticketCase }] }),
      'assignment.json: tests[0]: has both "fixed" and "explore"; give a test either ranges (capacity, buyers, quantity, runs), or "fixed", or "explore"',
    ],
    [
      'a range written backwards',
      withTest({ capacity: '3..1' }),
      'assignment.json: tests[0].capacity: must be a whole number or a range A..B, from 0 to 1000000 (got "3..1"); write e.g. "capacity": "1..3"',
    ],
    [
      'too many buyers',
      withTest({ buyers: 40 }),
      'assignment.json: tests[0].buyers: must be a whole number or a range A..B, from 1 to 32 (got 40); write e.g. "buyers": "2..3"',
    ],
    [
      'a quantity that is not a range',
      withTest({ quantity: [1, 2] }),
      'assignment.json: tests[0].quantity: must be a whole number or a range A..B, from 1 to 1000000 (got [1,2]); write e.g. "quantity": "1..2"',
    ],
    [
      'no runs',
      withTest({ runs: 0 }),
      'assignment.json: tests[0].runs: must be a whole number from 1 to 100000 (got 0); write e.g. "runs": 25',
    ],
    [
      'an empty fixed list',
      withTest({ fixed: [] }),
      'assignment.json: tests[0].fixed: must be a list of at least one case and schedule (got []); write e.g. "fixed": [{ "case": { "capacity": 1, "buyers": [{ "id": 1, "quantity": 1 }, { "id": 2, "quantity": 1 }] }, "schedule": "1 2 1 2" }]',
    ],
    [
      'a misspelt fixed field',
      withTest({ fixed: [{ case: ticketCase, shedule: '1 2' }] }),
      'assignment.json: tests[0].fixed[0].shedule: unknown field; did you mean "schedule"?',
    ],
    [
      'a fixed case with no case',
      withTest({ fixed: [{ schedule: '1 2' }] }),
      'assignment.json: tests[0].fixed[0].case: must be an object (got nothing); write e.g. { "capacity": 1, "buyers": [{ "id": 1, "quantity": 1 }, { "id": 2, "quantity": 1 }] }',
    ],
    [
      'a negative capacity',
      withTest({ fixed: [{ case: { ...ticketCase, capacity: -1 } }] }),
      'assignment.json: tests[0].fixed[0].case.capacity: must be a whole number from 0 to 1000000 (got -1); write e.g. "capacity": 1',
    ],
    [
      'a ticket case with no buyers',
      withTest({ fixed: [{ case: { capacity: 1, buyers: [] } }] }),
      'assignment.json: tests[0].fixed[0].case.buyers: must list 1 to 32 buyers (got []); write e.g. "case": { "capacity": 1, "buyers": [{ "id": 1, "quantity": 1 }, { "id": 2, "quantity": 1 }] }',
    ],
    [
      'buyers out of order',
      withTest({ fixed: [{ case: { capacity: 1, buyers: [{ id: 2, quantity: 1 }] } }] }),
      'assignment.json: tests[0].fixed[0].case.buyers[0].id: must be 1, as buyers are numbered 1, 2, … in order (got 2); write "id": 1',
    ],
    [
      'a buyer who wants nothing',
      withTest({ fixed: [{ case: { capacity: 1, buyers: [{ id: 1, quantity: 0 }] } }] }),
      'assignment.json: tests[0].fixed[0].case.buyers[0].quantity: must be a whole number from 1 to 1000000 (got 0); write e.g. "quantity": 1',
    ],
    [
      'a case field tickets do not have',
      withTest({ fixed: [{ case: { ...ticketCase, items: [] } }] }),
      'assignment.json: tests[0].fixed[0].case.items: unknown field; remove it, or use one of capacity, buyers',
    ],
    [
      'a schedule naming a stranger',
      withTest({ fixed: [{ case: ticketCase, schedule: '1 3' }] }),
      'assignment.json: tests[0].fixed[0].schedule: names buyer 3, but the case has buyers 1, 2; fix the schedule or add that buyer',
    ],
    [
      'a schedule in words',
      withTest({ fixed: [{ case: ticketCase, schedule: 'one two' }] }),
      'assignment.json: tests[0].fixed[0].schedule: must list buyer ids separated by spaces (got "one two"); write the buyer ids in release order, e.g. "schedule": "1 2 1 2", or "" for id order',
    ],
    [
      'a schedule as a list',
      withTest({ fixed: [{ case: ticketCase, schedule: [1, 2] }] }),
      'assignment.json: tests[0].fixed[0].schedule: must list buyer ids separated by spaces (got [1,2]); write the buyer ids in release order, e.g. "schedule": "1 2 1 2", or "" for id order',
    ],
    [
      'preemptions in words',
      withTest({ explore: { case: ticketCase, preemptions: 'some' } }),
      'assignment.json: tests[0].explore.preemptions: must be a whole number from 0 to 1000 or "all" (got "some"); write e.g. "preemptions": 2',
    ],
    [
      'no interleavings allowed',
      withTest({ explore: { case: ticketCase, maxInterleavings: 0 } }),
      'assignment.json: tests[0].explore.maxInterleavings: must be a whole number from 1 (got 0); write e.g. "maxInterleavings": 10000',
    ],
    [
      'an explore that is not an object',
      withTest({ explore: true }),
      'assignment.json: tests[0].explore: must be an object (got true); write e.g. { "case": { "capacity": 1, "buyers": [{ "id": 1, "quantity": 1 }, { "id": 2, "quantity": 1 }] }, "preemptions": 2 }',
    ],
  ])('%s', async (_, content, message) => {
    expect(await failure(content)).toBe(message);
  });

  it('invalid JSON, with the line and column when JSON.parse gives a position', async () => {
    expect(await failure('{\n  "title": "Lab"\n  "tests": []\n}\n')).toMatch(
      /^assignment\.json: is not valid JSON \(.*line 3 column 3.*\): fix the syntax there$/,
    );
    expect(await failure('{\n  "title": "Lab",\n  "tests": [,]\n}\n')).toMatch(
      /^assignment\.json: is not valid JSON \(Unexpected token ','.*\): fix the syntax there$/,
    );
  });

  it('a scenario module or reference that does not exist', async () => {
    expect(await failure({ ...withTest({}), scenario: './shop.scenario.ts' })).toBe(
      'assignment.json: scenario: shop.scenario.ts does not exist; give a path relative to the assignment file',
    );
    expect(await failure({ ...withTest({}), reference: 'reference/purchase.ts' })).toBe(
      'assignment.json: reference: reference/purchase.ts does not exist; give a path relative to the assignment file',
    );
  });

  it("a scenario module's case without buyer ids", async () => {
    const content = { ...withTest({ explore: { case: { products: [] } } }), scenario: './shop.scenario.ts' };
    expect(await failure(content, { 'shop.scenario.ts': 'export default {};\n' })).toBe(
      'assignment.json: tests[0].explore.case.buyers: must list buyers with whole ids from 1 (got nothing); write e.g. "buyers": [{ "id": 1, … }]',
    );
  });

  it('an assignment module that does not load', async () => {
    expect(await failure('export default { title: ;\n', {}, 'assignment.ts')).toMatch(
      /^assignment\.ts: does not load \(.*assignment\.ts:1:\d+: .*\): fix the error so the module can be imported$/,
    );
  });

  it('a folder, or no file at all', async () => {
    const file = await write(withTest({}));
    await expect(loadAssignment(dirname(file))).rejects.toThrow(
      `${dirname(file)}: is a folder: give the assignment file in it, as in ${file}`,
    );
    await expect(loadAssignment(join(dirname(file), 'nope.json'))).rejects.toThrow(
      /nope\.json: cannot read the assignment \(ENOENT.*\): check the path$/,
    );
  });
});
