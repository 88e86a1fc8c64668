import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The scenarios check when notifications arrive; one file at a time keeps a 2-core machine from skewing that.
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false },
});
