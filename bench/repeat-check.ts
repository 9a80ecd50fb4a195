/**
 * `npm run repeat-check [-- N]`: runs the README's main command,
 * `oversold check strategies`, N times (20 by default) as a new user would,
 * each a fresh process with a fresh seed on the embedded server (or
 * DATABASE_URL), and prints each exit status and the tally. Every run must
 * exit 0: the catalogue's verdicts are all expected, so any other status is
 * a bug in oversold (a timing-dependent verdict, a flaky replay, a leak).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../harness/bin.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const times = Number(process.argv[2] ?? 20);

function checkOnce(): Promise<{ code: number | null; seconds: number; output: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'check', 'strategies'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, seconds: (performance.now() - started) / 1000, output: output.trim() }),
    );
  });
}

const codes: (number | null)[] = [];
for (let run = 1; run <= times; run++) {
  const { code, seconds, output } = await checkOnce();
  codes.push(code);
  const summary = output.split('\n').at(-1) ?? '';
  console.log(`run ${run}/${times}: exit ${code} in ${seconds.toFixed(1)} s · ${summary}`);
  if (code !== 0) {
    // The whole output: which strategy's verdict changed, and its counterexample.
    const file = join(tmpdir(), `oversold-repeat-check-run-${run}.txt`);
    await writeFile(file, output);
    const flagged = output.split('\n').filter((line) => /^[✗!]|FAILS|could not/.test(line.trim()));
    console.log(`    ${flagged.join('\n    ')}\n    full output: ${file}`);
  }
}
const zero = codes.filter((code) => code === 0).length;
console.log(`${zero} of ${times} runs exited 0`);
process.exitCode = zero === times ? 0 : 1;
