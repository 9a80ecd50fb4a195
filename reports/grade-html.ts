import { basename } from 'node:path';
import * as echarts from 'echarts';
import type { Counterexample } from '../harness/check/report-model.ts';
import type { GradeReport, SubmissionGrade, TestGrade } from '../harness/grade/grade-model.ts';
import { gradedTests } from '../harness/grade/platform-results.ts';
import { escapeHtml } from './html/escape-html.ts';
import { swimlaneHtml } from './html/swimlane-html.ts';
import { type HtmlAssets, loadHtmlAssets } from './html-report.ts';
import { writeReportFile } from './json-report.ts';

// What the check report's stylesheet does not have: the chart and the groups.
const gradebookCss = `
.score-chart svg { max-width: 100%; height: auto; background: var(--paper); border: 1px solid var(--line); border-radius: 6px; }
.gradebook td.score { font-variant-numeric: tabular-nums; white-space: nowrap; }
.gradebook .broke { color: var(--bad); }
.anomaly-group { margin: 0 0 24px; }
.anomaly-group > h3 { font-size: 1.05rem; margin: 18px 0 8px; }
.anomaly-group .students { color: var(--muted); margin: 0 0 8px; }
`;

const NO_ANOMALY = 'no anomaly named';
const NOT_EVALUATED = 'could not be evaluated';

/**
 * The gradebook as one self-contained page, for the instructor: the class
 * overview (count, mean, median, a score distribution chart), students ×
 * tests, the properties each student broke, and the submissions grouped by
 * the anomaly their counterexamples show, each with its timeline. Every
 * student-controlled string (names, errors, SQL) goes through `escapeHtml`.
 */
export function toGradebookHtml(report: GradeReport, assets: HtmlAssets): string {
  const { assignment, submissions } = report;
  const groups = anomalyGroups(report);
  const scores = submissions.map((submission) => submission.score);
  const broken = submissions.filter((submission) => submission.error !== null).length;
  const overview = [
    `${submissions.length} ${submissions.length === 1 ? 'submission' : 'submissions'}`,
    `mean ${scores.length > 0 ? points(mean(scores)) : '–'} / ${points(assignment.maxScore)}`,
    `median ${scores.length > 0 ? points(median(scores)) : '–'}`,
    ...(broken > 0 ? [`${broken} could not be evaluated`] : []),
  ].join(' · ');
  const context = [
    `seed <code>${assignment.seed}</code>`,
    `PostgreSQL ${escapeHtml(report.database.serverVersion)} (${escapeHtml(report.database.source)})`,
    `sandbox ${escapeHtml(report.sandbox)}`,
    ...(report.shard ? [`shard ${report.shard.index}/${report.shard.count}`] : []),
  ].join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(`Gradebook: ${assignment.title}`)}</title>
<style>${assets.css}${gradebookCss}</style>
</head>
<body>
<header class="page-head">
<h1>Gradebook: ${escapeHtml(assignment.title)}</h1>
<p class="summary overview">${overview}</p>
<p class="summary">${context}</p>
</header>
<main>
<section aria-labelledby="distribution-title">
<h2 id="distribution-title">Score distribution</h2>
${scores.length > 0 ? `<figure class="score-chart">${distributionSvg(scores, assignment.maxScore)}</figure>` : '<p class="none">No submissions.</p>'}
</section>
<section aria-labelledby="students-title">
<h2 id="students-title">Students × tests</h2>
${studentsTableHtml(report, groups)}
</section>
<section aria-labelledby="anomalies-title">
<h2 id="anomalies-title">Submissions by anomaly</h2>
${anomalyGroupsHtml(groups)}
</section>
</main>
<script>${assets.script}</script>
</body>
</html>
`;
}

export async function writeGradebookHtml(file: string, report: GradeReport): Promise<void> {
  await writeReportFile(file, toGradebookHtml(report, await loadHtmlAssets()));
}

function studentsTableHtml(report: GradeReport, groups: ReadonlyMap<string, Finding[]>): string {
  // A failed cell links to the finding that shows its counterexample.
  const anchors = new Map<TestGrade, string>();
  for (const findings of groups.values()) {
    for (const finding of findings) for (const test of finding.tests) anchors.set(test, finding.id);
  }
  const head = report.assignment.tests
    .map(
      (test) =>
        `<th scope="col" title="${escapeHtml(test.name)}">${escapeHtml(test.id)}<span class="strategy-stats">${escapeHtml(test.property)} · ${points(test.points)} pts${test.visibility === 'visible' ? '' : ` · ${escapeHtml(test.visibility)}`}</span></th>`,
    )
    .join('');
  const rows = report.submissions.map((grade) => {
    const file = grade.file === null ? 'no file found' : basename(grade.file);
    const name = `<th scope="row"><span class="strategy-name">${escapeHtml(grade.student)}</span><span class="strategy-file">${escapeHtml(file)}</span></th>`;
    const cells = gradedTests(report, grade)
      .slice(0, report.assignment.tests.length)
      .map((test) => testCellHtml(test, anchors.get(test)));
    const broke = brokenProperties(grade);
    const error =
      grade.error === null
        ? '<td></td>'
        : `<td class="verdict verdict-error"><span class="error-message">${escapeHtml(grade.error)}</span></td>`;
    return `<tr data-student="${escapeHtml(grade.student)}">${name}<td class="score">${points(grade.score)} / ${points(grade.maxScore)}</td>${cells.join('')}<td class="broke">${escapeHtml(broke.join(', '))}</td>${error}</tr>`;
  });
  return `<table class="matrix gradebook"><thead><tr><th scope="col">student</th><th scope="col">score</th>${head}<th scope="col">broke</th><th scope="col">error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function testCellHtml(test: TestGrade, anchor: string | undefined): string {
  const score = `${points(test.score)}/${points(test.maxScore)}`;
  if (test.passed) return `<td class="verdict verdict-holds">✓ ${score}</td>`;
  if (test.counterexample) {
    const label = anchor ? `<a href="#${anchor}">✗ ${score}</a>` : `✗ ${score}`;
    return `<td class="verdict verdict-fails" title="${escapeHtml(test.output)}">${label}</td>`;
  }
  return `<td class="verdict verdict-unchecked" title="${escapeHtml(test.output)}">– ${score}</td>`;
}

/** The properties a counterexample broke, in the assignment's order, each once. */
function brokenProperties(grade: SubmissionGrade): string[] {
  return [...new Set(grade.tests.filter((test) => test.counterexample).map((test) => test.property))];
}

interface Finding {
  /** The article's id: `finding-<student>-<n>`, from positions only, never from a name. */
  readonly id: string;
  readonly grade: SubmissionGrade;
  readonly tests: TestGrade[];
  /** The smallest counterexample of those tests: fewest trace events. */
  readonly example: Counterexample | null;
}

/**
 * Submissions grouped by the kind of anomaly (`lost update`, `write skew`, …:
 * the words before the sentence's colon), commonest first, then those whose
 * counterexamples name none, then those that could not be evaluated.
 */
function anomalyGroups(report: GradeReport): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  const add = (key: string, finding: Finding) => groups.set(key, [...(groups.get(key) ?? []), finding]);
  report.submissions.forEach((grade, studentIndex) => {
    const id = (n: number) => `finding-${studentIndex + 1}-${n}`;
    if (grade.error !== null) add(NOT_EVALUATED, { id: id(0), grade, tests: [], example: null });
    const byKind = new Map<string, TestGrade[]>();
    for (const test of grade.tests) {
      if (!test.counterexample) continue;
      const kind = anomalyKind(test.anomaly ?? test.counterexample.anomaly ?? null);
      byKind.set(kind, [...(byKind.get(kind) ?? []), test]);
    }
    [...byKind].forEach(([kind, tests], n) => {
      const examples = tests.flatMap((test) => (test.counterexample ? [test.counterexample] : []));
      const example = examples.reduce((small, next) =>
        next.trace.length < small.trace.length ? next : small,
      );
      add(kind, { id: id(n + 1), grade, tests, example });
    });
  });
  const rank = (key: string) => (key === NOT_EVALUATED ? 2 : key === NO_ANOMALY ? 1 : 0);
  return new Map(
    [...groups].sort(
      ([a, left], [b, right]) => rank(a) - rank(b) || right.length - left.length || a.localeCompare(b),
    ),
  );
}

function anomalyGroupsHtml(groups: ReadonlyMap<string, Finding[]>): string {
  if (groups.size === 0) {
    return '<p class="none">No counterexample in any submission, and every one could be evaluated.</p>';
  }
  return [...groups]
    .map(([key, findings], groupIndex) => {
      const names = findings.map((finding) => escapeHtml(finding.grade.student)).join(', ');
      const count = `${findings.length} ${findings.length === 1 ? 'submission' : 'submissions'}`;
      return `<section class="anomaly-group" data-anomaly="${escapeHtml(key)}" aria-labelledby="group-${groupIndex + 1}">
<h3 id="group-${groupIndex + 1}">${escapeHtml(key)} <span class="tag">${count}</span></h3>
<p class="students">${names}</p>
${findings.map(findingHtml).join('\n')}
</section>`;
    })
    .join('\n');
}

function findingHtml(finding: Finding): string {
  const { id, grade, example } = finding;
  const student = `<span class="strategy-name">${escapeHtml(grade.student)}</span>`;
  if (!example) {
    return `<article class="counterexample" id="${id}" data-student="${escapeHtml(grade.student)}">
<h3>${student} could not be evaluated</h3>
<p class="why">${escapeHtml(grade.error ?? '')}</p>
</article>`;
  }
  const tests = finding.tests.map((test) => escapeHtml(test.name)).join('; ');
  const wants = example.buyers.map((buyer) => `buyer ${buyer.id} wants ${buyer.quantity}`).join(', ');
  const kase =
    example.stock.length > 1 && example.caseSummary
      ? example.caseSummary
      : `capacity ${example.capacity}; ${wants}`;
  return `<article class="counterexample" id="${id}" data-student="${escapeHtml(grade.student)}">
<h3>${student} breaks ${escapeHtml([...new Set(finding.tests.map((test) => test.property))].join(', '))}</h3>
<p class="case">Tests: ${tests}</p>
<p class="why">${escapeHtml(example.why)}</p>
${example.anomaly ? `<p class="anomaly">${escapeHtml(example.anomaly)}</p>\n` : ''}<p class="case">${escapeHtml(kase)}; schedule <code>${escapeHtml(example.schedule)}</code></p>
${swimlaneHtml(example)}
<div class="replay"><span class="replay-label">Replay</span><code class="replay-command" id="${id}-replay">${escapeHtml(example.replay)}</code><button type="button" class="copy" data-copy-target="${id}-replay">Copy</button><span class="copy-status" role="status" aria-live="polite"></span></div>
</article>`;
}

/** `lost update: buyers 1 and 2 …` → `lost update`. */
function anomalyKind(sentence: string | null): string {
  if (!sentence) return NO_ANOMALY;
  const colon = sentence.indexOf(':');
  return (colon > 0 ? sentence.slice(0, colon) : sentence).trim();
}

/**
 * How many students scored what, as a static SVG bar chart (Apache ECharts'
 * server-side renderer: no script, no network). One bar per whole point up to
 * 20 points, else 10 equal bins.
 */
function distributionSvg(scores: readonly number[], maxScore: number): string {
  const top = Math.max(maxScore, ...scores, 1);
  const bins = top <= 20 ? Math.ceil(top) + 1 : 10;
  const width = top <= 20 ? 1 : top / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const score of scores) counts[Math.min(bins - 1, Math.floor(score / width))]! += 1;
  const labels = counts.map((_, bin) =>
    top <= 20 ? `${bin}` : `${points(bin * width)}–${points(bin === bins - 1 ? top : (bin + 1) * width)}`,
  );
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 720, height: 280 });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      grid: { left: 50, right: 20, top: 20, bottom: 50 },
      xAxis: { type: 'category', name: 'score', nameLocation: 'middle', nameGap: 30, data: labels },
      yAxis: { type: 'value', name: 'students', minInterval: 1 },
      series: [{ type: 'bar', data: counts, color: '#5470c6', barMaxWidth: 40 }],
    });
    // zrender names the SVG's classes and ids after process-wide counters
    // (`zr3-cls-7`): renamed in order of appearance, the page is the same for
    // the same report however many charts this process drew before.
    const names = new Map<string, string>();
    return chart.renderToSVGString().replace(/\bzr\d+-[\w-]+/g, (name) => {
      if (!names.has(name)) names.set(name, `score-chart-${names.size}`);
      return names.get(name)!;
    });
  } finally {
    chart.dispose();
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function points(value: number): string {
  return String(Math.round(value * 100) / 100);
}
