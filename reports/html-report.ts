import { readFile } from 'node:fs/promises';
import type {
  CheckReport,
  Counterexample,
  PropertyReport,
  StrategyReport,
} from '../harness/check/report-model.ts';
import { PROPERTY_NAMES } from '../properties/property-names.ts';
import { searchedText } from './console-report.ts';
import { escapeHtml, jsonForScript } from './html/escape-html.ts';
import { swimlaneHtml } from './html/swimlane-html.ts';
import { toJson, writeReportFile } from './json-report.ts';

/** The stylesheet and script every report inlines, so it opens with no network. */
export interface HtmlAssets {
  readonly css: string;
  readonly script: string;
}

export async function loadHtmlAssets(): Promise<HtmlAssets> {
  const [css, script] = await Promise.all([
    readFile(new URL('./html/report.css', import.meta.url), 'utf8'),
    readFile(new URL('./html/report.js', import.meta.url), 'utf8'),
  ]);
  return { css, script };
}

/**
 * The `--html` report: one self-contained page with the strategies ×
 * properties matrix and, for every counterexample, a swimlane timeline, the
 * units sold against capacity and the replay command with a copy button.
 * Every string from a strategy or a trace goes through `escapeHtml`.
 */
export function toHtml(report: CheckReport, assets: HtmlAssets): string {
  const properties = PROPERTY_NAMES.filter((name) =>
    report.strategies.some((strategy) => strategy.properties.some((property) => property.name === name)),
  );
  const shown = properties.length > 0 ? properties : [...PROPERTY_NAMES];
  const examples: string[] = [];
  report.strategies.forEach((strategy, index) => {
    for (const property of strategy.properties) {
      if (property.counterexample) {
        examples.push(
          counterexampleHtml(strategy, property, property.counterexample, anchor(index, property)),
        );
      }
    }
  });
  const broken = report.strategies.filter((strategy) => strategy.error !== null).length;
  const failed = report.strategies.filter((strategy) => !strategy.passed && strategy.error === null).length;
  const passed = report.strategies.length - failed - broken;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>oversold: ${report.passed ? 'no unexpected failures' : 'unexpected failures'}</title>
<style>${assets.css}</style>
</head>
<body>
<header class="page-head ${report.passed ? 'page-passed' : 'page-failed'}">
<h1>oversold <span class="verdict-word">${report.passed ? 'passed' : 'failed'}</span></h1>
<p class="summary">${passed} passed · ${failed} failed${broken ? ` · ${broken} could not be evaluated` : ''}${report.seed === null ? '' : ` · seed <code>${report.seed}</code>`} · PostgreSQL ${escapeHtml(report.database.serverVersion)} (${escapeHtml(report.database.source)})</p>
${report.searched ? `<p class="summary searched">Searched: ${escapeHtml(searchedText(report.searched))}</p>\n` : ''}${attentionHtml(report)}</header>
<main>
<section aria-labelledby="matrix-title">
<h2 id="matrix-title">Strategies × properties</h2>
${matrixHtml(report, shown)}
</section>
<section aria-labelledby="examples-title">
<h2 id="examples-title">Counterexamples</h2>
${examples.length > 0 ? examples.join('\n') : '<p class="none">No property failed in any interleaving tried.</p>'}
</section>
</main>
<script type="application/json" id="oversold-report">${jsonForScript(toJson(report))}</script>
<script>${assets.script}</script>
</body>
</html>
`;
}

export async function writeHtmlReport(file: string, report: CheckReport): Promise<void> {
  await writeReportFile(file, toHtml(report, await loadHtmlAssets()));
}

/** Links to what needs a person: unexpected verdicts and strategies that could not be evaluated. */
function attentionHtml(report: CheckReport): string {
  const links: string[] = [];
  report.strategies.forEach((strategy, index) => {
    if (strategy.error !== null) {
      links.push(
        `<li><span class="strategy-name">${escapeHtml(strategy.name)}</span> could not be evaluated</li>`,
      );
    }
    for (const property of strategy.properties) {
      if (property.asExpected) continue;
      const text = `<span class="strategy-name">${escapeHtml(strategy.name)}</span> ${property.passed ? 'holds' : 'breaks'} ${escapeHtml(property.name)}${property.passed ? ', expected to fail' : ''}`;
      links.push(
        `<li>${property.counterexample ? `<a href="#${anchor(index, property)}">${text}</a>` : text}</li>`,
      );
    }
  });
  return links.length > 0
    ? `<ul class="attention" aria-label="needs attention">${links.join('')}</ul>\n`
    : '';
}

function anchor(strategyIndex: number, property: PropertyReport): string {
  return `cx-${strategyIndex + 1}-${property.name}`;
}

function matrixHtml(report: CheckReport, properties: readonly string[]): string {
  const head = properties.map((name) => `<th scope="col">${escapeHtml(name)}</th>`).join('');
  const rows = report.strategies.map((strategy, index) => {
    const name = `<th scope="row"><span class="strategy-name">${escapeHtml(strategy.name)}</span><span class="strategy-file">${escapeHtml(strategy.file)}</span>${strategy.description ? `<span class="strategy-description">${escapeHtml(strategy.description)}</span>` : ''}<span class="strategy-stats">${strategy.interleavings} interleavings · ${(strategy.durationMs / 1000).toFixed(1)} s</span></th>`;
    if (strategy.error !== null) {
      return `<tr data-strategy="${escapeHtml(strategy.name)}">${name}<td class="verdict verdict-error" colspan="${properties.length}"><strong>could not be evaluated</strong> <span class="error-message">${escapeHtml(strategy.error)}</span></td></tr>`;
    }
    const cells = properties.map((name) => {
      const property = strategy.properties.find((candidate) => candidate.name === name);
      if (!property) return '<td class="verdict verdict-unchecked">not checked</td>';
      const { tone, label } = verdictOf(property);
      const content = property.counterexample ? `<a href="#${anchor(index, property)}">${label}</a>` : label;
      return `<td class="verdict verdict-${tone}" data-property="${escapeHtml(name)}">${content}</td>`;
    });
    return `<tr data-strategy="${escapeHtml(strategy.name)}">${name}${cells.join('')}</tr>`;
  });
  return `<table class="matrix"><thead><tr><th scope="col">strategy</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function verdictOf(property: PropertyReport): { tone: string; label: string } {
  if (property.passed && property.asExpected) return { tone: 'holds', label: '✓ holds' };
  if (!property.passed && property.asExpected) return { tone: 'expected', label: '✗ fails (expected)' };
  if (property.passed) return { tone: 'unexpected-hold', label: '! holds, expected to fail' };
  return { tone: 'fails', label: '✗ fails' };
}

function counterexampleHtml(
  strategy: StrategyReport,
  property: PropertyReport,
  example: Counterexample,
  id: string,
): string {
  const wants = example.buyers.map((buyer) => `buyer ${buyer.id} wants ${buyer.quantity}`).join(', ');
  return `<article class="counterexample${property.asExpected ? ' is-expected' : ''}" id="${id}" data-strategy="${escapeHtml(strategy.name)}" data-property="${escapeHtml(property.name)}">
<h3><span class="strategy-name">${escapeHtml(strategy.name)}</span> breaks <span class="property-name">${escapeHtml(property.name)}</span>${property.asExpected ? ' <span class="tag">expected</span>' : ''}</h3>
<p class="why">${escapeHtml(example.why)}</p>
${example.anomaly ? `<p class="anomaly">${escapeHtml(example.anomaly)}</p>\n` : ''}<div class="facts">
${stockHtml(example)}
<p class="case">${example.stock.length > 1 ? '' : `capacity ${example.capacity}; `}${escapeHtml(wants)}; schedule <code>${escapeHtml(example.schedule)}</code>${example.shrinks > 0 ? ` · shrunk ${example.shrinks} times` : ''}</p>
</div>
${swimlaneHtml(example)}
<div class="replay"><span class="replay-label">Replay</span><code class="replay-command" id="${id}-replay">${escapeHtml(example.replay)}</code><button type="button" class="copy" data-copy-target="${id}-replay">Copy</button><span class="copy-status" role="status" aria-live="polite"></span></div>
</article>`;
}

/** Units sold against capacity, one meter per unit of stock: a cell per unit, the oversold ones marked. */
function stockHtml(example: Counterexample): string {
  const stock =
    example.stock.length > 0 ? example.stock : [{ key: '', capacity: example.capacity, sold: example.sold }];
  return stock
    .map((unit) => {
      const cells: string[] = [];
      const total = Math.max(unit.capacity, unit.sold);
      // Hundreds of cells say nothing more than the numbers; draw small stocks only.
      if (total <= 40) {
        for (let index = 0; index < total; index += 1) {
          const state = index < unit.sold ? (index < unit.capacity ? 'sold' : 'oversold') : 'unsold';
          cells.push(`<span class="unit unit-${state}"></span>`);
        }
      }
      const over = unit.sold - unit.capacity;
      const words = `${unit.sold} sold of ${unit.capacity}${over > 0 ? ` · oversold by ${over}` : ''}`;
      const key = stock.length > 1 ? `<span class="stock-key">${escapeHtml(unit.key)}</span>` : '';
      return `<div class="stock${over > 0 ? ' is-oversold' : ''}">${key}<span class="units" role="img" aria-label="${escapeHtml(words)}">${cells.join('')}</span><span class="stock-words">${escapeHtml(words)}</span></div>`;
    })
    .join('\n');
}
