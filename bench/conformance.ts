/**
 * npm run conformance [-- --database-url URL] [--filter NAME]
 *
 * Runs every spec of PostgreSQL's isolation suite found in the shared folder
 * (OVERSOLD_PG_ISOLATION, or ../shared/pg-isolation beside the repository) with
 * `oversold spec`, in isolation_schedule order, and compares each output with
 * expected/NAME.out and its _N variants. Prints how many were reproduced
 * exactly, the unsupported specs with their reasons, and each mismatch with
 * its first differing line. A tracked figure, not a test.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { redactUrl } from '../harness/database/redact-url.ts';
import { runSpec } from '../harness/spec/run-spec.ts';
import { openSpecConnection } from '../harness/spec/spec-connection.ts';
import { parseSpec } from '../harness/spec/spec-parser.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    filter: { type: 'string' },
    timeout: { type: 'string', default: '300000' },
  },
});
const url = values['database-url'] ?? process.env.DATABASE_URL;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const folder = process.env.OVERSOLD_PG_ISOLATION ?? join(repo, '..', 'shared', 'pg-isolation');

if (!existsSync(join(folder, 'specs'))) {
  console.error(
    `conformance: no isolation suite at ${folder}: set OVERSOLD_PG_ISOLATION to a folder with specs/ and expected/`,
  );
  process.exit(2);
}
if (!url) {
  console.error(
    "conformance: the expected outputs are PostgreSQL 15's: pass --database-url (or set DATABASE_URL) naming a PostgreSQL 15 server",
  );
  process.exit(2);
}
const probe = await openSpecConnection(url, 'conformance');
const version = String(
  (await probe.query("SELECT current_setting('server_version_num')")).last?.rows[0]?.[0],
);
await probe.close();
if (Math.floor(Number(version) / 10000) !== 15) {
  console.error(
    `conformance: ${redactUrl(url)} runs PostgreSQL ${version}, and the expected outputs are PostgreSQL 15's: point --database-url at a PostgreSQL 15 server`,
  );
  process.exit(2);
}

const present = new Set(
  readdirSync(join(folder, 'specs'))
    .filter((file) => file.endsWith('.spec'))
    .map((file) => file.slice(0, -'.spec'.length)),
);
const scheduled = readFileSync(join(folder, 'isolation_schedule'), 'utf8')
  .split('\n')
  .flatMap((line) => (line.startsWith('test:') ? line.slice(5).trim().split(/\s+/) : []))
  .filter((name) => present.has(name));
const names = [...scheduled, ...[...present].filter((name) => !scheduled.includes(name)).sort()].filter(
  (name) => !values.filter || name.includes(values.filter),
);

const exact: string[] = [];
const unsupported: { name: string; reason: string }[] = [];
const mismatches: { name: string; line: number; expected: string; got: string }[] = [];
const started = performance.now();
for (const name of names) {
  const began = performance.now();
  let output: string;
  let reason: string | null = null;
  try {
    const spec = parseSpec(readFileSync(join(folder, 'specs', `${name}.spec`), 'utf8'));
    const result = await runSpec(spec, { url, timeoutMs: Number(values.timeout) });
    output = result.output;
    reason = result.unsupported;
  } catch (error) {
    output = `oversold spec failed: ${(error as Error).message}\n`;
  }
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  if (reason) {
    unsupported.push({ name, reason });
    console.log(`unsupported  ${name} (${seconds}s)`);
    continue;
  }
  const variants = expectedVariants(name);
  if (variants.some((text) => text === output)) {
    exact.push(name);
    console.log(`exact        ${name} (${seconds}s)`);
    continue;
  }
  const difference = firstDifference(variants[0] ?? '', output);
  mismatches.push({ name, ...difference });
  console.log(`mismatch     ${name} (${seconds}s)`);
}

const total = names.length;
console.log('');
console.log(
  `reproduced exactly: ${exact.length} / ${total} (${total === 0 ? 0 : ((100 * exact.length) / total).toFixed(1)}%) against PostgreSQL ${version}, in ${((performance.now() - started) / 1000).toFixed(1)}s`,
);
if (unsupported.length > 0) {
  console.log(`\nunsupported (${unsupported.length}):`);
  for (const { name, reason } of unsupported) console.log(`  ${name}: ${reason}`);
}
if (mismatches.length > 0) {
  console.log(`\nmismatches (${mismatches.length}):`);
  for (const { name, line, expected, got } of mismatches) {
    console.log(`  ${name}, line ${line}:`);
    console.log(`    expected: ${JSON.stringify(expected)}`);
    console.log(`    got:      ${JSON.stringify(got)}`);
  }
}

function expectedVariants(name: string): string[] {
  return readdirSync(join(folder, 'expected'))
    .filter((file) => file === `${name}.out` || new RegExp(`^${escapeRegExp(name)}_[0-9]+\\.out$`).test(file))
    .sort()
    .map((file) => readFileSync(join(folder, 'expected', file), 'utf8'));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function firstDifference(expected: string, got: string): { line: number; expected: string; got: string } {
  const want = expected.split('\n');
  const have = got.split('\n');
  for (let index = 0; index < Math.max(want.length, have.length); index++) {
    if (want[index] !== have[index]) {
      return {
        line: index + 1,
        expected: want[index] ?? '(end of file)',
        got: have[index] ?? '(end of file)',
      };
    }
  }
  return { line: 0, expected: '', got: '' };
}
