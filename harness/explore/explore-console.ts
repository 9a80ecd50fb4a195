import pc from 'picocolors';
import { counterexampleLines } from '../../reports/console-report.ts';
import type { PropertyReport } from '../check/report-model.ts';
import type { Exploration, ExploreStrategyReport } from './explore-strategy.ts';
import type { ExploreReport } from './run-explore.ts';

type Colors = ReturnType<typeof pc.createColors>;

/**
 * The human report of `oversold explore`. A property that no interleaving
 * broke "holds" only when the search was exhausted; otherwise it says which
 * bound or limit stopped the search.
 */
export function formatExploreReport(
  report: ExploreReport,
  options: { width?: number; color?: boolean } = {},
): string {
  const colors = pc.createColors(options.color ?? false);
  const width = options.width ?? 120;
  const lines: string[] = [];
  for (const strategy of report.strategies) lines.push(...strategyLines(strategy, colors, width));
  const failed = report.strategies.filter((strategy) => !strategy.passed && strategy.error === null).length;
  const broken = report.strategies.filter((strategy) => strategy.error !== null).length;
  const passed = report.strategies.length - failed - broken;
  lines.push('');
  lines.push(
    `${passed} passed, ${failed} failed${broken ? `, ${broken} could not be evaluated` : ''} · PostgreSQL ${report.database.serverVersion} (${report.database.source})`,
  );
  return lines.join('\n');
}

/** One line: whether every interleaving was checked, and if not, what stopped the search. */
export function explorationLine(exploration: Exploration): string {
  const counts = [
    `${exploration.interleavings} interleaving${exploration.interleavings === 1 ? '' : 's'} run`,
    exploration.reduction
      ? `${exploration.pruned} branch${exploration.pruned === 1 ? '' : 'es'} pruned as equivalent`
      : 'no reduction',
    ...(exploration.symmetric > 0 ? [`${exploration.symmetric} as mirror images`] : []),
    `${exploration.outcomes.length} distinct outcome${exploration.outcomes.length === 1 ? '' : 's'}`,
  ].join(', ');
  switch (exploration.status) {
    case 'exhausted':
      return `exhausted: every interleaving checked (${counts})`;
    case 'preemption-bound':
      return `not exhausted: preemption bound ${exploration.preemptionBound} (${counts}; ${exploration.bounded} branches beyond the bound)`;
    case 'max-interleavings':
      return `not exhausted: stopped at --max-interleavings (${counts})`;
    case 'time-limit':
      return `not exhausted: stopped at --time-limit (${counts})`;
    case 'counterexamples':
      return `not exhausted: every property has a counterexample with the fewest preemptions (${counts})`;
  }
}

function strategyLines(strategy: ExploreStrategyReport, colors: Colors, width: number): string[] {
  const lines: string[] = [];
  const mark = strategy.error ? colors.red('!') : strategy.passed ? colors.green('✓') : colors.red('✗');
  const seconds = (strategy.durationMs / 1000).toFixed(1);
  lines.push(`${mark} ${colors.bold(strategy.name)} ${colors.dim(`${strategy.file} · ${seconds}s`)}`);
  if (strategy.error || !strategy.exploration) {
    lines.push(`    ${colors.red(strategy.error ?? 'not explored')}`);
    return lines;
  }
  const exhausted = strategy.exploration.status === 'exhausted';
  lines.push(
    `    ${exhausted ? colors.green(explorationLine(strategy.exploration)) : colors.yellow(explorationLine(strategy.exploration))}`,
  );
  for (const property of strategy.properties) lines.push(`    ${propertyLine(property, exhausted, colors)}`);
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

function propertyLine(property: PropertyReport, exhausted: boolean, colors: Colors): string {
  const name = property.name.padEnd(15);
  if (!property.passed) {
    const note = property.asExpected
      ? colors.dim('(expected)')
      : colors.dim(property.counterexample?.why ?? '');
    return `${property.asExpected ? colors.yellow('fails') : colors.red('FAILS')}   ${name}${note}`;
  }
  if (!exhausted)
    return `${colors.yellow('unknown')} ${name}${colors.dim('no counterexample among the interleavings run')}`;
  if (property.asExpected) return `${colors.green('holds')}   ${name}${colors.dim('in every interleaving')}`;
  return `${colors.red('holds')}   ${name}${colors.red('expected to fail, but no interleaving of this case breaks it')}`;
}
