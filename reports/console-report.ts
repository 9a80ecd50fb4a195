import pc from 'picocolors';
import type {
  CheckReport,
  Counterexample,
  PropertyReport,
  Searched,
  StrategyReport,
} from '../harness/check/report-model.ts';
import { formatRange } from '../properties/case-ranges.ts';
import { renderTimeline } from './timeline.ts';

export interface ConsoleOptions {
  /** Terminal width for timelines. */
  readonly width?: number;
  /** Colour output (on a terminal only). */
  readonly color?: boolean;
  /** How the user types oversold (`npx oversold` when it is not on PATH): replay lines start with it. */
  readonly command?: string;
}

/** The human report of `oversold check`: one line per strategy and property, then each failure in full. */
export function formatCheckReport(report: CheckReport, options: ConsoleOptions = {}): string {
  const blocks = report.strategies.map((strategy) => formatStrategyReport(strategy, options));
  return [...blocks, formatSummary(report, options)].join('\n');
}

/** One strategy's block: printed as soon as that strategy is checked. */
export function formatStrategyReport(strategy: StrategyReport, options: ConsoleOptions = {}): string {
  const colors = pc.createColors(options.color ?? false);
  return strategyLines(strategy, colors, options.width ?? 120, options.command ?? 'oversold').join('\n');
}

/** The last line: the counts, then what was searched, so that "passed" never hides what was not tried. */
export function formatSummary(report: CheckReport, options: ConsoleOptions = {}): string {
  const colors = pc.createColors(options.color ?? false);
  const failed = report.strategies.filter((strategy) => !strategy.passed && strategy.error === null).length;
  const broken = report.strategies.filter((strategy) => strategy.error !== null).length;
  const passed = report.strategies.length - failed - broken;
  const counts = [
    failed || broken ? `${passed} passed` : colors.green(`${passed} passed`),
    failed ? colors.red(`${failed} failed`) : `${failed} failed`,
    ...(broken ? [colors.red(`${broken} could not be evaluated`)] : []),
  ].join(', ');
  const searched = report.searched ? ` · ${searchedText(report.searched)}` : '';
  const seed = report.searched || report.seed === null ? '' : ` · seed ${report.seed}`;
  return `\n${counts}${searched}${seed} · PostgreSQL ${report.database.serverVersion} (${report.database.source})`;
}

/** `capacity 1..3, buyers 2..4, quantity 1..2, 100 runs, seed 42`: the search in the words of the flags. */
export function searchedText(searched: Searched): string {
  return `capacity ${formatRange(searched.capacity)}, buyers ${formatRange(searched.buyers)}, quantity ${formatRange(searched.quantity)}, ${searched.runs} runs, seed ${searched.seed}`;
}

/** A printed `oversold …` command as the user must type it. */
export function asTyped(command: string, oversold: string): string {
  return command.startsWith('oversold ') ? `${oversold}${command.slice('oversold'.length)}` : command;
}

type Colors = ReturnType<typeof pc.createColors>;

function strategyLines(strategy: StrategyReport, colors: Colors, width: number, command: string): string[] {
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
      ...counterexampleLines(
        strategy,
        property,
        property.counterexample,
        colors,
        width,
        !shownTimeline,
        command,
      ),
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
  command = 'oversold',
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
  lines.push(`  replay: ${colors.cyan(asTyped(example.replay, command))}`);
  return lines;
}
