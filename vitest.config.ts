import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // End-to-end and infrastructure tests start servers and synthesize stacks: give them room,
    // but never use time as an assertion (speed is measured by `npm run bench`).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    env: { CDK_VALIDATION: 'false', AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1' },
  },
});
