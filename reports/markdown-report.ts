import type {
  CheckReport,
  Counterexample,
  PropertyReport,
  StrategyReport,
} from '../harness/check/report-model.ts';
import { PROPERTY_NAMES } from '../properties/property-names.ts';
import { searchedText } from './console-report.ts';
import { writeReportFile } from './json-report.ts';
import { type TimelineRow, timelineRows } from './timeline.ts';

/**
 * The `--markdown` report, written for GitHub's job summary
 * (`$GITHUB_STEP_SUMMARY`): a verdict table, then every counterexample as a
 * timeline table with one column per buyer. Unexpected failures are open;
 * expected ones are folded away.
 */
export function toMarkdown(report: CheckReport): string {
  const lines: string[] = [];
  const broken = report.strategies.filter((strategy) => strategy.error !== null).length;
  const failed = report.strategies.filter((strategy) => !strategy.passed && strategy.error === null).length;
  const passed = report.strategies.length - failed - broken;
  lines.push(`## oversold: ${report.passed ? '✅ no unexpected failures' : '❌ unexpected failures'}`);
  lines.push('');
  lines.push(
    `${passed} passed, ${failed} failed${broken ? `, ${broken} could not be evaluated` : ''}${report.seed === null ? '' : ` · seed ${report.seed}`} · PostgreSQL ${text(report.database.serverVersion)} (${report.database.source})`,
  );
  if (report.searched) {
    lines.push('');
    lines.push(`Searched: ${searchedText(report.searched)}.`);
  }
  lines.push('');
  const properties = PROPERTY_NAMES.filter((name) =>
    report.strategies.some((strategy) => strategy.properties.some((property) => property.name === name)),
  );
  lines.push(`| strategy | ${properties.join(' | ')} |`);
  lines.push(`|---|${properties.map(() => ':---:').join('|')}|`);
  for (const strategy of report.strategies) {
    const name = `**${text(strategy.name)}**<br>${code(strategy.file)}`;
    if (strategy.error !== null) {
      lines.push(
        `| ${name} | ${['💥 could not be evaluated', ...properties.slice(1).map(() => '')].join(' | ')} |`,
      );
      continue;
    }
    const cells = properties.map((name) => {
      const property = strategy.properties.find((candidate) => candidate.name === name);
      return property ? verdictCell(property) : '–';
    });
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  for (const strategy of report.strategies.filter((candidate) => candidate.error !== null)) {
    lines.push('');
    lines.push(`**${text(strategy.name)}** could not be evaluated: ${code(strategy.error ?? '')}`);
  }
  for (const strategy of report.strategies) {
    for (const property of strategy.properties) {
      if (property.counterexample)
        lines.push('', ...counterexampleBlock(strategy, property, property.counterexample));
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function writeMarkdownReport(file: string, report: CheckReport): Promise<void> {
  await writeReportFile(file, toMarkdown(report));
}

function verdictCell(property: PropertyReport): string {
  if (property.passed && property.asExpected) return '✅ holds';
  if (!property.passed && property.asExpected) return '⚠️ fails (expected)';
  if (property.passed) return '❌ holds, expected to fail';
  return '❌ **fails**';
}

function counterexampleBlock(
  strategy: StrategyReport,
  property: PropertyReport,
  example: Counterexample,
): string[] {
  const buyers = example.buyers.map((buyer) => buyer.id);
  // Raw HTML (the <summary>) takes entities, not Markdown escapes.
  const title = `${html(strategy.name)} breaks ${property.name}${property.asExpected ? ' (expected)' : ''}`;
  const wants = example.buyers.map((buyer) => `buyer ${buyer.id} wants ${buyer.quantity}`).join(', ');
  const lines = [
    `<details${property.asExpected ? '' : ' open'}><summary><b>${title}</b>: sold ${example.sold} of ${example.capacity}</summary>`,
    '',
    `capacity ${example.capacity}; ${wants}; schedule ${code(example.schedule)}`,
    '',
    `| # | ${buyers.map((id) => `buyer ${id}`).join(' | ')} |`,
    `|--:|${buyers.map(() => '---').join('|')}|`,
  ];
  timelineRows(example.trace).forEach((row, index) => {
    const cells = buyers.map((id) => (id === row.buyer ? rowCell(row) : ''));
    lines.push(`| ${index + 1} | ${cells.join(' | ')} |`);
  });
  const outcomes = Object.entries(example.outcomes)
    .map(([id, outcome]) => `buyer ${id} ${text(outcome)}`)
    .join('; ');
  lines.push('');
  lines.push(`Sold **${example.sold} of ${example.capacity}**: ${outcomes}.`);
  lines.push('');
  lines.push(`> ${text(example.why)}`);
  if (example.anomaly) lines.push('>', `> Anomaly: ${text(example.anomaly)}`);
  lines.push('');
  lines.push('Replay:');
  lines.push('');
  lines.push(fence(example.replay, 'sh'));
  lines.push('');
  lines.push('</details>');
  return lines;
}

const rowMarks: Record<TimelineRow['kind'], string> = {
  statement: '',
  waiting: '⏳ ',
  resumed: '↳ ',
  barrier: '',
  outcome: '🏁 ',
};

function rowCell(row: TimelineRow): string {
  return `${rowMarks[row.kind]}${code(row.text)}`;
}

/**
 * Inline code that survives a table cell: the backtick run is longer than any
 * inside, and `|` is escaped (GitHub splits cells on it even inside code).
 */
function code(value: string): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${flat.replace(/\|/g, '\\|')}${pad}${ticks}`;
}

/** Plain text in Markdown: punctuation that could start markup or HTML is escaped. */
function text(value: string): string {
  return value.replace(/\s+/g, ' ').replace(/[\\`*_[\]<>|&~]/g, (character) => `\\${character}`);
}

function html(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function fence(value: string, language: string): string {
  const longest = Math.max(2, ...(value.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${value}\n${ticks}`;
}
