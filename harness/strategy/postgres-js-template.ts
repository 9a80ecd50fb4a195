/**
 * Turns postgres.js tagged templates into SQL text with `$n` parameters, the
 * way postgres.js builds them: values become parameters, nested queries are
 * inlined as fragments, and `sql(…)` helpers expand by the keyword before them.
 */

/** A nested query or a `sql(…)` helper: inlined into the template it appears in. */
export type Fragment =
  | { readonly kind: 'fragment'; readonly build: () => { text: string; params: unknown[] } }
  | { readonly kind: 'helper'; readonly value: unknown; readonly columns: readonly string[] };

/** `sql.json(v)` or `sql.array(v)`: one parameter, already in the form to send. */
export interface Parameter {
  readonly kind: 'parameter';
  readonly value: unknown;
}

/** A tagged template's text and parameters; nested templates share `params`. */
export function renderTemplate(
  strings: TemplateStringsArray,
  values: readonly unknown[],
  params: unknown[] = [],
): { text: string; params: unknown[] } {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += renderValue(value, text, params);
    text += strings[index + 1] ?? '';
  });
  return { text, params };
}

const templates = new WeakMap<object, { strings: TemplateStringsArray; values: readonly unknown[] }>();

/** Remembers a query's template so that nesting it renders into the outer query's parameters. */
export function rememberTemplate(
  fragment: object,
  strings: TemplateStringsArray,
  values: readonly unknown[],
): void {
  templates.set(fragment, { strings, values });
}

function renderValue(value: unknown, before: string, params: unknown[]): string {
  if (value === undefined) {
    throw new TypeError(
      'UNDEFINED_VALUE: a value in the sql`…` template is undefined (postgres.js refuses it too): pass null for SQL NULL',
    );
  }
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (value !== null && typeof value === 'object' && kind === 'parameter') {
    return placeholder((value as Parameter).value, params);
  }
  if (value !== null && typeof value === 'object' && kind === 'fragment') {
    const template = templates.get(value);
    if (template) return renderTemplate(template.strings, template.values, params).text;
    const built = (value as Extract<Fragment, { kind: 'fragment' }>).build();
    if (built.params.length > 0) {
      throw new TypeError(
        'an sql.unsafe() query with parameters cannot be nested in a template: nest a sql`…` fragment instead',
      );
    }
    return built.text;
  }
  if (value !== null && typeof value === 'object' && kind === 'helper') {
    return renderHelper(value as Extract<Fragment, { kind: 'helper' }>, before, params);
  }
  return placeholder(value, params);
}

function placeholder(value: unknown, params: unknown[]): string {
  params.push(value);
  return `$${params.length}`;
}

function renderHelper(
  helper: Extract<Fragment, { kind: 'helper' }>,
  before: string,
  params: unknown[],
): string {
  const last = /(\w+|,)\s*$/.exec(before.toLowerCase())?.[1] ?? '';
  const { value, columns } = helper;
  if (typeof value === 'string' && columns.length === 0) return identifier(value);
  if (last === 'in' && Array.isArray(value)) {
    return `(${value.map((item) => placeholder(item, params)).join(',')})`;
  }
  const rows = (Array.isArray(value) ? value : [value]) as unknown[];
  const isRow = (row: unknown): row is Record<string, unknown> => row !== null && typeof row === 'object';
  if (/\binsert\s+into\s+[\w."]+\s*$/i.test(before) && rows.every(isRow) && rows.length > 0) {
    const names = columns.length > 0 ? columns : Object.keys(rows[0] as Record<string, unknown>);
    const tuples = rows.map(
      (row) =>
        `(${names.map((name) => placeholder((row as Record<string, unknown>)[name] ?? null, params)).join(',')})`,
    );
    return `(${names.map(identifier).join(',')})values${tuples.join(',')}`;
  }
  if (last === 'set' && rows.length === 1 && isRow(rows[0])) {
    const row = rows[0];
    const names = columns.length > 0 ? columns : Object.keys(row);
    return names.map((name) => `${identifier(name)}=${placeholder(row[name] ?? null, params)}`).join(',');
  }
  if (last === 'values' && rows.length > 0) {
    return rows
      .map((row) => {
        const items = isRow(row)
          ? (columns.length > 0 ? columns : Object.keys(row)).map((name) => row[name] ?? null)
          : Array.isArray(row)
            ? row
            : [row];
        return `(${items.map((item) => placeholder(item, params)).join(',')})`;
      })
      .join(',');
  }
  if (
    (last === 'select' || last === ',' || last === 'returning') &&
    Array.isArray(value) &&
    value.every((name) => typeof name === 'string')
  ) {
    return value.map(identifier).join(',');
  }
  throw new TypeError(
    `sql(${JSON.stringify(value)?.slice(0, 40)}) after '${before.trim().slice(-20)}' is not a helper form oversold's postgres.js facade knows: use sql(ids) after IN, sql(row, …columns) after INSERT INTO t or SET, sql('name') for an identifier, or a plain \${value}`,
  );
}

/** Quotes an identifier as postgres.js does; `schema.table` quotes each part. */
function identifier(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}
