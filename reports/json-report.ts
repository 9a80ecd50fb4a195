import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckReport } from '../harness/check/report-model.ts';

/**
 * The `--json` report: SPEC's shape, with `properties` keyed by name. Only the
 * fields SPEC lists are promised to scripts; the rest may grow.
 */
export function toJson(report: CheckReport): unknown {
  return {
    passed: report.passed,
    seed: report.seed,
    ...(report.searched ? { searched: report.searched } : {}),
    database: report.database,
    strategies: report.strategies.map((strategy) => ({
      name: strategy.name,
      file: strategy.file,
      description: strategy.description,
      scenario: strategy.scenario,
      passed: strategy.passed,
      error: strategy.error,
      interleavings: strategy.interleavings,
      durationMs: Math.round(strategy.durationMs),
      properties: Object.fromEntries(
        strategy.properties.map((property) => [
          property.name,
          {
            passed: property.passed,
            ...(property.expected !== undefined ? { expected: property.expected } : {}),
            asExpected: property.asExpected,
            counterexample: property.counterexample,
          },
        ]),
      ),
    })),
  };
}

/** Writes a report file, creating its folder. */
export async function writeReportFile(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content);
}

export async function writeJsonReport(file: string, report: CheckReport): Promise<void> {
  await writeReportFile(file, `${JSON.stringify(toJson(report), null, 2)}\n`);
}
