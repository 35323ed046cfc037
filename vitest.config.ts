import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts", "filters/**/test/**/*.test.ts"],
    // Envoy-backed tests start real processes; give them room but never hang forever.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real Envoy instances are heavy on a 2-core machine: keep files sequential.
    fileParallelism: false,
    reporters: ["default"],
  },
});
