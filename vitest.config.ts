import { defineConfig } from 'vitest/config';

// Timeouts are sized for a busy 2-core machine: a real synth with bundling, cdk-nag and cfn-lint
// has taken 35 s there, and a moto server several seconds to answer.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
