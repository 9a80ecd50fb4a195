import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStrategyFiles, loadStrategy } from './load-strategy.ts';

// Strategies written into a temp dir (no package.json above it), so each
// folder's own package.json, or none, decides how Node would treat the file.
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oversold-load-anywhere-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));

async function write(path: string, text: string): Promise<string> {
  const full = join(work, path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, text);
  return full;
}

const typeScriptDefault = (name: string) => `import type { BuyerDb } from 'oversold';
interface Request { eventId: number }
const name: string = '${name}';
export default {
  name,
  async purchase(_db: BuyerDb, _request: Request): Promise<string> { return 'purchased'; },
};
`;
const typeScriptModuleExports = (name: string) => `const name: string = '${name}';
module.exports = { name, async purchase(): Promise<string> { return 'purchased'; } };
`;
const esmDefault = (name: string) =>
  `export default { name: '${name}', async purchase() { return 'purchased'; } };\n`;
const moduleExports = (name: string) =>
  `module.exports = { name: '${name}', async purchase() { return 'purchased'; } };\n`;
const exportsDefault = (name: string) =>
  `exports.default = { name: '${name}', async purchase() { return 'purchased'; } };\n`;

// [folder, package.json type or none, file, source]
const cases: [string, 'commonjs' | 'module' | undefined, string, (name: string) => string][] = [
  ['plain', undefined, 'buy.ts', typeScriptDefault],
  ['plain', undefined, 'buy-esm.js', esmDefault],
  ['plain', undefined, 'buy.mjs', esmDefault],
  ['plain', undefined, 'buy-exports.cjs', moduleExports],
  ['plain', undefined, 'buy-exports-default.cjs', exportsDefault],
  ['plain', undefined, 'buy.cts', typeScriptDefault],
  ['plain', undefined, 'buy.mts', typeScriptDefault],
  ['commonjs', 'commonjs', 'buy.ts', typeScriptDefault],
  ['commonjs', 'commonjs', 'buy-exports.ts', typeScriptModuleExports],
  ['commonjs', 'commonjs', 'buy-exports.js', moduleExports],
  ['module', 'module', 'buy.ts', typeScriptDefault],
  ['module', 'module', 'buy.js', esmDefault],
  ['module', 'module', 'buy.cts', typeScriptModuleExports],
];

describe('a strategy loads wherever it is', () => {
  it.each(cases)('%s folder (package type %s): %s', async (folder, type, file, source) => {
    if (type) await write(`${folder}/package.json`, JSON.stringify({ type }));
    const name = `${folder}-${file.replace('.', '-')}`;
    const path = await write(`${folder}/${file}`, source(name));
    const loaded = await loadStrategy(path);
    if ('error' in loaded) throw loaded.error;
    expect(loaded.strategy.name).toBe(name);
    expect(await loaded.strategy.purchase({} as never, { eventId: 1 } as never)).toBe('purchased');
  });

  it('loads a TypeScript helper the strategy imports, outside an ES-module package', async () => {
    await write('helper/label.ts', "export const label: string = 'from-helper';\n");
    const path = await write(
      'helper/buy.ts',
      "import { label } from './label.ts';\nexport default { name: label, async purchase() { return 'purchased'; } };\n",
    );
    const loaded = await loadStrategy(path);
    if ('error' in loaded) throw loaded.error;
    expect(loaded.strategy.name).toBe('from-helper');
  });

  it('loads x.js itself, not the sibling x.ts tsx maps a .js import to', async () => {
    await write('siblings/buy.ts', typeScriptDefault('siblings-typescript'));
    const path = await write('siblings/buy.js', esmDefault('siblings-javascript'));
    const loaded = await loadStrategy(path);
    if ('error' in loaded) throw loaded.error;
    expect(loaded.strategy.name).toBe('siblings-javascript');
  });

  it('loads a TypeScript scenario module the strategy names, outside an ES-module package', async () => {
    await write(
      'scenario/shop.scenario.ts',
      `interface Seeded { products: readonly { productId: number; stock: number }[] }
module.exports = {
  schema: 'CREATE TABLE sales (product_id int, buyer_id int, quantity int)',
  async seed(db: { query(text: string): Promise<unknown> }, _context: Seeded): Promise<void> {
    await db.query('DELETE FROM sales');
  },
  unitsSold: 'SELECT product_id AS product, buyer_id AS buyer, sum(quantity) AS units FROM sales GROUP BY 1, 2',
};
`,
    );
    const path = await write(
      'scenario/buy.ts',
      "export default { scenario: './shop.scenario.ts', async purchase(): Promise<string> { return 'purchased'; } };\n",
    );
    const loaded = await loadStrategy(path);
    if ('error' in loaded) throw loaded.error;
    expect(loaded.strategy.scenario).toBe(join(work, 'scenario/shop.scenario.ts'));
  });

  it('finds .cts and .cjs strategies in a folder, but not tests or declarations', async () => {
    for (const file of ['a.cts', 'b.cjs', 'c.test.cjs', 'd.d.cts', 'e.ts', 'f.txt']) {
      await write(`found/${file}`, '');
    }
    const files = await findStrategyFiles([join(work, 'found')]);
    expect(files).toEqual(['a.cts', 'b.cjs', 'e.ts'].map((file) => join(work, 'found', file)));
  });
});

describe('a strategy that does not load says why in one line', () => {
  it("shows esbuild's message at file:line:col for a syntax error", async () => {
    const path = await write('errors/syntax.ts', "export default {\n  name: 'x',\n  const x y = 1;\n};\n");
    const loaded = await loadStrategy(path);
    expect('error' in loaded && loaded.error.message).toBe(
      `${path}: does not load (${path}:3:9: Expected ":" but found "x"): fix the error so the module can be imported`,
    );
  });

  it("shows esbuild's position for a syntax error in plain JavaScript too", async () => {
    const path = await write('errors/syntax.js', "export default {\n  name: 'x',,\n};\n");
    const loaded = await loadStrategy(path);
    expect('error' in loaded && loaded.error.message).toContain(
      `(${path}:2:13: Expected identifier but found ",")`,
    );
  });

  it('shows the message a strategy throws at top level', async () => {
    const path = await write(
      'errors/throws.ts',
      "throw new Error('no stock table yet');\nexport default {};\n",
    );
    const loaded = await loadStrategy(path);
    expect('error' in loaded && loaded.error.message).toBe(
      `${path}: does not load (no stock table yet): fix the error so the module can be imported`,
    );
  });

  it('says what to export when there is no default export, in either module system', async () => {
    for (const file of ['errors/named.ts', 'errors/named.mjs']) {
      const path = await write(file, 'export const purchase = async () => "purchased";\n');
      const loaded = await loadStrategy(path);
      expect('error' in loaded && loaded.error.message).toBe(
        `${path}: has no default export object: write export default { async purchase(db, request) { … return 'purchased'; } } (or module.exports = { … } in CommonJS)`,
      );
    }
  });

  it('names a missing import', async () => {
    const path = await write('errors/missing.ts', "import { x } from './nowhere.ts';\nexport default x;\n");
    const loaded = await loadStrategy(path);
    expect('error' in loaded && loaded.error.message).toBe(
      `${path}: does not load (Cannot find module './nowhere.ts'): fix the error so the module can be imported`,
    );
  });
});

// Vitest loads this file through its own transform; the CLI is the real proof.
describe('the oversold command, run from a folder without package.json', () => {
  const run = promisify(execFile);

  it('regression: a TypeScript strategy outside an ES-module package loads (was "does not load")', async () => {
    const cwd = join(work, 'cli');
    await write('cli/buy.ts', typeScriptDefault('cli-typescript'));
    const { stdout, stderr } = await run(process.execPath, [bin, 'list', 'buy.ts'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^cli-typescript\s+tickets/);
  });

  it('regression: a syntax error shows file:line:col and the message (was "Transform failed with 1 error:")', async () => {
    const cwd = join(work, 'cli-error');
    await write('cli-error/buy.ts', 'const ok = 1;\nconst x y = 2;\nexport default {};\n');
    const failure = await run(process.execPath, [bin, 'list', 'buy.ts'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toBe(
      'oversold: buy.ts: does not load (buy.ts:2:9: Expected ";" but found "y"): fix the error so the module can be imported\n',
    );
  });
});
