import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SubmissionGrade } from '../harness/grade/grade-model.ts';
import {
  sampleCounterexample,
  sampleGradeReport,
  sampleSubmissions,
} from '../test/fixtures/grade/sample-grade-report.ts';
import { toGradebookHtml, writeGradebookHtml } from './grade-html.ts';
import { type HtmlAssets, loadHtmlAssets } from './html-report.ts';

let assets: HtmlAssets;
beforeAll(async () => {
  assets = await loadHtmlAssets();
});

const { alice, bob, carol, dave } = sampleSubmissions;

/** erin: a counterexample that names no anomaly. */
const { anomaly: _, ...unnamed } = sampleCounterexample;
const erin: SubmissionGrade = {
  ...bob,
  student: 'erin',
  file: '/submissions/erin/purchase.ts',
  tests: bob.tests.map((test) =>
    test.counterexample
      ? {
          ...test,
          anomaly: null,
          counterexample: unnamed,
        }
      : test,
  ),
};

/** The text of every element matching `<tag class="…name…">…</tag>`, tags stripped. */
function texts(html: string, className: string): string[] {
  const pattern = new RegExp(`<(\\w+)[^>]*class="[^"]*\\b${className}\\b[^"]*"[^>]*>([\\s\\S]*?)</\\1>`, 'g');
  return [...html.matchAll(pattern)].map((match) => match[2]!.replace(/<[^>]+>/g, '').trim());
}

describe('toGradebookHtml', () => {
  it('sums the class up: count, mean and median score, how many could not be evaluated', () => {
    const html = toGradebookHtml(sampleGradeReport(), assets);
    // Scores 10, 3, 0, 4: mean 4.25, median (3 + 4) / 2.
    expect(texts(html, 'overview')).toEqual([
      '4 submissions · mean 4.25 / 10 · median 3.5 · 1 could not be evaluated',
    ]);
    const odd = toGradebookHtml(sampleGradeReport([alice, bob, dave]), assets);
    expect(texts(odd, 'overview')).toEqual(['3 submissions · mean 5.67 / 10 · median 4']);
  });

  it('draws the score distribution as an inline SVG chart, one bar per point', () => {
    const html = toGradebookHtml(sampleGradeReport(), assets);
    const svg = html.match(/<figure class="score-chart">(<svg[\s\S]*?<\/svg>)<\/figure>/)?.[1];
    expect(svg).toBeDefined();
    const labels = [...svg!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);
    for (const score of ['0', '5', '10']) expect(labels).toContain(score);
    expect(labels).toContain('students');
    expect(html).not.toMatch(/<img|(?:src|href)="https?:/);
  });

  it('has a row per student and a column per test, failed cells linking to their counterexample', () => {
    const html = toGradebookHtml(sampleGradeReport(), assets);
    const rows = [...html.matchAll(/<tr data-student="([^"]*)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((row) => row[1])).toEqual(['alice', 'bob', 'carol', 'dave']);
    const cells = (row: string) =>
      [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, ''));
    expect(cells(rows[0]![2]!)).toEqual(['10 / 10', '✓ 4/4', '✓ 3/3', '✓ 3/3', '', '']);
    expect(cells(rows[1]![2]!)).toEqual([
      '3 / 10',
      '✗ 0/4',
      '✓ 3/3',
      '✗ 0/3',
      'no-oversell, no-undersell',
      '',
    ]);
    expect(cells(rows[2]![2]!)).toEqual([
      '0 / 10',
      '– 0/4',
      '– 0/3',
      '– 0/3',
      '',
      'no purchase.ts or purchase.sql in the submission',
    ]);
    expect(cells(rows[3]![2]!)).toEqual(['4 / 10', '✓ 4/4', '– 0/3', '– 0/3', '', '']);
    const links = [...rows[1]![2]!.matchAll(/href="#([^"]+)"/g)].map((match) => match[1]);
    expect(links).toHaveLength(2);
    for (const link of links)
      expect(html).toContain(`<article class="counterexample" id="${link}" data-student="bob">`);
  });

  it('groups submissions by anomaly, then those naming none, then those that could not be evaluated', () => {
    const html = toGradebookHtml(sampleGradeReport([alice, bob, carol, dave, erin]), assets);
    const groups = [
      ...html.matchAll(
        /<section class="anomaly-group" data-anomaly="([^"]*)"[\s\S]*?<p class="students">([^<]*)<\/p>/g,
      ),
    ];
    expect(groups.map((group) => [group[1], group[2]])).toEqual([
      ['lost update', 'bob'],
      ['no anomaly named', 'erin'],
      ['could not be evaluated', 'carol'],
    ]);
    // Each finding shows its timeline (the HTML report's swimlane) and its replay command.
    const bobFinding = html.slice(html.indexOf('data-student="bob">\n<h3>'));
    expect(bobFinding).toMatch(
      /^[\s\S]*?<div class="swimlane"[\s\S]*?<span class="lane-name">buyer 1<\/span>/,
    );
    expect(bobFinding).toContain(
      'oversold replay /submissions/bob/purchase.ts --schedule &quot;1 2 1 2&quot;',
    );
  });

  it('says so when nothing needs looking at', () => {
    const html = toGradebookHtml(sampleGradeReport([alice]), assets);
    expect(html).toContain(
      '<p class="none">No counterexample in any submission, and every one could be evaluated.</p>',
    );
    const empty = toGradebookHtml(sampleGradeReport([]), assets);
    expect(empty).toContain('<p class="none">No submissions.</p>');
    expect(texts(empty, 'overview')).toEqual(['0 submissions · mean – / 10 · median –']);
  });

  it('escapes every student-controlled string: names, errors and SQL in traces', () => {
    const sql = "SELECT '</script><script>alert(3)</script>' FROM events";
    const mallory: SubmissionGrade = {
      ...bob,
      student: '<script>alert(1)</script>',
      file: '/submissions/<b>x<b>.ts',
      tests: bob.tests.map((test) =>
        test.counterexample
          ? {
              ...test,
              output: '"><img src=x onerror=alert(4)>',
              counterexample: {
                ...sampleCounterexample,
                trace: [
                  { buyer: 1, event: 'sent', sql },
                  { buyer: 1, event: 'completed', sql, rowCount: 1 },
                ],
              },
            }
          : test,
      ),
    };
    const broken: SubmissionGrade = {
      ...carol,
      student: 'eve & "co"',
      error: '<img src=x onerror=alert(2)>',
    };
    const html = toGradebookHtml(sampleGradeReport([mallory, broken]), assets);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(html).toContain('&lt;b&gt;x&lt;b&gt;.ts');
    expect(html).toContain('data-student="eve &amp; &quot;co&quot;"');
    expect(html).not.toMatch(/<script>alert|<img|<b>x/);
    // The page's own script is the only one.
    expect(html.match(/<script/g)).toHaveLength(1);
  });
});

describe('writeGradebookHtml', () => {
  it('writes the page with the report stylesheet and script inlined', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oversold-gradebook-'));
    try {
      const file = join(dir, 'nested', 'gradebook.html');
      await writeGradebookHtml(file, sampleGradeReport());
      const html = await readFile(file, 'utf8');
      expect(html).toBe(toGradebookHtml(sampleGradeReport(), assets));
      expect(html).toContain(assets.css);
      expect(html).toContain(assets.script);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
