import os from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Vitest projects, run from the root:
 *  - unit: fast tests next to the code (`*.test.ts` under each workspace's src/);
 *  - integration: cross-package tests with real mediasoup, FFmpeg and databases (test/integration),
 *    files in parallel;
 *  - e2e: real browsers; run by scripts/test.mjs inside a network namespace (test/e2e);
 *  - bench: the benchmark's `--quick` smoke run, checked for having measured (test/bench).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{server,media,recorder,client}/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Files run side by side, one worker per core (Vitest's own default leaves a core free,
          // i.e. one worker on 2 cores): each file starts its own servers, databases, Redis and
          // ports (free ones, or random within a range), so none waits on another's. Its own group,
          // so that a run of every project at once may give it more workers than the unit tests.
          maxWorkers: os.availableParallelism(),
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'bench',
          include: ['test/bench/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
