import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real nginx; files may run in parallel because every
    // nginx gets its own free ports, temp prefix and record sinks.
    fileParallelism: true,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The default reporter ends with a "Tests  N passed | N failed" summary.
    reporters: ['default'],
  },
});
