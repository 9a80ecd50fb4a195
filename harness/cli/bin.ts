#!/usr/bin/env node
// The `oversold` command as installed: the compiled form of this file is the
// package's bin. `harness/bin.mjs` runs the same file from the sources, under tsx.

// A closed pipe (`oversold check | head`) must not crash the run before it cleans up.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
const { main } = await import('./cli.ts');
const { interruptedExitCode } = await import('../database/exit-cleanup.ts');
const status = await main(process.argv.slice(2));
const code = interruptedExitCode() ?? status;
// Everything oversold opened is closed by now. Exit explicitly: a strategy's
// stray timer must not keep the process alive. Only the CLI decides its status.
process.exit(code);
