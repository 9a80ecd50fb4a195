import { describe, expect, it } from 'vitest';
import {
  sampleCounterexample,
  sampleGradeReport,
  sampleSubmissions,
} from '../../test/fixtures/grade/sample-grade-report.ts';
import type { SubmissionGrade } from './grade-model.ts';
import {
  GITHUB_CLASSROOM_LIMIT_BYTES,
  githubClassroomOutputLine,
  prairieLearnUngradable,
  RESULT_LIMIT_BYTES,
  toGithubClassroomResult,
  toGradescopeResults,
  toPrairieLearnResults,
} from './platform-results.ts';

/** The subset of JSON Schema the schemas below use. */
interface Schema {
  readonly type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: Schema;
  readonly minimum?: number;
  readonly maximum?: number;
}

/** Every way `value` breaks `schema`, as `$.tests[1].status: …` lines. */
function violations(value: unknown, schema: Schema, path = '$'): string[] {
  const found: string[] = [];
  if (schema.enum && !schema.enum.includes(value))
    found.push(`${path}: ${JSON.stringify(value)} not in enum`);
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (schema.type) {
    const fits =
      schema.type === 'integer' ? Number.isInteger(value) : kind === schema.type && !Number.isNaN(value);
    if (!fits) return [...found, `${path}: ${kind}, not ${schema.type}`];
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      found.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      found.push(`${path}: above ${schema.maximum}`);
  }
  if (kind === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) found.push(`${path}.${key}: missing`);
    for (const [key, field] of Object.entries(object)) {
      const fieldSchema = schema.properties?.[key];
      if (fieldSchema) found.push(...violations(field, fieldSchema, `${path}.${key}`));
      else if (schema.additionalProperties === false)
        found.push(`${path}.${key}: not in the documented format`);
    }
  }
  if (Array.isArray(value) && schema.items) {
    for (const [at, item] of value.entries()) found.push(...violations(item, schema.items, `${path}[${at}]`));
  }
  return found;
}

// Written from "Autograder Specifications", section "Output format"
// (gradescope-autograders.readthedocs.io/en/latest/specs/; github.com/gradescope/
// autograder_samples docs/specs.md, January 2025). Every documented key, nothing else.
const gradescopeVisibility: Schema = {
  type: 'string',
  enum: ['hidden', 'after_due_date', 'after_published', 'visible'],
};
const gradescopeFormat: Schema = { type: 'string', enum: ['text', 'html', 'simple_format', 'md', 'ansi'] };
const gradescopeSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  // All optional in the docs ("score" is required unless every test has one);
  // oversold always writes these.
  required: ['score', 'execution_time', 'output', 'visibility', 'stdout_visibility', 'tests'],
  properties: {
    score: { type: 'number' },
    execution_time: { type: 'number', minimum: 0 },
    output: { type: 'string' },
    output_format: gradescopeFormat,
    test_output_format: gradescopeFormat,
    test_name_format: gradescopeFormat,
    visibility: gradescopeVisibility,
    stdout_visibility: gradescopeVisibility,
    extra_data: { type: 'object' },
    tests: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'score', 'max_score', 'output', 'visibility', 'status'],
        properties: {
          score: { type: 'number' },
          max_score: { type: 'number' },
          status: { type: 'string', enum: ['passed', 'failed'] },
          name: { type: 'string' },
          name_format: gradescopeFormat,
          number: { type: 'string' },
          output: { type: 'string' },
          output_format: gradescopeFormat,
          tags: { type: 'array', items: { type: 'string' } },
          visibility: gradescopeVisibility,
          extra_data: { type: 'object' },
        },
      },
    },
    leaderboard: { type: 'array' },
  },
};

// Written from PrairieLearn's "External Grading", section "Grading results"
// (prairielearn.readthedocs.io; github.com/PrairieLearn/PrairieLearn docs/externalGrading.md).
const prairieLearnTest: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'points', 'max_points'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    points: { type: 'number', minimum: 0 },
    max_points: { type: 'number', minimum: 0 },
    message: { type: 'string' },
    output: { type: 'string' },
    images: { type: 'array' },
  },
};
const prairieLearnSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['gradable', 'score', 'message', 'output', 'tests'],
  properties: {
    gradable: { type: 'boolean' },
    score: { type: 'number', minimum: 0, maximum: 1 },
    message: { type: 'string' },
    output: { type: 'string' },
    format_errors: { type: 'string' },
    images: { type: 'array' },
    tests: { type: 'array', items: prairieLearnTest },
  },
};

// What classroom-resources/autograding-grading-reporter reads (src/main.js,
// console-results.js, notify-classroom.js, helpers/test-helpers.js) in the shape
// classroom-resources/autograding-command-grader writes (src/main.js).
const classroomStatus: Schema = { type: 'string', enum: ['pass', 'fail', 'error'] };
const classroomSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'status', 'max_score', 'tests'],
  properties: {
    version: { enum: [1] },
    status: classroomStatus,
    max_score: { type: 'number', minimum: 0 },
    tests: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'status', 'score', 'message', 'test_code', 'line_no'],
        properties: {
          name: { type: 'string' },
          status: classroomStatus,
          score: { type: 'number', minimum: 0 },
          max_score: { type: 'number', minimum: 0 },
          message: { type: 'string' },
          test_code: { type: 'string' },
          filename: { type: 'string' },
          // Anything but 0 prints " - line N" after the test's name.
          line_no: { enum: [0] },
          duration: { type: 'number' },
        },
      },
    },
  },
};

const report = sampleGradeReport();
const { alice, bob, carol, dave } = sampleSubmissions;

/** A counterexample whose trace alone is several megabytes. */
function withHugeCounterexample(grade: SubmissionGrade): SubmissionGrade {
  const sql = `UPDATE events SET sold = sold + 1 WHERE id = 1 /* ${'x'.repeat(400)} */`;
  const trace = Array.from({ length: 20_000 }, (_, at) => ({
    buyer: (at % 2) + 1,
    event: 'sent' as const,
    sql: `${at} ${sql}`,
  }));
  return {
    ...grade,
    tests: grade.tests.map((test) =>
      test.counterexample ? { ...test, counterexample: { ...sampleCounterexample, trace } } : test,
    ),
  };
}

it('the schema check finds what breaks a schema (so an empty list means something)', () => {
  const broken = { ...toGradescopeResults(report, bob), extra: 1, stdout_visibility: 'students' };
  expect(violations(broken, gradescopeSchema)).toEqual([
    '$.stdout_visibility: "students" not in enum',
    '$.extra: not in the documented format',
  ]);
  const { score: _score, ...unscored } = toPrairieLearnResults(report, bob);
  expect(violations({ ...unscored, gradable: 'yes' }, prairieLearnSchema)).toEqual([
    '$.score: missing',
    '$.gradable: string, not boolean',
  ]);
  expect(violations({ ...toPrairieLearnResults(report, bob), score: 3 }, prairieLearnSchema)).toEqual([
    '$.score: above 1',
  ]);
});

describe('toGradescopeResults', () => {
  it('writes the documented results.json, field by field', () => {
    const results = toGradescopeResults(report, bob);
    expect(violations(results, gradescopeSchema)).toEqual([]);
    expect(results).toMatchObject({
      score: 3,
      execution_time: 3,
      visibility: 'visible',
      stdout_visibility: 'hidden',
      output_format: 'text',
    });
    expect(
      results.tests.map((test) => [test.name, test.score, test.max_score, test.status, test.visibility]),
    ).toEqual([
      ['No oversell: two buyers race for the last ticket', 0, 4, 'failed', 'visible'],
      ['Every buyer is told the truth', 3, 3, 'passed', 'after_due_date'],
      ['No undersell (hidden)', 0, 3, 'failed', 'hidden'],
    ]);
    expect(toGradescopeResults(report, bob, { executionTimeSeconds: 17.4 }).execution_time).toBe(17);
  });

  it("gives a failing test's counterexample in full: case, why, replay command, timeline", () => {
    const output = toGradescopeResults(report, bob).tests[0]?.output ?? '';
    expect(output).toContain('oversold: capacity 1, buyers 1 and 2 each bought the last ticket');
    expect(output).toContain('capacity 1; buyer 1 wants 1, buyer 2 wants 1; schedule "1 2 1 2"');
    expect(output).toContain(sampleCounterexample.why);
    expect(output).toContain(`replay: ${sampleCounterexample.replay}`);
    expect(output).toMatch(/buyer 1 +│ buyer 2/);
    // The replay command comes before the timeline, which a size limit cuts first.
    expect(output.indexOf('replay:')).toBeLessThan(output.indexOf('│'));
  });

  it('puts a submission error in the top-level output and in every test', () => {
    const results = toGradescopeResults(report, carol);
    expect(violations(results, gradescopeSchema)).toEqual([]);
    expect(results.score).toBe(0);
    expect(results.output).toContain(
      'could not be evaluated: no purchase.ts or purchase.sql in the submission',
    );
    for (const test of results.tests) {
      expect(test.output).toContain(
        'could not be evaluated: no purchase.ts or purchase.sql in the submission',
      );
      expect(test.status).toBe('failed');
    }
    // Said once when the test's line is the error already.
    const echoed = { ...carol, tests: carol.tests.map((test) => ({ ...test, output: carol.error ?? '' })) };
    for (const test of toGradescopeResults(report, echoed).tests) {
      expect(test.output).toBe('no purchase.ts or purchase.sql in the submission');
    }
  });

  it('lists every test of the assignment, scoring 0 those the submission was not graded on', () => {
    const results = toGradescopeResults(report, dave);
    expect(results.tests.map((test) => [test.score, test.status])).toEqual([
      [4, 'passed'],
      [0, 'failed'],
      [0, 'failed'],
    ]);
    expect(results.tests[1]?.output).toContain('not graded');
  });

  it('stays under 1 MB with a huge counterexample, saying what was cut', () => {
    const results = toGradescopeResults(report, withHugeCounterexample(bob));
    expect(Buffer.byteLength(JSON.stringify(results))).toBeLessThanOrEqual(RESULT_LIMIT_BYTES);
    expect(results.tests[0]?.output).toMatch(/… \(\d+ more characters cut\)$/);
    expect(results.tests[0]?.output).toContain(`replay: ${sampleCounterexample.replay}`);
  });
});

describe('toPrairieLearnResults', () => {
  it('writes the documented results.json, score as a fraction', () => {
    const results = toPrairieLearnResults(report, bob);
    expect(violations(results, prairieLearnSchema)).toEqual([]);
    expect(results.gradable).toBe(true);
    expect(results.score).toBeCloseTo(0.3);
    expect(results.message).toBe('1 of 3 tests passed: 3/10 points');
    expect(results.tests[0]).toMatchObject({
      name: 'No oversell: two buyers race for the last ticket',
      points: 0,
      max_points: 4,
      message: 'oversold: capacity 1, buyers 1 and 2 each bought the last ticket',
    });
    expect(results.tests[0]?.output).toContain(`replay: ${sampleCounterexample.replay}`);
    expect(results.tests[0]?.description).toMatch(/sold beyond what existed/);
  });

  it('gives tests that are not visible by name and points only, until grades are released', () => {
    const withheld = toPrairieLearnResults(report, bob).tests.slice(1);
    expect(withheld).toEqual([
      { name: 'Every buyer is told the truth', points: 3, max_points: 3 },
      { name: 'No undersell (hidden)', points: 0, max_points: 3 },
    ]);
    const released = toPrairieLearnResults(report, bob, { showHidden: true });
    expect(violations(released, prairieLearnSchema)).toEqual([]);
    expect(released.tests[2]?.message).toBe("buyer 2 was told 'sold-out' with 1 ticket left");
    expect(released.tests[2]?.output).toContain('replay:');
  });

  it('grades a broken submission (score 0, gradable): gradable false is for oversold failing', () => {
    const results = toPrairieLearnResults(report, carol);
    expect(results).toMatchObject({ gradable: true, score: 0 });
    expect(results.message).toBe(
      'The submission could not be evaluated: no purchase.ts or purchase.sql in the submission',
    );
    expect(toPrairieLearnResults(report, alice)).toMatchObject({ gradable: true, score: 1 });
    const failed = prairieLearnUngradable('PostgreSQL did not start');
    expect(violations(failed, prairieLearnSchema)).toEqual([]);
    expect(failed).toMatchObject({ gradable: false, tests: [] });
    expect(failed.message).toContain('PostgreSQL did not start');
  });

  it('stays under 1 MB with a huge counterexample: the timeline is cut, the replay command kept', () => {
    const huge = withHugeCounterexample(bob);
    const uncut = JSON.stringify(toGradescopeResults(report, huge).tests);
    expect(uncut.length).toBeGreaterThan(100_000);
    const results = toPrairieLearnResults(report, huge, { showHidden: true });
    const size = Buffer.byteLength(JSON.stringify(results));
    expect(size).toBeLessThanOrEqual(RESULT_LIMIT_BYTES);
    expect(size).toBeGreaterThan(RESULT_LIMIT_BYTES / 2);
    expect(violations(results, prairieLearnSchema)).toEqual([]);
    for (const at of [0, 2]) {
      const output = results.tests[at]?.output ?? '';
      expect(output).toMatch(/… \(\d+ more characters cut\)$/);
      expect(output).toContain('replay:');
    }
    // Short texts are not cut to make room.
    expect(results.tests[0]?.message).toBe(
      'oversold: capacity 1, buyers 1 and 2 each bought the last ticket',
    );
  });
});

describe('toGithubClassroomResult', () => {
  it("writes what the classroom reporter reads; the points it records are the submission's", () => {
    const result = toGithubClassroomResult(report, bob);
    expect(violations(result, classroomSchema)).toEqual([]);
    expect(result).toMatchObject({ version: 1, status: 'fail', max_score: 10 });
    expect(result.tests.map((test) => [test.name, test.status, test.score])).toEqual([
      ['No oversell: two buyers race for the last ticket', 'fail', 0],
      ['Every buyer is told the truth', 'pass', 3],
      ['No undersell (hidden)', 'fail', 0],
    ]);
    // notify-classroom.js: totalPoints is the sum of tests[].score, maxPoints the max_score.
    expect(result.tests.reduce((total, test) => total + test.score, 0)).toBe(bob.score);
    expect(result.tests[0]?.test_code).toBe(sampleCounterexample.replay);
    expect(result.tests[0]?.filename).toBe('purchase.ts');
  });

  it('keeps the details of tests that are not visible out of the Actions log', () => {
    const result = toGithubClassroomResult(report, bob);
    for (const test of result.tests.slice(1)) expect([test.message, test.test_code]).toEqual(['', '']);
    const released = toGithubClassroomResult(report, bob, { showHidden: true });
    expect(released.tests[2]?.message).toBe("buyer 2 was told 'sold-out' with 1 ticket left");
  });

  it('says pass when every test passed and error when the submission could not be evaluated', () => {
    expect(toGithubClassroomResult(report, alice).status).toBe('pass');
    const broken = toGithubClassroomResult(report, carol);
    expect(broken.status).toBe('error');
    expect(broken.tests.map((test) => test.status)).toEqual(['error', 'error', 'error']);
    // Even a hidden test says why the submission could not be evaluated.
    for (const test of broken.tests)
      expect(test.message).toBe('no purchase.ts or purchase.sql in the submission');
  });

  it('encodes the result=<base64> line the reporter decodes, under the size an environment variable may take', () => {
    const result = toGithubClassroomResult(report, bob);
    const line = githubClassroomOutputLine(result);
    expect(line).toMatch(/^result=[A-Za-z0-9+/]+=*$/);
    // As src/main.js does: Buffer.from(env, 'base64') then JSON.parse.
    expect(JSON.parse(Buffer.from(line.slice('result='.length), 'base64').toString('utf-8'))).toEqual(result);

    const longLine = { ...bob.tests[0]!, output: `oversold: ${'y'.repeat(200_000)}` };
    const huge = toGithubClassroomResult(report, { ...bob, tests: [longLine, ...bob.tests.slice(1)] });
    expect(githubClassroomOutputLine(huge).length).toBeLessThanOrEqual(
      GITHUB_CLASSROOM_LIMIT_BYTES + 'result='.length,
    );
    expect(huge.tests[0]?.message).toMatch(/more characters cut\)$/);
    expect(huge.tests[0]?.test_code).toBe(sampleCounterexample.replay);
  });
});
