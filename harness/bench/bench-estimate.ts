import type { BenchSettings } from './bench-settings.ts';

/** pgbench's comparison: driver and pgbench -j 1 alternate this many times, then one pgbench -j N. */
const PGBENCH_ROUNDS = 3;

/**
 * What `oversold bench` is about to do and roughly how long it takes, printed
 * before it starts: the measured seconds (levels × strategies × duration, twice
 * with the no-contention ceiling, plus pgbench's runs); set-up and the "last
 * tickets" bursts come on top. With --purchases the time depends on the
 * throughput, which is what is measured: the line says so.
 */
export function benchEstimate(settings: BenchSettings, strategies: number, pgbench: boolean): string {
  const levels = settings.levels.length;
  const runsPerLevel = settings.ceiling ? 2 : 1;
  const plan = `${strategies} ${strategies === 1 ? 'strategy' : 'strategies'} × ${levels} ${levels === 1 ? 'level' : 'levels'} (${settings.levels.join(', ')} buyers)`;
  const extras = [
    settings.ceiling ? 'each level also without contention' : '',
    pgbench ? `pgbench at ${Math.max(...settings.levels)} connections` : '',
  ].filter(Boolean);
  const also = extras.length > 0 ? `, ${extras.join(', ')}` : '';
  if (settings.purchases !== undefined) {
    return `bench: ${plan}, ${settings.purchases} purchases per level${also}; the time depends on the throughput it measures`;
  }
  const seconds = Math.max(1, Math.round(settings.durationMs / 1000));
  const measured =
    (strategies * levels * runsPerLevel * settings.durationMs +
      (pgbench ? (2 * PGBENCH_ROUNDS + 1) * seconds * 1000 : 0)) /
    1000;
  return `bench: ${plan}, ${formatSeconds(settings.durationMs / 1000)} each${also}: about ${formatSeconds(measured)}, plus set-up and ${settings.bursts} "last tickets" ${settings.bursts === 1 ? 'burst' : 'bursts'} per level`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Number(seconds.toFixed(1))} s`;
  return `${Math.round(seconds / 60)} min`;
}
