import { describe, expect, it } from 'vitest';
import { PROPERTY_NAMES } from '../../properties/property-names.ts';
import { testDatabaseUrl } from '../../test/support/test-lab.ts';
import { type RunExploreOptions, runExplore } from './run-explore.ts';

// explore --isolate: buyers' code in sandboxed processes (bubblewrap where it
// works, as .ci/run installs it), SQL as a confined role. The same
// exploration must reach the same outcomes as in-process, and a buyer's
// process that dies is the strategy's error, not a crash of explore.

const unsafeNoSandbox = process.env.CI !== 'true' && !(await bwrapWorks());

async function bwrapWorks(): Promise<boolean> {
  const { Sandbox } = await import('../grade/sandbox.ts');
  return Sandbox.open({ memoryMb: 64, cpuSeconds: 10 }).then(
    async (sandbox) => {
      await sandbox.close();
      return true;
    },
    () => false,
  );
}

function options(paths: string[], isolate: boolean): RunExploreOptions {
  return {
    paths,
    database: { url: testDatabaseUrl() },
    capacity: 1,
    buyers: 2,
    quantities: [1],
    properties: [...PROPERTY_NAMES],
    timeoutMs: 30_000,
    preemptionBound: null,
    maxInterleavings: null,
    timeLimitMs: null,
    reduction: true,
    symmetry: false,
    jobs: 1,
    ...(isolate ? { isolate: true, unsafeNoSandbox } : {}),
  };
}

describe('explore --isolate', () => {
  it('reaches the same outcomes as in-process, for TypeScript and SQL strategies', async () => {
    const paths = [
      'strategies/naive-read-modify-write.ts',
      'strategies/select-for-update.ts',
      'strategies/plpgsql-lock-first.sql',
    ];
    const plain = await runExplore(options(paths, false));
    const isolated = await runExplore(options(paths, true));
    const outcomes = (report: typeof plain) =>
      report.strategies.map((strategy) => ({
        name: strategy.name,
        error: strategy.error,
        status: strategy.exploration?.status,
        outcomes: strategy.exploration?.outcomes,
      }));
    expect(outcomes(isolated)).toEqual(outcomes(plain));
    expect(isolated.strategies.every((strategy) => strategy.exploration?.status === 'exhausted')).toBe(true);
    // The naive purchase still oversells under isolation: the control that must be caught.
    const naive = isolated.strategies.find((strategy) => strategy.name === 'naive-read-modify-write');
    expect(naive?.properties.find((property) => property.name === 'no-oversell')?.passed).toBe(false);
  });

  it("reports a buyer's process killed by a signal as the strategy's error", async () => {
    const report = await runExplore(options(['test/fixtures/isolate/killed-by-signal.ts'], true));
    expect(report.strategies[0]?.error).toMatch(
      /buyer \d's process was killed by SIGKILL during purchase\(\)/,
    );
  });
});
