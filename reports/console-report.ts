import pc from 'picocolors';
import type {
  CheckReport,
  Counterexample,
  PropertyReport,
  StrategyReport,
} from '../harness/check/report-model.ts';
import { renderTimeline } from './timeline.ts';

export interface ConsoleOptions {
  /** Terminal width for timelines. */
  readonly width?: number;
  /** Colour output (on a terminal only). */
  readonly color?: boolean;
}

/** The human report of `oversold check`: one line per strategy and property, then each failure in full. */
export function formatCheckReport(report: CheckReport, options: ConsoleOptions = {}): string {
  const colors = pc.createColors(options.color ?? false);
  const lines: string[] = [];
  for (const strategy of report.strategies) {
    lines.push(...strategyLines(strategy, colors, options.width ?? 120));
  }
  const failed = report.strategies.filter((strategy) => !strategy.passed && strategy.error === null).length;
  const broken = report.strategies.filter((strategy) => strategy.error !== null).length;
  const passed = report.strategies.length - failed - broken;
  lines.push('');
  lines.push(
    `${passed} passed, ${failed} failed${broken ? `, ${broken} could not be evaluated` : ''}${report.seed === null ? '' : ` · seed ${report.seed}`} · PostgreSQL ${report.database.serverVersion} (${report.database.source})`,
  );
  return lines.join('\n');
}

type Colors = ReturnType<typeof pc.createColors>;

function strategyLines(strategy: StrategyReport, colors: Colors, width: number): string[] {
  const lines: string[] = [];
  const mark = strategy.error ? colors.red('!') : strategy.passed ? colors.green('✓') : colors.red('✗');
  const seconds = (strategy.durationMs / 1000).toFixed(1);
  lines.push(
    `${mark} ${colors.bold(strategy.name)} ${colors.dim(`${strategy.file} · ${strategy.interleavings} interleavings · ${seconds}s`)}`,
  );
  if (strategy.error) {
    lines.push(`    ${colors.red(strategy.error)}`);
    return lines;
  }
  for (const property of strategy.properties) lines.push(`    ${propertyLine(property, colors)}`);
  let shownTimeline = false;
  for (const property of strategy.properties) {
    if (!property.counterexample) continue;
    lines.push('');
    lines.push(
      ...counterexampleLines(strategy, property, property.counterexample, colors, width, !shownTimeline),
    );
    shownTimeline = true;
  }
  if (shownTimeline) lines.push('');
  return lines;
}

function propertyLine(property: PropertyReport, colors: Colors): string {
  const name = property.name.padEnd(15);
  if (property.passed && property.asExpected) return `${colors.green('holds')}   ${name}`;
  if (!property.passed && property.asExpected)
    return `${colors.yellow('fails')}   ${name}${colors.dim('(expected)')}`;
  if (property.passed) {
    return `${colors.red('holds')}   ${name}${colors.red('expected to fail, but no interleaving broke it')}`;
  }
  return `${colors.red('FAILS')}   ${name}${property.counterexample ? colors.dim(property.counterexample.why) : ''}`;
}

/** A failure in full: the case, the per-buyer timeline, the units sold, why, and the replay command. */
export function counterexampleLines(
  strategy: Pick<StrategyReport, 'name'>,
  property: PropertyReport,
  example: Counterexample,
  colors: Colors,
  width: number,
  withTimeline: boolean,
): string[] {
  const lines: string[] = [];
  const expected = property.asExpected ? ' (expected)' : '';
  lines.push(`  ${colors.bold(`${strategy.name} breaks ${property.name}${expected}`)}`);
  // Several stocks (inventory, your own schema): the scenario's own one-line summary.
  const several = example.stock.length > 1 && example.caseSummary !== undefined;
  const wants = example.buyers.map((buyer) => `buyer ${buyer.id} wants ${buyer.quantity}`).join(', ');
  const kase = several ? example.caseSummary : `capacity ${example.capacity}; ${wants}`;
  lines.push(`  ${kase}; schedule "${example.schedule}"`);
  if (withTimeline) {
    lines.push('');
    for (const line of renderTimeline(
      example.trace,
      example.buyers.map((buyer) => buyer.id),
      width - 2,
    )) {
      lines.push(`  ${line}`);
    }
    lines.push('');
  }
  const outcomes = Object.entries(example.outcomes)
    .map(([id, outcome]) => `buyer ${id} ${outcome}`)
    .join('; ');
  const sold = several
    ? example.stock.map((unit) => `${unit.key}: ${unit.sold} of ${unit.capacity}`).join(', ')
    : `${example.sold} of ${example.capacity}`;
  lines.push(`  sold ${sold}: ${outcomes}`);
  lines.push(`  ${colors.red(example.why)}`);
  if (example.anomaly) lines.push(`  ${colors.yellow(example.anomaly)}`);
  lines.push(`  replay: ${colors.cyan(example.replay)}`);
  return lines;
}
