/**
 * `npm run bench:startup`: how long the installed `oversold` command takes to
 * answer `--version` and `--help`, against `node -e 0` on the same machine
 * (the floor: Node's own start). Runs the compiled bin in dist/, as a user's
 * `npx oversold` does; `npm run build` makes it. Median of 10 runs each,
 * interleaved so that a burst of load elsewhere hits all three alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RUNS = 10;
const bin = fileURLToPath(new URL('../dist/harness/cli/bin.js', import.meta.url));

const commands: Record<string, readonly string[]> = {
  'node -e 0': ['-e', '0'],
  'oversold --version': [bin, '--version'],
  'oversold --help': [bin, '--help'],
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function timeOnce(args: readonly string[]): number {
  const began = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - began;
  if (result.status !== 0) {
    throw new Error(
      `node ${args.join(' ')} exited with ${result.status}: ${result.stderr.toString().trim()}`,
    );
  }
  return ms;
}

if (!existsSync(bin)) {
  console.error(`startup bench: ${bin} does not exist: run 'npm run build' first`);
  process.exit(2);
}
const samples = new Map<string, number[]>(Object.keys(commands).map((name) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  for (const [name, args] of Object.entries(commands)) samples.get(name)!.push(timeOnce(args));
}
const floor = median(samples.get('node -e 0')!);
console.log(`CLI start-up, median of ${RUNS} runs (Node ${process.version}):`);
for (const [name, times] of samples) {
  const ms = median(times);
  const ratio = name === 'node -e 0' ? '' : `  ${(ms / floor).toFixed(2)}× node -e 0`;
  console.log(`  ${name.padEnd(20)} ${ms.toFixed(0).padStart(5)} ms${ratio}`);
}
