import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStrategy } from '../harness/check/check-strategy.ts';
import { firstDivergence } from '../harness/check/trace-divergence.ts';
import type { Lab } from '../harness/engine/lab.ts';
import { runCase } from '../harness/engine/run-case.ts';
import { Workspace } from '../harness/engine/workspace.ts';
import type { Scenario, ScenarioCase } from '../harness/scenarios/scenario.ts';
import { findScenario } from '../harness/scenarios/scenario-registry.ts';
import { installStrategySql } from '../harness/strategy/install-strategy-sql.ts';
import { findStrategyFiles, loadStrategy } from '../harness/strategy/load-strategy.ts';
import type { LoadedStrategy } from '../harness/strategy/strategy.ts';
import { defaultCaseRanges } from '../properties/case-arbitrary.ts';
import { evaluateProperty } from '../properties/properties.ts';
import { PROPERTY_NAMES } from '../properties/property-names.ts';
import { openTestLab } from '../test/support/test-lab.ts';

// Every strategy file in this folder, found the way `oversold check strategies` finds them,
// so a new catalogue entry is covered without touching this test.
const folder = fileURLToPath(new URL('.', import.meta.url));
const files = await findStrategyFiles([folder]);
const entries = files.map((file) => ({ file, entry: relative(folder, file) }));

const SEED = 1;
const RUNS = 100;

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

async function load(file: string): Promise<LoadedStrategy> {
  const loaded = await loadStrategy(file);
  if ('error' in loaded) throw loaded.error;
  return loaded.strategy;
}

describe('the strategy catalogue on PostgreSQL', () => {
  it('has the entries the README and other tools name', () => {
    expect(entries.map(({ entry }) => entry)).toEqual(
      expect.arrayContaining([
        'naive-read-modify-write.ts',
        'for-update-outside-transaction.ts',
        'guarded-update-ignores-rowcount.ts',
        'count-then-insert.ts',
        'advisory-lock-wrong-key.ts',
        'check-then-buy-later.ts',
        'clamped-decrement.ts',
        'select-for-update.ts',
        'guarded-update.ts',
        'check-constraint-decrement.ts',
        'compare-and-set-retry.ts',
        'serializable-retry.ts',
        'repeatable-read-retry.ts',
        'advisory-xact-lock.ts',
        'seat-rows-skip-locked.ts',
        'decrement-and-insert-one-statement.ts',
        'plpgsql-lock-first.sql',
        'nowait-sold-out.ts',
        'serializable-no-retry.ts',
      ]),
    );
  });

  it.each(entries)('$entry gets exactly the verdicts its expect names', async ({ file }) => {
    const strategy = await load(file);
    expect(strategy.description, 'a catalogue entry says what it does').toBeTruthy();
    const report = await checkStrategy(lab, strategy, {
      runs: RUNS,
      seed: SEED,
      ranges: defaultCaseRanges,
      properties: PROPERTY_NAMES,
      timeoutMs: 30_000,
    });
    expect(report.error).toBeNull();
    const verdicts = Object.fromEntries(
      report.properties.map((property) => [property.name, property.passed]),
    );
    const expected = Object.fromEntries(PROPERTY_NAMES.map((name) => [name, strategy.expect[name] ?? true]));
    expect(verdicts).toEqual(expected);
    expect(report.properties.every((property) => property.asExpected)).toBe(true);
    expect(report.passed).toBe(true);

    for (const property of report.properties.filter((candidate) => !candidate.passed)) {
      const counterexample = property.counterexample;
      expect(counterexample, `${property.name} failed without a counterexample`).not.toBeNull();
      expect(counterexample!.replay).toMatch(/^oversold replay \S+ --schedule "[\d ]+"/);
      expect(counterexample!.replay).toContain(strategy.file);
      expect(counterexample!.why.length).toBeGreaterThan(0);

      // Replaying the counterexample's case and schedule fails the property again.
      const scenario = findScenario(strategy.scenario) as Scenario<ScenarioCase>;
      const schedule = counterexample!.schedule.split(' ').map(Number);
      await using workspace = await Workspace.open(lab, strategy.name, scenario);
      await installStrategySql(workspace, strategy, scenario);
      const replayed = await runCase({
        workspace,
        strategy,
        scenario,
        kase: counterexample!.case as ScenarioCase,
        choose: (index, ready) => {
          const id = schedule[index] ?? ready[0]!;
          if (!ready.includes(id)) throw new Error(`replay: buyer ${id} not ready at decision ${index + 1}`);
          return id;
        },
        timeoutMs: 30_000,
      });
      expect(replayed.decisions.join(' ')).toBe(counterexample!.schedule);
      expect(evaluateProperty(property.name, replayed.facts).holds).toBe(false);
      // The same run, event for event (call sites aside), and the same units sold.
      expect(firstDivergence(counterexample!.trace, replayed.trace)).toBeNull();
      expect(replayed.facts.measurement.stock).toEqual(counterexample!.stock);
    }
  });
});
