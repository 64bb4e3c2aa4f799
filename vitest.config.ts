import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-emu/**/*.test.ts', 'src-main/**/*.test.ts', 'src-shared/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
