// vitest's global set-up for the mutation runs (vitest.mutate.config.ts): the test modules and
// examples that the run's test files load (modules-used.ts), built before any test starts. A
// mutation run works in a copy of the project without build/, so otherwise the first test to
// load a module compiles it within its own time limit; on a busy machine that limit ran out,
// the test failed, and the run stopped at that first failure with most of its tests never run.
//
// A test file that reads the project's own built filters (test/build/prune-exports.test.ts)
// gets them built as `npm test` builds them (test/build-modules.setup.ts).
//
// They are built in a child process by scripts/mutate-as/build-modules.mjs (where the tests
// look for them, without Binaryen's optimizer, as the AssemblyScript harness builds them):
// loading the compiler into vitest's own process failed inside Stryker's copy.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import buildStaleModules from "../build-modules.setup.ts";
import { modulesUsed, PROJECT_FILTERS, testFiles } from "./modules-used.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const REFUSED = new Set(["stray-import", "no-malloc", "no-marker"]);

/** Where test/modules/build.ts keeps "module:<name>" or "example:<name>". */
function outFile(spec: string): string {
  const [kind, name] = spec.split(":") as [string, string];
  if (kind === "example") return join(ROOT, "build", "test-modules", `example-${name}.wasm`);
  if (REFUSED.has(name)) return join(ROOT, "test", ".tmp", "refused-modules", `${name}.wasm`);
  return join(ROOT, "build", "test-modules", `${name}.wasm`);
}

export default function buildModules(): void {
  const patterns = (process.env.MUTATE_TESTS ?? "").split(",").filter((t) => t !== "");
  if (patterns.length === 0) return;
  const needed = modulesUsed(testFiles(patterns));
  // test/build/prune-exports.test.ts reads every filter's and example's build/<name>.wasm:
  // built as `npm test` builds them (the CLI, in a child process), missing or stale ones only.
  if (needed.includes(PROJECT_FILTERS)) buildStaleModules();
  // Only what is missing: the AssemblyScript harness has built its modules already (and a
  // stale one in a work tree is rebuilt by the test that loads it, as outside mutation runs).
  const used = needed
    .filter((spec) => spec !== PROJECT_FILTERS)
    .filter((spec) => !existsSync(outFile(spec)));
  if (used.length === 0) return;
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/mutate-as/build-modules.mjs", ...used],
    { cwd: ROOT, encoding: "utf8" },
  );
  const line = (run.stdout ?? "").split("\n").find((l) => l.startsWith("BUILD-RESULT "));
  const errors = line ? (JSON.parse(line.slice("BUILD-RESULT ".length)) as unknown[]) : null;
  if (run.status !== 0 || errors === null || errors.length > 0) {
    throw new Error(
      `building ${used.join(", ")} for the mutation run failed:\n${line ?? ""}\n${run.stderr ?? ""}`,
    );
  }
}
