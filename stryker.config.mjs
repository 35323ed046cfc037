// Stryker for the TypeScript tools (`npm run mutate:ts`, driven by scripts/mutate-ts.mjs).
// Each group of src/ files runs against only the test files named for it (MUTATE_FILES and
// MUTATE_TESTS, set by the driver), so a run fits a 2-core machine.
const files = (process.env.MUTATE_FILES ?? "src/**/*.ts").split(",");
const group = process.env.MUTATE_GROUP ?? "all";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts", related: false },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: files,
  // Only src/ is TypeScript Stryker can parse (assembly/ is AssemblyScript, with decorators).
  disableTypeChecks: "src/**/*.ts",
  // Large or machine-local folders the sandbox copy does not need.
  ignorePatterns: ["bench/.work", "build", ".envoy", ".tools", "test/.tmp", "reports", "dist"],
  coverageAnalysis: "perTest",
  concurrency: 1,
  timeoutMS: 30_000,
  reporters: ["clear-text", "json", "html"],
  jsonReporter: { fileName: `reports/mutation/ts/${group}.json` },
  htmlReporter: { fileName: `reports/mutation/ts/${group}.html` },
  tempDirName: "reports/mutation/.stryker-tmp",
  cleanTempDir: true,
};
