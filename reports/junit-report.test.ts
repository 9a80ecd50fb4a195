import { readFile } from 'node:fs/promises';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSampleCheck, type SampleCheck } from '../test/fixtures/reports/sample-check.ts';

interface JsonProperty {
  passed: boolean;
  asExpected: boolean;
  counterexample: { replay: string; why: string } | null;
}
interface JsonStrategy {
  name: string;
  error: string | null;
  properties: Record<string, JsonProperty>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

let sample: SampleCheck;
let xml: string;
let json: { strategies: JsonStrategy[] };
beforeAll(async () => {
  sample = await runSampleCheck('junit');
  xml = await readFile(sample.junit, 'utf8');
  json = JSON.parse(await readFile(sample.json, 'utf8'));
});

describe('--junit on PostgreSQL (real CLI run)', () => {
  it('is well-formed XML whose counts match the JSON report', () => {
    expect(sample.cli.code).toBe(2);
    expect(XMLValidator.validate(xml)).toBe(true);
    const root = parser.parse(xml).testsuites;
    const properties = json.strategies.flatMap((strategy) => Object.values(strategy.properties));
    const broken = json.strategies.filter((strategy) => strategy.error !== null);
    const tests = properties.length + broken.length;
    const failures = properties.filter((property) => !property.asExpected).length;
    expect(failures).toBe(2);
    expect(broken).toHaveLength(1);
    expect({
      tests: Number(root.tests),
      failures: Number(root.failures),
      errors: Number(root.errors),
    }).toEqual({ tests, failures, errors: broken.length });
    expect(root.testsuite.map((suite: { name: string }) => suite.name)).toEqual(
      json.strategies.map((strategy) => strategy.name),
    );
  });

  it('has one test case per strategy and property, failing exactly where the JSON says', () => {
    const suites = parser.parse(xml).testsuites.testsuite as {
      name: string;
      testcase: { name: string; classname: string; failure?: unknown; error?: unknown }[];
    }[];
    for (const strategy of json.strategies) {
      const suite = suites.find((candidate) => candidate.name === strategy.name)!;
      if (strategy.error !== null) {
        expect(suite.testcase).toHaveLength(1);
        expect(suite.testcase[0]).toMatchObject({ name: 'evaluate', classname: strategy.name });
        expect(suite.testcase[0]!.error).toBeDefined();
        continue;
      }
      expect(suite.testcase.map((testCase) => testCase.name)).toEqual(Object.keys(strategy.properties));
      for (const testCase of suite.testcase) {
        expect(testCase.classname).toBe(strategy.name);
        expect(testCase.failure !== undefined).toBe(!strategy.properties[testCase.name]!.asExpected);
        expect(testCase.error).toBeUndefined();
      }
    }
  });

  it('gives every test case a time in seconds, rounded to the millisecond', () => {
    const suites = parser.parse(xml).testsuites.testsuite as {
      time: string;
      testcase: { time?: string }[];
    }[];
    const cases = suites.flatMap((suite) => suite.testcase);
    expect(cases.length).toBeGreaterThan(0);
    for (const { time } of [...suites, ...cases]) expect(time).toMatch(/^\d+(\.\d{1,3})?$/);
    // Each property's own time, not a share of the strategy's: they differ.
    expect(new Set(cases.map((testCase) => testCase.time)).size).toBeGreaterThan(1);
  });

  it('records what was searched as suite properties', () => {
    const suites = parser.parse(xml).testsuites.testsuite as {
      properties:
        | { property: { name: string; value: string }[] }[]
        | { property: { name: string; value: string }[] };
    }[];
    for (const suite of suites) {
      const holder = Array.isArray(suite.properties) ? suite.properties[0]! : suite.properties;
      const properties = Object.fromEntries(holder.property.map(({ name, value }) => [name, value]));
      expect(properties).toMatchObject({
        capacity: '1..3',
        buyers: '2..4',
        quantity: '1..2',
        runs: '20',
        seed: '7',
      });
    }
  });

  it('puts the timeline and the replay command in the failure, text as text', () => {
    const suites = parser.parse(xml).testsuites.testsuite as {
      name: string;
      testcase: { name: string; failure?: { message: string; '#text': string } }[];
    }[];
    const naive = json.strategies.find((strategy) => strategy.name === 'naive-oversells')!;
    const example = naive.properties['no-oversell']!.counterexample!;
    const failure = suites
      .find((suite) => suite.name === 'naive-oversells')!
      .testcase.find((testCase) => testCase.name === 'no-oversell')!.failure!;
    expect(failure.message).toContain(example.replay);
    const body = failure['#text'];
    expect(body).toMatch(/buyer 1\s+│ buyer 2/);
    expect(body).toContain(`replay: ${example.replay}`);
    // The SQL comment's markup survives as characters, not as XML.
    expect(body).toContain(`<script>alert("x")</script> & 'q'`);
    const waits = suites
      .find((suite) => suite.name === 'stale-subquery-update')!
      .testcase.find((testCase) => testCase.name === 'no-oversell')!.failure!['#text'];
    expect(waits).toContain('<waiting on buyer');
    expect(waits).toContain('<… completed>');
  });

  it('reports the strategy that could not be evaluated as an error with its message', () => {
    const suites = parser.parse(xml).testsuites.testsuite as {
      name: string;
      testcase: { error?: { message: string; type: string } }[];
    }[];
    const error = suites.find((suite) => suite.name === 'bad-return')!.testcase[0]!.error!;
    expect(error.type).toBe('StrategyError');
    expect(error.message).toContain(`returned '<i>maybe</i>'`);
  });
});
