import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateProperty } from '../../properties/properties.ts';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { openTestLab, testDatabaseUrl } from '../../test/support/test-lab.ts';
import { checkStrategy } from '../check/check-strategy.ts';
import type { StrategyReport } from '../check/report-model.ts';
import { runReplay } from '../check/run-replay.ts';
import type { Lab } from '../engine/lab.ts';
import { loadStrategy } from '../strategy/load-strategy.ts';

// Real client libraries, unchanged, through oversold's wire gate (on the real server).
let lab: Lab;
let scratch: string;
beforeAll(async () => {
  lab = await openTestLab();
  scratch = await mkdtemp(join(tmpdir(), 'oversold-gate-'));
});
afterAll(async () => {
  await lab?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const options = {
  runs: 25,
  seed: 2024,
  ranges: { capacity: { min: 1, max: 2 }, buyers: { min: 2, max: 3 }, quantity: { min: 1, max: 1 } },
  properties: PROPERTY_NAMES,
  timeoutMs: 20_000,
};

async function check(path: string): Promise<StrategyReport> {
  const loaded = await loadStrategy(path);
  if ('error' in loaded) throw loaded.error;
  return checkStrategy(lab, loaded.strategy, options);
}

/** A command strategy for a script of examples/any-language, run with this interpreter. */
async function commandStrategy(name: string, command: string[]): Promise<string> {
  const path = join(scratch, `${name}.json`);
  await writeFile(path, JSON.stringify({ name, command, timeoutMs: 20_000 }));
  return path;
}

const example = (file: string) => resolve('examples/any-language', file);

function hasModule(interpreter: string, check: string[]): boolean {
  try {
    execFileSync(interpreter, check, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const python = '/usr/bin/python3';
const hasPsycopg2 = hasModule(python, ['-c', 'import psycopg2']);
const hasRubyPg = hasModule('ruby', ['-e', 'require "pg"']);

const clients: { name: string; unsafe: () => Promise<string>; safe: () => Promise<string>; skip?: string }[] =
  [
    {
      name: 'node-postgres Pool',
      unsafe: async () => 'harness/gate/fixtures/pg-pool-naive.ts',
      safe: async () => 'harness/gate/fixtures/pg-pool-safe.ts',
    },
    {
      name: 'postgres.js',
      unsafe: async () => 'harness/gate/fixtures/postgres-js-naive.ts',
      safe: async () => 'harness/gate/fixtures/postgres-js-safe.ts',
    },
    {
      name: 'Knex over node-postgres',
      unsafe: async () => 'examples/any-language/knex-oversell.ts',
      safe: async () => 'examples/any-language/knex-safe.ts',
    },
    {
      name: 'Python psycopg2',
      unsafe: () => commandStrategy('psycopg2-oversell', [python, example('buy_oversell.py')]),
      safe: () => commandStrategy('psycopg2-safe', [python, example('buy_safe.py')]),
      ...(hasPsycopg2 ? {} : { skip: 'python3-psycopg2 is not installed (.ci/run installs it)' }),
    },
    {
      name: 'Ruby pg',
      unsafe: () =>
        commandStrategy('ruby-pg-oversell', ['ruby', resolve('harness/gate/fixtures/buy_oversell.rb')]),
      safe: () => commandStrategy('ruby-pg-safe', ['ruby', resolve('harness/gate/fixtures/buy_safe.rb')]),
      ...(hasRubyPg ? {} : { skip: 'ruby-pg is not installed (.ci/run installs it)' }),
    },
  ];

describe('real clients through the wire gate', () => {
  for (const client of clients) {
    const test = client.skip ? it.skip : it;
    test(`${client.name}: an overselling purchase is caught, and its replay oversells again`, async () => {
      const file = await client.unsafe();
      const report = await check(file);
      expect(report.error).toBeNull();
      const oversell = report.properties.find((property) => property.name === 'no-oversell')!;
      expect(oversell.passed).toBe(false);
      const example = oversell.counterexample!;
      expect(example.sold).toBeGreaterThan(example.capacity);
      // Each held statement is one step: the trace shows the client's own SQL.
      expect(example.trace.some((event) => event.event === 'sent' && /remaining/i.test(event.sql))).toBe(
        true,
      );
      const replayed = await runReplay({
        file,
        schedule: example.schedule.split(' ').map(Number),
        capacity: example.capacity,
        buyers: example.buyers.length,
        quantities: example.buyers.map((buyer) => buyer.quantity),
        database: { url: testDatabaseUrl() },
        properties: ['no-oversell'],
        timeoutMs: options.timeoutMs,
      });
      expect(replayed.run).not.toBeNull();
      expect(evaluateProperty('no-oversell', replayed.run!.facts).holds).toBe(false);
      const strip = (trace: readonly object[]) =>
        trace.map(({ at: _at, ...event }: { at?: string }) => event);
      expect(strip(replayed.run!.trace)).toEqual(strip(example.trace));
    });
    test(`${client.name}: a safe purchase passes every property`, async () => {
      const report = await check(await client.safe());
      expect(report.error).toBeNull();
      expect(
        Object.fromEntries(report.properties.map((property) => [property.name, property.passed])),
      ).toEqual(Object.fromEntries(PROPERTY_NAMES.map((name) => [name, true])));
      expect(report.interleavings).toBeGreaterThan(5);
    });
  }
});
