import junitModule, { type Builder } from 'junit-report-builder';
import pc from 'picocolors';
import type { CheckReport, PropertyReport, StrategyReport } from '../harness/check/report-model.ts';
import { formatRange } from '../properties/case-ranges.ts';
import { counterexampleLines } from './console-report.ts';
import { writeReportFile } from './json-report.ts';

const plain = pc.createColors(false);
// The package is CommonJS with `module.exports = builder`, but its types declare
// an ES default export; under NodeNext the default import is that builder.
const junit = junitModule as unknown as Builder;

/**
 * The `--junit` report: one test suite per strategy, one test case per
 * property. A property that fails where the strategy's `expect` says it fails
 * passes (as the exit status counts it); a strategy that could not be
 * evaluated is one test case with an `<error>`.
 */
export function toJunitXml(report: CheckReport): string {
  const builder = junit.newBuilder().name('oversold');
  for (const strategy of report.strategies) {
    const suite = builder
      .testSuite()
      .name(strategy.name)
      .time(seconds(strategy.durationMs))
      .property('file', strategy.file)
      .property('interleavings', String(strategy.interleavings));
    if (report.seed !== null) suite.property('seed', String(report.seed));
    // What was searched, so that a passing suite says what it did not try.
    if (report.searched) {
      for (const range of ['capacity', 'buyers', 'quantity'] as const) {
        suite.property(range, formatRange(report.searched[range]));
      }
      suite.property('runs', String(report.searched.runs));
    }
    if (strategy.error !== null) {
      suite
        .testCase()
        .className(strategy.name)
        .name('evaluate')
        .file(strategy.file)
        .time(seconds(strategy.durationMs))
        .error(xmlSafe(strategy.error), 'StrategyError', xmlSafe(strategy.error));
      continue;
    }
    for (const property of strategy.properties) {
      const testCase = suite
        .testCase()
        .className(strategy.name)
        .name(property.name)
        .file(strategy.file)
        .time(seconds(property.durationMs ?? 0));
      if (!property.asExpected) {
        testCase.failure(xmlSafe(failureMessage(property)), property.name);
        testCase.stacktrace(xmlSafe(failureBody(strategy, property, report.seed)));
      } else if (property.counterexample) {
        // Fails as the strategy expects: keep the evidence where CI shows output.
        testCase.standardOutput(xmlSafe(failureBody(strategy, property, report.seed)));
      }
    }
  }
  return builder.build();
}

/** Milliseconds → seconds rounded to the millisecond: test-reporter and GitLab parse three decimals. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

export async function writeJunitReport(file: string, report: CheckReport): Promise<void> {
  await writeReportFile(file, `${toJunitXml(report)}\n`);
}

function failureMessage(property: PropertyReport): string {
  if (property.counterexample)
    return `${property.counterexample.why}${property.counterexample.anomaly ? ` Anomaly: ${property.counterexample.anomaly}.` : ''} Replay: ${property.counterexample.replay}`;
  return `${property.name} was expected to fail, but no interleaving broke it: remove it from expect, or check more cases (--runs)`;
}

/** The console's counterexample block: case, timeline, units sold, why, replay command. */
function failureBody(strategy: StrategyReport, property: PropertyReport, seed: number | null): string {
  const seedLine = seed === null ? '' : `seed ${seed}`;
  if (!property.counterexample) return `${failureMessage(property)}\n${seedLine}`.trimEnd();
  const lines = counterexampleLines(strategy, property, property.counterexample, plain, 160, true);
  return `${lines.join('\n')}${seedLine ? `\n  ${seedLine}` : ''}`;
}

/** XML 1.0 cannot carry most control characters, even in CDATA; a trace may contain them. */
function xmlSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}
