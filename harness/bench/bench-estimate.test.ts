import { describe, expect, it } from 'vitest';
import { benchEstimate } from './bench-estimate.ts';
import { benchSettings } from './bench-settings.ts';

describe('benchEstimate', () => {
  it('counts what was asked: --concurrency 1,8 --duration 2s is 8 s for two strategies, no extras', () => {
    const settings = benchSettings({ levels: [1, 8], durationMs: 2000, ceiling: false });
    expect(benchEstimate(settings, 2, false)).toBe(
      'bench: 2 strategies × 2 levels (1, 8 buyers), 2 s each: about 8 s, plus set-up and 10 "last tickets" bursts per level',
    );
  });

  it('adds the ceiling and pgbench when they are asked for, at the highest level', () => {
    const settings = benchSettings({ levels: [1, 8], durationMs: 2000, ceiling: true });
    // 2 × 2 × 2 × 2 s, and pgbench: 3 rounds of driver and pgbench, then pgbench -j N, 2 s each.
    expect(benchEstimate(settings, 2, true)).toBe(
      'bench: 2 strategies × 2 levels (1, 8 buyers), 2 s each, each level also without contention, pgbench at 8 connections: about 30 s, plus set-up and 10 "last tickets" bursts per level',
    );
  });

  it('says the time depends on the throughput when purchases are counted', () => {
    const settings = benchSettings({ levels: [4], purchases: 1000, ceiling: false });
    expect(benchEstimate(settings, 1, false)).toBe(
      'bench: 1 strategy × 1 level (4 buyers), 1000 purchases per level; the time depends on the throughput it measures',
    );
  });
});
