// `npm run build`: compiles the package (tsconfig.build.json) and copies the
// files that are read at run time but are not TypeScript: the HTML report's
// stylesheet and script, and the catalogue's SQL strategies.
//
// It builds into dist-next/ and then swaps it for dist/, so that a process
// running from dist/ (a test, `npm pack` in the consumer test) never sees a
// half-written tree, and a file renamed in the sources does not live on.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const assets = [
  { from: 'reports/html', keep: /\.(css|js)$/ },
  { from: 'strategies', keep: /\.sql$/ },
];
const next = 'dist-next';
const old = 'dist-old';

rmSync(next, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', next], {
  stdio: 'inherit',
});
if (compiled.status !== 0) {
  console.error('build: tsc -p tsconfig.build.json failed (its errors are above): fix them and build again');
  process.exit(compiled.status ?? 1);
}
for (const { from, keep } of assets) {
  cpSync(from, `${next}/${from}`, {
    recursive: true,
    // Folders are walked; of the files, only the assets are copied.
    filter: (source) => !/\.[a-z]+$/.test(source) || keep.test(source),
  });
}
// The check's worker thread starts at harness/check/check-worker.mjs, which
// from the sources registers tsx and imports check-worker.ts. Compiled there
// is nothing to transpile: dist/ gets a bootstrap that imports the JavaScript.
writeFileSync(
  `${next}/harness/check/check-worker.mjs`,
  "// Written by scripts/build.mjs: the compiled worker needs no tsx.\nawait import('./check-worker.js');\n",
);
rmSync(old, { recursive: true, force: true });
if (existsSync('dist')) renameSync('dist', old);
renameSync(next, 'dist');
rmSync(old, { recursive: true, force: true });
