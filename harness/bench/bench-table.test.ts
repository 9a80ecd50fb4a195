import { describe, expect, it } from 'vitest';
import type { BenchResult } from './bench-report.ts';
import { benchSettings } from './bench-settings.ts';
import { formatBenchReport } from './bench-table.ts';

function result(strategy: string, concurrency: number, failed: number, burstFailed: number): BenchResult {
  return {
    strategy,
    file: `strategies/${strategy}.ts`,
    concurrency,
    throughput: 1000,
    p50Ms: 1,
    p95Ms: 2,
    p99Ms: 3,
    purchased: 1000,
    soldOut: 0,
    failed,
    retries: 0,
    errors: failed > 0 ? { '40001': failed } : {},
    oversold: 0,
    elapsedMs: 1000,
    lastTickets: { capacity: 4, bursts: 10, sold: 40, oversold: 0, failed: burstFailed },
    ceiling: null,
  };
}

describe('formatBenchReport', () => {
  it('names the purchases that threw in its last line, per strategy, bursts included', () => {
    const text = formatBenchReport({
      database: { source: 'url', serverVersion: '15.20' },
      settings: benchSettings({ levels: [1, 8], ceiling: false }),
      strategies: [],
      results: [
        result('guarded-update', 1, 0, 0),
        result('serializable-retry', 1, 0, 0),
        result('serializable-retry', 8, 72, 8),
      ],
      pgbench: null,
    });
    const last = text.split('\n').at(-1)!;
    expect(last).toMatch(/^serializable-retry: 80 purchases threw · 5 s per level/);
    expect(last).not.toContain('guarded-update');
  });

  it('says nothing of it when no purchase threw', () => {
    const text = formatBenchReport({
      database: { source: 'url', serverVersion: '15.20' },
      settings: benchSettings({ levels: [1], ceiling: false }),
      strategies: [],
      results: [result('guarded-update', 1, 0, 0)],
      pgbench: null,
    });
    expect(text.split('\n').at(-1)).toMatch(/^5 s per level/);
  });
});
