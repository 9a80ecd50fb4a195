import { describe, expect, it } from 'vitest';
import { sampleGradeReport, sampleSubmissions } from '../../test/fixtures/grade/sample-grade-report.ts';
import type { SubmissionGrade } from './grade-model.ts';
import { toGradebookCsv } from './gradebook-csv.ts';

/** RFC 4180, test-only: fields in double quotes may hold commas, newlines and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let at = 0; at < text.length; at++) {
    const character = text[at]!;
    if (quoted) {
      if (character === '"' && text[at + 1] === '"') {
        field += '"';
        at++;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      row.push(field);
      field = '';
    } else if (character === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
    } else field += character;
  }
  expect(quoted, 'a quoted field is left open').toBe(false);
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

describe('toGradebookCsv', () => {
  it('has student, score, max, one column per test id in assignment order, then error', () => {
    expect(parseCsv(toGradebookCsv(sampleGradeReport()))).toEqual([
      ['student', 'score', 'max', 'no-oversell-two-buyers', 'honest-outcome', 'no-undersell-hidden', 'error'],
      ['alice', '10', '10', '4', '3', '3', ''],
      ['bob', '3', '10', '0', '3', '0', ''],
      ['carol', '0', '10', '0', '0', '0', 'no purchase.ts or purchase.sql in the submission'],
      // dave's time ran out after the first test: the others were not run, not failed.
      ['dave', '4', '10', '4', '', '', ''],
    ]);
  });

  it('quotes commas, quotes and newlines in names and errors so that they read back unchanged', () => {
    const student = 'Smith, "Jo"\nJunior';
    const error = 'does not load (purchase.ts:3:8: Expected ";" but found "x"),\nsee line 3';
    const report = sampleGradeReport([{ ...sampleSubmissions.carol, student, error }]);
    const csv = toGradebookCsv(report);
    expect(csv).toContain('"Smith, ""Jo""\nJunior"');
    const [header, row] = parseCsv(csv);
    expect(row).toHaveLength(header!.length);
    expect(row![0]).toBe(student);
    expect(row!.at(-1)).toBe(error);
  });

  it('keeps a spreadsheet from running a name or an error as a formula', () => {
    const evil: SubmissionGrade = {
      ...sampleSubmissions.carol,
      student: '=HYPERLINK("http://x.example","click")',
      error: '@SUM(A1:A9)',
    };
    const [, row] = parseCsv(toGradebookCsv(sampleGradeReport([evil])));
    expect(row![0]).toBe(`'=HYPERLINK("http://x.example","click")`);
    expect(row!.at(-1)).toBe(`'@SUM(A1:A9)`);
  });

  it('writes fractional points as the assignment wrote them', () => {
    const bob = sampleSubmissions.bob;
    const fractional: SubmissionGrade = {
      ...bob,
      score: 0.1 + 0.2,
      tests: bob.tests.map((test) => ({ ...test, score: test.passed ? 0.1 + 0.2 : 0 })),
    };
    const [, row] = parseCsv(toGradebookCsv(sampleGradeReport([fractional])));
    expect(row!.slice(0, 6)).toEqual(['bob', '0.3', '10', '0', '0.3', '0']);
  });

  it('is only the header for a class with no submissions', () => {
    expect(toGradebookCsv(sampleGradeReport([]))).toBe(
      'student,score,max,no-oversell-two-buyers,honest-outcome,no-undersell-hidden,error\n',
    );
  });
});
