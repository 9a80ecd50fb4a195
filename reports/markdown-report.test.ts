import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSampleCheck } from '../test/fixtures/reports/sample-check.ts';

let markdown: string;
let html: string;
let stdout: string;
let json: {
  searched?: unknown;
  strategies: {
    name: string;
    properties: Record<string, { counterexample: { replay: string; trace: unknown[] } | null }>;
  }[];
};
beforeAll(async () => {
  const sample = await runSampleCheck('markdown');
  expect(sample.cli.code).toBe(2);
  markdown = await readFile(sample.markdown, 'utf8');
  html = await readFile(sample.html, 'utf8');
  stdout = sample.cli.stdout;
  json = JSON.parse(await readFile(sample.json, 'utf8'));
});

/** The cells of a Markdown table row, splitting on `|` that is not escaped. */
function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

describe('every report says what was searched (real CLI run)', () => {
  const searched = 'capacity 1..3, buyers 2..4, quantity 1..2, 20 runs, seed 7';
  it('in the console summary, the JSON, the Markdown and the HTML', () => {
    expect(stdout.trimEnd().split('\n').at(-1)).toContain(searched);
    expect(json.searched).toEqual({
      capacity: { min: 1, max: 3 },
      buyers: { min: 2, max: 4 },
      quantity: { min: 1, max: 2 },
      runs: 20,
      seed: 7,
    });
    expect(markdown).toContain(`Searched: ${searched}.`);
    expect(html).toContain(`<p class="summary searched">Searched: ${searched}</p>`);
  });

  it('prints where each report went', () => {
    for (const title of ['JSON report', 'JUnit report', 'Markdown report', 'HTML report']) {
      expect(stdout).toMatch(new RegExp(`^${title}: \\S+`, 'm'));
    }
  });
});

describe('--markdown on PostgreSQL (real CLI run)', () => {
  it('starts with the verdict table: one row per strategy, one column per property', () => {
    const lines = markdown.split('\n');
    const header = lines.findIndex((line) => line.startsWith('| strategy |'));
    expect(cells(lines[header]!)).toEqual([
      'strategy',
      'no-oversell',
      'honest-outcome',
      'no-undersell',
      'no-errors',
    ]);
    const rows = lines.slice(header + 2, header + 2 + json.strategies.length).map(cells);
    const byName = new Map(rows.map((row) => [row[0]!.match(/^\*\*(.+?)\*\*/)![1], row.slice(1)]));
    expect(byName.get('guarded-update')).toEqual(['✅ holds', '✅ holds', '✅ holds', '✅ holds']);
    expect(byName.get('naive-oversells')?.[0]).toBe('❌ **fails**');
    expect(byName.get('naive-read-modify-write')?.[0]).toBe('⚠️ fails (expected)');
    expect(byName.get('bad-return')?.[0]).toBe('💥 could not be evaluated');
  });

  it('shows each counterexample as a timeline table with a column per buyer and its replay command', () => {
    const examples = json.strategies.flatMap((strategy) =>
      Object.values(strategy.properties).flatMap((property) =>
        property.counterexample ? [property.counterexample] : [],
      ),
    );
    expect(examples).toHaveLength(3);
    for (const example of examples) expect(markdown).toContain(`\n${example.replay}\n`);
    const section = markdown.slice(markdown.indexOf('stale-subquery-update breaks no-oversell'));
    const table = section
      .split('\n')
      .filter((line) => line.startsWith('| '))
      .map(cells);
    expect(table[0]).toEqual(['#', 'buyer 1', 'buyer 2']);
    const waiting = table.find((row) => row.some((cell) => cell.includes('<waiting on buyer 2')));
    // Buyer 1 waits in its own column; buyer 2's column is empty on that row.
    expect(waiting?.[1]).toMatch(/^⏳ `UPDATE events/);
    expect(waiting?.[2]).toBe('');
    expect(table.some((row) => row[1]?.startsWith('↳ `<… completed>'))).toBe(true);
  });

  it('keeps markup from SQL and error messages inert', () => {
    // Inside code spans GitHub shows `<script>` literally; the `|` must not split the cell.
    expect(markdown).toContain(
      '`SELECT remaining /* <script>alert("x")</script> & \'q\' \\| a */ FROM events',
    );
    // Outside code spans and fences the only tags are the report's own.
    const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/(`+)[^`][\s\S]*?\1/g, '');
    const tags = new Set(prose.match(/<\/?[a-z]+/g));
    expect([...tags].sort()).toEqual(
      ['</details', '</summary', '<b', '<br', '<details', '<summary', '</b'].sort(),
    );
    expect(markdown).toContain("returned '<i>maybe</i>'");
    const error = markdown
      .split('\n')
      .find((line) => line.startsWith('**bad-return** could not be evaluated'));
    expect(error).toMatch(/`[^`]*<i>maybe<\/i>[^`]*`$/);
  });
});
