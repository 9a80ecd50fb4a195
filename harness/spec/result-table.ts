/**
 * Result sets printed as isolationtester prints them: libpq's PQprint with
 * `header`, `align` and `|` as the separator (src/interfaces/libpq/fe-print.c).
 */

/** One result set in PostgreSQL's text format: column names, and rows of values (null for NULL). */
export interface ResultSet {
  readonly fields: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/**
 * The text PQprint writes for a result set, trailing blank line included; ''
 * for a result without columns. Widths count bytes, as printf does; a column
 * is right-aligned when every non-empty value looks numeric by PQprint's test;
 * NULLs and empty strings print as nothing and do not take part in that test.
 */
export function formatResultSet(result: ResultSet): string {
  const { fields, rows } = result;
  if (fields.length === 0) return '';
  const widths = fields.map((name) => byteLength(name));
  const numeric = fields.map(() => true);
  for (const row of rows) {
    fields.forEach((_, column) => {
      const value = row[column];
      if (value === null || value === undefined || value === '') return;
      if (numeric[column] && !looksNumeric(value)) numeric[column] = false;
      widths[column] = Math.max(widths[column]!, byteLength(value));
    });
  }
  const cell = (value: string, column: number): string => {
    const pad = ' '.repeat(Math.max(widths[column]! - byteLength(value), 0));
    return numeric[column] ? pad + value : value + pad;
  };
  const lines = [
    fields.map((name, column) => cell(name, column)).join('|'),
    widths.map((width) => '-'.repeat(width)).join('+'),
    ...rows.map((row) => fields.map((_, column) => cell(row[column] ?? '', column)).join('|')),
  ];
  return `${lines.join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n\n`;
}

/** PQprint's test: only digits, '.', 'E', 'e', ' ' and '-', not starting with E, ending in a digit. */
function looksNumeric(value: string): boolean {
  return /^[0-9.Ee -]*$/.test(value) && !/^[Ee]/.test(value) && /[0-9]$/.test(value);
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
