import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    // End-to-end and infrastructure tests start servers and synthesize stacks: give them room,
    // but never use time as an assertion (speed is measured by `npm run bench`).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    env: { CDK_VALIDATION: 'false', AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1' },
    projects: [
      {
        extends: true,
        // Unit tests build handlers from fakes and read no environment, so they share one module cache per
        // worker instead of importing the SDK and the domain afresh for each of their many small files.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: ['test/unit/**'] },
      },
    ],
  },
});
