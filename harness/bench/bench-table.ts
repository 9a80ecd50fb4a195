import pc from 'picocolors';
import type { BenchReport, BenchResult } from './bench-report.ts';

const columns = [
  'strategy',
  'buyers',
  'purchases/s',
  'no contention/s',
  'of it',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'retries',
  'errors (SQLSTATE×n)',
  'last tickets: oversold',
] as const;
const rightAligned = new Set<string>(columns.slice(1, 9));

/** The console report of `oversold bench`: one row per strategy and level, then pgbench and errors. */
export function formatBenchReport(report: BenchReport, options: { readonly color?: boolean } = {}): string {
  const colors = pc.createColors(options.color ?? false);
  const rows = report.results.map((result) => row(result));
  const widths = columns.map((title, index) =>
    Math.max(title.length, ...rows.map((cells) => (cells[index] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        return rightAligned.has(columns[index] ?? '') ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const lines: string[] = [];
  if (rows.length > 0) {
    lines.push(colors.bold(line(columns)));
    let previous = '';
    for (const [index, cells] of rows.entries()) {
      const result = report.results[index]!;
      if (previous !== '' && previous !== result.strategy) lines.push('');
      previous = result.strategy;
      const text = line(cells);
      lines.push(result.oversold > 0 ? colors.red(text) : text);
    }
  }
  const soldOut = report.results.filter((result) => result.soldOut > 0);
  if (soldOut.length > 0) {
    lines.push('');
    lines.push(
      colors.yellow(
        `the sale ended early for ${soldOut.map((result) => `${result.strategy} at ${result.concurrency}`).join(', ')}: raise --stock`,
      ),
    );
  }
  lines.push('');
  lines.push(pgbenchLine(report));
  for (const strategy of report.strategies) {
    if (strategy.error !== null) lines.push(colors.red(`! ${strategy.error}`));
  }
  const { settings } = report;
  const length =
    settings.purchases !== undefined ? `${settings.purchases} purchases` : `${settings.durationMs / 1000} s`;
  // Purchases that threw belong in the last line too, not only in a column.
  const threw = threwText(report);
  lines.push(
    `${threw ? `${colors.red(threw)} · ` : ''}${colors.dim(
      `${length} per level · stock ${settings.stock} · last tickets: ${settings.bursts} bursts per level · PostgreSQL ${report.database.serverVersion} (${report.database.source})`,
    )}`,
  );
  return lines.join('\n');
}

/** `serializable-retry: 80 purchases threw` per strategy whose purchases threw, at any level or burst. */
function threwText(report: BenchReport): string {
  const counts = new Map<string, number>();
  for (const result of report.results) {
    const failed = result.failed + result.lastTickets.failed;
    if (failed > 0) counts.set(result.strategy, (counts.get(result.strategy) ?? 0) + failed);
  }
  return [...counts]
    .map(([strategy, count]) => `${strategy}: ${count} ${count === 1 ? 'purchase' : 'purchases'} threw`)
    .join(', ');
}

function row(result: BenchResult): string[] {
  const last = result.lastTickets;
  return [
    result.strategy,
    String(result.concurrency),
    whole(result.throughput),
    result.ceiling ? whole(result.ceiling.throughput) : '-',
    result.ceiling?.fraction != null ? `${Math.round(result.ceiling.fraction * 100)}%` : '-',
    millis(result.p50Ms),
    millis(result.p95Ms),
    millis(result.p99Ms),
    String(result.retries),
    errorsText(result),
    `${result.oversold} (${last.bursts}× ${last.capacity} units)`,
  ];
}

function errorsText(result: BenchResult): string {
  const entries = Object.entries(result.errors);
  const text = entries.length === 0 ? '-' : entries.map(([code, count]) => `${code}×${count}`).join(' ');
  return result.failed > 0 ? `${text}; ${result.failed} purchases threw` : text;
}

function pgbenchLine(report: BenchReport): string {
  const comparison = report.pgbench;
  if (comparison === null) return 'pgbench: not compared (--pgbench to compare)';
  if (!comparison.available) return `pgbench: not compared: ${comparison.reason}`;
  const length = `${comparison.seconds !== null ? `${comparison.seconds} s` : 'same transactions'}, medians of ${comparison.rounds} alternating runs`;
  const threaded = comparison.threaded
    ? `; pgbench -j ${comparison.threaded.jobs} ${whole(comparison.threaded.pgbenchThroughput)}/s → ${percent(comparison.threaded.ratio)}`
    : '';
  return `driver vs pgbench, ${comparison.strategy} at ${comparison.clients} connections (${length}, ${comparison.protocol} protocol): oversold ${whole(comparison.driverThroughput)}/s, pgbench -j 1 ${whole(comparison.pgbenchThroughput)}/s → ${percent(comparison.ratio)}${threaded} (${comparison.version})`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

function whole(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function millis(value: number | null): string {
  if (value === null) return '-';
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}
