import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'client/test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores on our machines: a couple of forks keep PostgreSQL and SQLite runs from starving each other.
    pool: 'forks',
    maxWorkers: 2,
  },
});
