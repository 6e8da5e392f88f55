import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts", "bench/**/*.spec.ts", "web/**/*.spec.ts"],
    testTimeout: 30_000,
  },
});
