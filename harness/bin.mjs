#!/usr/bin/env node
// The `oversold` command. Strategies may be TypeScript, so the CLI runs under tsx.
import { register } from 'tsx/esm/api';

register();
// A closed pipe (`oversold check | head`) must not crash the run before it cleans up.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
const { main } = await import('./cli/cli.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything oversold opened is closed by now; a strategy's stray timer must not keep the process alive.
setTimeout(() => process.exit(code), 1000).unref();
