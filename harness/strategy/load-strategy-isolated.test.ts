import { describe, expect, it } from 'vitest';
import { loadStrategyIsolated } from './load-strategy-isolated.ts';

const fixture = (name: string) => `test/fixtures/isolate/${name}`;

describe('loadStrategyIsolated: the module is evaluated in a child, within the timeout', () => {
  it('reads what a module declares without running its code here', async () => {
    const loaded = await loadStrategyIsolated('strategies/naive-read-modify-write.ts', { timeoutMs: 20_000 });
    if (!('strategy' in loaded)) throw loaded.error;
    expect(loaded.strategy.name).toBe('naive-read-modify-write');
    expect(loaded.strategy.expect['no-oversell']).toBe(false);
    await expect(loaded.strategy.purchase({} as never, {})).rejects.toThrow(
      /runs in a child process under --isolate/,
    );
  });

  it('top-level code that awaits forever is reported as not loading within the timeout', async () => {
    const started = performance.now();
    const loaded = await loadStrategyIsolated(fixture('top-level-awaits-forever.ts'), { timeoutMs: 1500 });
    expect('error' in loaded && loaded.error.message).toMatch(
      /top-level-awaits-forever\.ts: did not finish loading within 1500 ms/,
    );
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('top-level code that spins is stopped after the timeout', async () => {
    const loaded = await loadStrategyIsolated(fixture('top-level-busy-loop.ts'), { timeoutMs: 1500 });
    expect('error' in loaded && loaded.error.message).toMatch(
      /top-level-busy-loop\.ts: did not finish loading within 1500 ms/,
    );
  });

  it('a module that ends its process while loading names the exit code', async () => {
    const loaded = await loadStrategyIsolated(fixture('top-level-exits.ts'), { timeoutMs: 20_000 });
    expect('error' in loaded && loaded.error.message).toMatch(
      /top-level-exits\.ts: its process exited with code 3 while loading the strategy/,
    );
  });

  it('a bad module is reported as the in-process loader reports it', async () => {
    const loaded = await loadStrategyIsolated('test/fixtures/strategies/no-purchase.ts', {
      timeoutMs: 20_000,
    });
    expect('error' in loaded && loaded.error.message).toMatch(
      /no-purchase\.ts: its default export has no purchase\(\)/,
    );
  });
});
