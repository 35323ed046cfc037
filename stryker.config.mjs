// Stryker for the TypeScript tools (`npm run mutate:ts`, driven by scripts/mutate-ts.mjs).
// Each group of src/ files runs against only the test files named for it (MUTATE_FILES and
// MUTATE_TESTS, set by the driver), so a run fits a 2-core machine.
const files = (process.env.MUTATE_FILES ?? "src/**/*.ts").split(",");
const group = process.env.MUTATE_GROUP ?? "all";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts", related: false },
  // MUTATE_NO_CHECK=1 (`--no-check`): no type checker. On the busy machine it took about three
  // times the test runner's CPU; a mutant that would not compile then runs like any other, so
  // its verdict counts where the type checker would have set it aside.
  checkers: process.env.MUTATE_NO_CHECK === "1" ? [] : ["typescript"],
  // The checker sorts out mutants that do not type-check; src/ alone is enough for that and
  // keeps each check small (the tests are not compiled by it).
  tsconfigFile: "tsconfig.mutate.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: files,
  // Only src/ is TypeScript Stryker can parse (assembly/ is AssemblyScript, with decorators).
  disableTypeChecks: "src/**/*.ts",
  // Large or machine-local folders the sandbox copy does not need. Anchored at the root: a
  // bare "build" also left out src/build and test/build (the compiler driver the tests load
  // modules with), so most test files of a group failed to load and their mutants looked
  // reached by no test.
  ignorePatterns: ["/bench/.work", "/build", "/.envoy", "/.tools", "/test/.tmp", "/reports", "/dist"],
  // Each mutant runs only the tests that executed its code in the first (coverage) run.
  coverageAnalysis: "perTest",
  // A rerun tests only the mutants whose code or covering tests changed since the last run
  // (the file lives beside the reports, git-ignored).
  incremental: true,
  incrementalFile: `reports/mutation/ts/${group}.incremental.json`,
  concurrency: 1,
  timeoutMS: 30_000,
  // The first run builds the test modules the group's files load (the copy has no build/)
  // and runs every test once with coverage: on the busy 2-core machine far more than
  // Stryker's default 5 minutes, which ended every earlier run of src/testing there.
  dryRunTimeoutMinutes: 60,
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  jsonReporter: { fileName: `reports/mutation/ts/${group}.json` },
  htmlReporter: { fileName: `reports/mutation/ts/${group}.html` },
  // One sandbox folder per group, so runs of two groups (or two `--as` names) can share a tree.
  tempDirName: `reports/mutation/.stryker-tmp-${group}`,
  cleanTempDir: true,
};
