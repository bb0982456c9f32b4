import { defineConfig } from 'vitest/config';

// Timeouts are sized for a busy 2-core machine: a real synth with bundling, cdk-nag and cfn-lint
// has taken 35 s there, and a moto server several seconds to answer.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The SDK's documented switch for its notice about future Node.js versions, printed once per worker;
    // Powertools' for its metric records (test/handler/metrics.test.ts turns them on to read them).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
