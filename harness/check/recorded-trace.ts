import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TraceEvent } from '../engine/trace.ts';

/** A bad `--compare` file: exit status 2, one line. */
export class RecordedTraceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordedTraceError';
  }
}

interface ReportShape {
  strategies?: {
    file?: string;
    properties?: Record<string, { counterexample?: { schedule?: string; trace?: TraceEvent[] } | null }>;
  }[];
}

/**
 * The trace a check recorded for this strategy file and schedule, read from
 * its JSON report (`oversold check --json`), so that a replay can say where
 * it first departs from it.
 */
export async function recordedTrace(
  reportPath: string,
  strategyFile: string,
  schedule: readonly number[],
): Promise<TraceEvent[]> {
  let report: ReportShape;
  try {
    report = JSON.parse(await readFile(reportPath, 'utf8')) as ReportShape;
  } catch (error) {
    throw new RecordedTraceError(
      `--compare ${reportPath}: cannot read it as a JSON report (${(error as Error).message.split('\n')[0]}): give the file that 'oversold check --json' wrote`,
    );
  }
  const wanted = schedule.join(' ');
  const target = resolve(strategyFile);
  for (const strategy of report.strategies ?? []) {
    if (!strategy.file || resolve(strategy.file) !== target) continue;
    for (const property of Object.values(strategy.properties ?? {})) {
      const example = property.counterexample;
      if (example?.schedule === wanted && Array.isArray(example.trace)) return example.trace;
    }
  }
  throw new RecordedTraceError(
    `--compare ${reportPath}: no counterexample of ${strategyFile} with schedule "${wanted}" in that report: copy the replay command and report of the same check`,
  );
}
