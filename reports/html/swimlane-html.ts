import type { Counterexample } from '../../harness/check/report-model.ts';
import { oneLine } from '../../harness/engine/trace.ts';
import { escapeHtml } from './escape-html.ts';
import { type SwimlaneItem, swimlaneLayout } from './swimlane-layout.ts';

/**
 * One counterexample as a swimlane: a CSS grid with a column per buyer and a
 * row per moment. Lane `k` is grid column `k + 1` (column 1 holds the step
 * numbers); trace row `r` is grid row `r + 2` (row 1 holds the lane heads).
 */
export function swimlaneHtml(example: Counterexample): string {
  const buyers = example.buyers.map((buyer) => buyer.id);
  const lane = new Map(buyers.map((id, index) => [id, index + 2]));
  const { items, rows } = swimlaneLayout(example.trace);
  const parts: string[] = [];
  for (const buyer of example.buyers) {
    const column = lane.get(buyer.id)!;
    const outcome = example.outcomes[String(buyer.id)] ?? '';
    parts.push(
      `<div class="lane-head" style="grid-column:${column};grid-row:1"><span class="lane-name">buyer ${buyer.id}</span><span class="lane-note">wants ${buyer.quantity} · ${escapeHtml(outcome)}</span></div>`,
      `<div class="lane-line" data-buyer="${buyer.id}" style="grid-column:${column};grid-row:2 / ${rows + 2}"></div>`,
    );
  }
  // Number the moments as the text timeline does; an arrow row is part of the moment before it.
  const arrowRows = new Set(items.flatMap((item) => (item.kind === 'arrow' ? [item.row] : [])));
  let step = 0;
  for (let row = 0; row < rows; row += 1) {
    if (arrowRows.has(row)) continue;
    step += 1;
    parts.push(`<div class="step-number" style="grid-column:1;grid-row:${row + 2}">${step}</div>`);
  }
  for (const item of items) parts.push(itemHtml(item, lane));
  return `<div class="swimlane" role="group" aria-label="timeline, one lane per buyer" style="--lanes:${buyers.length}">${parts.join('')}</div>`;
}

function itemHtml(item: SwimlaneItem, lane: ReadonlyMap<number, number>): string {
  switch (item.kind) {
    case 'statement': {
      const title = item.at ? `${item.sql}\n(${item.at})` : item.sql;
      const badge = item.status === 'blocked' ? '<span class="badge badge-blocked">blocked</span>' : '';
      const result = item.result === null ? '' : `<span class="result">→ ${escapeHtml(item.result)}</span>`;
      return `<div class="box statement status-${item.status}" data-buyer="${item.buyer}" title="${escapeHtml(title)}" style="${place(lane, item.buyer, item.row)}"><code class="sql">${escapeHtml(oneLine(item.sql))}</code>${result}${badge}</div>`;
    }
    case 'resumed':
      return `<div class="box resumed${item.failed ? ' status-failed' : ''}" data-buyer="${item.buyer}" style="${place(lane, item.buyer, item.row)}"><span class="result">&lt;… completed&gt; ${escapeHtml(item.result)}</span></div>`;
    case 'wait': {
      const holders = item.holders.map((id) => `buyer ${id}`).join(', ');
      const label = `waiting for ${holders}${item.lock ? ` (${item.lock})` : ''}`;
      return `<div class="wait" data-buyer="${item.buyer}" data-holders="${item.holders.join(' ')}" title="${escapeHtml(label)}" style="grid-column:${lane.get(item.buyer) ?? 2};grid-row:${item.fromRow + 2} / ${item.toRow + 2}"><span class="wait-label">${escapeHtml(label)}</span></div>`;
    }
    case 'arrow': {
      const from = lane.get(item.from) ?? 2;
      const to = lane.get(item.to) ?? 2;
      const low = Math.min(from, to);
      const high = Math.max(from, to);
      const direction = to < from ? 'to-left' : 'to-right';
      const label = `buyer ${item.from} waits for the lock buyer ${item.to} holds${item.lock ? ` on ${item.lock}` : ''}`;
      return `<div class="wait-arrow ${direction}" data-from="${item.from}" data-to="${item.to}" role="img" aria-label="${escapeHtml(label)}" style="grid-column:${low} / ${high + 1};grid-row:${item.row + 2};--span:${high - low + 1}"><span class="arrow-label">${escapeHtml(label)}</span></div>`;
    }
    case 'pause':
      return `<div class="box barrier" data-buyer="${item.buyer}" style="${place(lane, item.buyer, item.row)}"><span class="barrier-mark" aria-hidden="true">‖</span> pause <q>${escapeHtml(item.label)}</q></div>`;
    case 'continue':
      return `<div class="box barrier" data-buyer="${item.buyer}" style="${place(lane, item.buyer, item.row)}"><span class="barrier-mark" aria-hidden="true">▶</span> continue <q>${escapeHtml(item.label)}</q></div>`;
    case 'outcome':
      return `<div class="box outcome tone-${item.tone}" data-buyer="${item.buyer}" style="${place(lane, item.buyer, item.row)}">${escapeHtml(item.text)}</div>`;
  }
}

function place(lane: ReadonlyMap<number, number>, buyer: number, row: number): string {
  return `grid-column:${lane.get(buyer) ?? 2};grid-row:${row + 2}`;
}
