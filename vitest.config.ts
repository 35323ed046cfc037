import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Inside this repository, `meshwasm/<entry>` means the TypeScript sources (the published
// package maps the same names to dist/; tsconfig.json's `paths` says the same for tsc).
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "meshwasm/testing": source("./src/testing/index.ts"),
      "meshwasm/envoy": source("./src/envoy/index.ts"),
      "meshwasm/build": source("./src/build/compile.ts"),
    },
  },
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts", "filters/**/test/**/*.test.ts"],
    // build/<name>.wasm for every example and filter, compiled first when stale.
    globalSetup: ["test/build-modules.setup.ts"],
    // Envoy-backed tests start real processes; give them room but never hang forever.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real Envoy instances are heavy on a 2-core machine: keep files sequential.
    fileParallelism: false,
    reporters: ["default"],
  },
});
