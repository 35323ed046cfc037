// The vitest configuration the mutation runs use (Stryker, and scripts/mutate-as): the
// project's, limited to the test files the driver names for the group being mutated
// (MUTATE_TESTS, comma-separated; all when unset), without the global set-up that builds
// every example and filter (a mutation run's copy of the project has no build/ to compare
// with). Instead test/mutate/modules.setup.ts builds the test modules and examples those test
// files load before any test starts, so no test compiles one within its own time limit.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

const tests = (process.env.MUTATE_TESTS ?? "").split(",").filter((t) => t !== "");

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: tests.length > 0 ? tests : (base.test?.include ?? []),
    globalSetup: ["test/mutate/modules.setup.ts"],
    // In Stryker's runs, a test file that fails to load counts as a failed test (see the file).
    reporters: process.env.MUTATE_GROUP
      ? [...(base.test?.reporters ?? ["default"]), "./test/mutate/load-failures.reporter.ts"]
      : base.test?.reporters,
  },
});
