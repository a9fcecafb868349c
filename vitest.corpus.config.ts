import { defineConfig } from "vitest/config";

// `npm run test:corpus`: the whole pdf.js corpus through the real CLI (see test/corpus/).
export default defineConfig({
  test: {
    globalSetup: ["test/scratch-root.ts"],
    include: ["test/corpus/**/*.test.ts"],
    // Each file's run is bounded by the test itself; this only catches a stuck harness.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // One test file at a time; inside it, runs go two at a time (2 cores, one worker each).
    fileParallelism: false,
    maxConcurrency: 2,
  },
});
