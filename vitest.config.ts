import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["test/scratch-root.ts"],
    include: ["test/**/*.test.ts"],
    exclude: ["test/corpus/**"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration tests fork real worker pools; two files at once is what 2 cores take.
    maxWorkers: 2,
  },
});
