import { defineConfig } from 'vitest/config';

// Inside the repository `import … from 'oversold'` (the catalogue's strategies,
// the examples) means the sources, not the compiled dist/: the package's exports
// map the `oversold-source` condition to them. Every process the tests start
// inherits it through NODE_OPTIONS.
process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, '--conditions=oversold-source']
  .filter(Boolean)
  .join(' ');

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'examples/**'],
    globalSetup: ['harness/vitest/global-setup.ts'],
    // Tests start PostgreSQL sessions and child processes; generous limits, no timing assertions.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
