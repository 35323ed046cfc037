// The vitest configuration Stryker runs: the project's, limited to the test files the
// mutation driver names for the group being mutated (MUTATE_TESTS, comma-separated).
import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

const tests = (process.env.MUTATE_TESTS ?? "").split(",").filter((t) => t !== "");

export default defineConfig({
  ...base,
  test: { ...base.test, include: tests.length > 0 ? tests : (base.test?.include ?? []) },
});
