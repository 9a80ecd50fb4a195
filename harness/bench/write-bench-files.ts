import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BenchReport } from './bench-report.ts';

export interface BenchFiles {
  /** The whole report as JSON; scripts read `results[]`. */
  readonly json?: string | undefined;
  /** Throughput against concurrency per strategy, as SVG. */
  readonly svg?: string | undefined;
}

export async function writeBenchFiles(files: BenchFiles, report: BenchReport): Promise<void> {
  if (files.json) await write(files.json, `${JSON.stringify(report, null, 2)}\n`);
  if (files.svg) {
    // ECharts is large: load it only when a chart is asked for (keeps CLI start-up quick).
    const { throughputChartSvg } = await import('./throughput-chart.ts');
    await write(files.svg, throughputChartSvg(report));
  }
}

async function write(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
