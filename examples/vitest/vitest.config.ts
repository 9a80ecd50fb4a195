import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One PostgreSQL for the whole run: DATABASE_URL when set, else an embedded server.
    globalSetup: ['oversold/vitest-setup'],
    // Each check runs many interleavings against a real database.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
