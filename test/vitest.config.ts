import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts', 'deploy/**/*.test.ts', 'conditions/**/*.test.ts', 'repository/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // One suite at a time: each starts several real processes on a 2-core machine.
    fileParallelism: false,
  },
});
