import { describe, expect, it } from 'vitest';
import { formatResultSet } from './result-table.ts';

describe('formatResultSet prints as libpq PQprint does for isolationtester', () => {
  it('right-aligns numeric columns and left-aligns text, padding the last column too', () => {
    expect(
      formatResultSet({
        fields: ['id', 'name'],
        rows: [
          ['1', 'a'],
          ['10', 'bbb'],
        ],
      }),
    ).toBe('id|name\n--+----\n 1|a   \n10|bbb \n(2 rows)\n\n');
  });

  it('prints NULL and empty strings as nothing, and they leave a column numeric', () => {
    expect(formatResultSet({ fields: ['balance'], rows: [[null], ['-1.5e3'], ['']] })).toBe(
      'balance\n-------\n       \n -1.5e3\n       \n(3 rows)\n\n',
    );
  });

  it('treats a value starting with E or ending without a digit as text', () => {
    expect(formatResultSet({ fields: ['v', 'w'], rows: [['E1', '1.']] })).toBe(
      'v |w \n--+--\nE1|1.\n(1 row)\n\n',
    );
  });

  it('counts bytes, not characters, as printf does', () => {
    expect(formatResultSet({ fields: ['city'], rows: [['Zürich']] })).toBe(
      'city   \n-------\nZürich\n(1 row)\n\n',
    );
  });

  it('prints multi-line values as they are', () => {
    expect(formatResultSet({ fields: ['t'], rows: [['a\nb']] })).toBe('t  \n---\na\nb\n(1 row)\n\n');
  });

  it('prints an empty result with its header and a result without columns as nothing', () => {
    expect(formatResultSet({ fields: ['key', 'val'], rows: [] })).toBe('key|val\n---+---\n(0 rows)\n\n');
    expect(formatResultSet({ fields: [], rows: [[]] })).toBe('');
  });
});
