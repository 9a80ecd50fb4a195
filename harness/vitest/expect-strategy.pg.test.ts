import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import { expectNoOversell, expectStrategyHolds, OversoldAssertionError } from './expect-strategy.ts';
import { openStrategyRunner } from './strategy-runner.ts';

const naive = 'test/fixtures/reports/strategies/naive-oversells.ts';

describe('expectNoOversell on PostgreSQL', () => {
  it('resolves to the report for a strategy that never oversells', async () => {
    const report = await expectNoOversell('strategies/guarded-update.ts', { runs: 20, seed: 3 });
    expect(report.passed).toBe(true);
    expect(report.properties.map((property) => property.name)).toEqual(['no-oversell']);
  });

  it('fails an oversell with the timeline and a replay command that reproduces it', async () => {
    const error = await expectNoOversell(naive, { runs: 20, seed: 3 }).then(
      () => expect.fail('expected the naive strategy to oversell'),
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OversoldAssertionError);
    const { message, report } = error as OversoldAssertionError;
    expect(message.split('\n')[0]).toMatch(
      /^naive-oversells \(.+naive-oversells\.ts\) breaks no-oversell: \d+ units of event 101 were sold but only \d+ existed/,
    );
    expect(message).toMatch(/buyer 1\s+│ buyer 2/);
    expect(message).toContain('seed 3, 20 runs: pass { seed: 3 }');
    const example = report.properties[0]!.counterexample!;
    expect(message).toContain(`replay: ${example.replay}`);
    // The printed command, run as printed, oversells the same way.
    const args = example.replay
      .replace(/^oversold /, '')
      .match(/"[^"]*"|\S+/g)!
      .map((word) => word.replace(/^"|"$/g, ''));
    const replay = await runCli([...args, '--properties', 'no-oversell'], {
      DATABASE_URL: testDatabaseUrl(),
    });
    expect(replay.code).toBe(1);
    expect(replay.stdout).toContain(`sold ${example.sold} of ${example.capacity}`);
  });

  it('fails, naming the reason, when the strategy cannot be evaluated', async () => {
    await expect(
      expectStrategyHolds('test/fixtures/reports/strategies/bad-return.ts', { runs: 5, seed: 1 }),
    ).rejects.toThrow(/bad-return could not be evaluated: .*returned '<i>maybe<\/i>'/);
    await expect(expectNoOversell('test/fixtures/reports/strategies/missing.ts')).rejects.toThrow(
      /missing\.ts: no such file/,
    );
  });

  it('rejects bad options before touching the database, saying what to pass', async () => {
    await expect(expectNoOversell(naive, { runs: 0 })).rejects.toThrow(
      'runs must be a whole number ≥ 1, got 0',
    );
    await expect(expectNoOversell(naive, { buyers: { min: 3, max: 2 } })).rejects.toThrow(
      'buyers must be { min, max }',
    );
    await expect(
      expectStrategyHolds(naive, { properties: ['no-overselling' as 'no-oversell'] }),
    ).rejects.toThrow("not 'no-overselling'");
  });
});

describe('openStrategyRunner on PostgreSQL', () => {
  it('runs the interleaving the choices give and explains it', async () => {
    await using runner = await openStrategyRunner(naive);
    const kase = {
      capacity: 1,
      buyers: [
        { id: 1, quantity: 1 },
        { id: 2, quantity: 1 },
      ],
    };
    // Choice 1 releases the second ready buyer: buyer 2 reads, then buyer 1 runs through.
    const run = await runner.run(kase, [1]);
    expect(run.schedule).toBe('2 1 1 1 2 2');
    expect(run.sold).toBe(2);
    expect(run.outcomes).toEqual({ '1': 'purchased', '2': 'purchased' });
    expect(run.check('no-oversell').holds).toBe(false);
    expect(run.explain()).toContain(`replay: ${run.replay}`);
    // Runs on one runner start from fresh stock each time.
    const serial = await runner.run(kase, []);
    expect(serial.schedule).toBe('1 1 1 2');
    expect(serial.sold).toBe(1);
    expect(serial.check('no-oversell').holds).toBe(true);
  });
});
