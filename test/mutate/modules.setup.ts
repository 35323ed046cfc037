// vitest's global set-up for the mutation runs (vitest.mutate.config.ts): the test modules and
// examples that the run's test files load (modules-used.ts), built before any test starts. A
// mutation run works in a copy of the project without build/, so otherwise the first test to
// load a module compiles it within its own time limit; on a busy machine that limit ran out,
// the test failed, and the run stopped at that first failure with most of its tests never run.

import { buildExample, buildTestModule } from "../modules/build.ts";
import { modulesUsed, testFiles } from "./modules-used.ts";

export default async function buildModules(): Promise<void> {
  const patterns = (process.env.MUTATE_TESTS ?? "").split(",").filter((t) => t !== "");
  if (patterns.length === 0) return;
  for (const spec of modulesUsed(testFiles(patterns))) {
    const [kind, name] = spec.split(":") as [string, string];
    if (kind === "example") await buildExample(name);
    else await buildTestModule(name);
  }
}
