// The vitest configuration the mutation runs use (Stryker, and scripts/mutate-as): the
// project's, limited to the test files the driver names for the group being mutated
// (MUTATE_TESTS, comma-separated; all when unset), without the global set-up that builds
// every example and filter: the suites mutation runs use build the modules they load, and a
// mutation run's copy of the project has no build/ to compare with.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

const tests = (process.env.MUTATE_TESTS ?? "").split(",").filter((t) => t !== "");

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: tests.length > 0 ? tests : (base.test?.include ?? []),
    globalSetup: [],
  },
});
