import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts", "bench/**/*.spec.ts", "web/**/*.spec.ts"],
    testTimeout: 30_000,
    // A test that reads ../shared throws: the suite must pass in a fresh clone with nothing beside it.
    setupFiles: ["src/test-support/no-shared.ts"],
  },
});
