// vitest's global set-up: every example and filter compiled to build/<name>.wasm when that file
// is missing or older than its sources (the filter, the SDK, filters/lib). `npm test` builds
// first, so there this only compares times; a single test file run on a fresh clone
// (`npx vitest run filters/rate-limit/test/local.test.ts`) gets the modules it reads.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isUpToDate } from "../src/cli/commands/build.ts";
import { Project } from "../src/cli/project.ts";

export default function buildStaleModules(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const project = Project.find(root);
  const stale = project.filters().filter((f) => !isUpToDate(project, f));
  if (stale.length === 0) return;
  const names = stale.map((f) => f.name);
  console.log(`building ${names.join(", ")} (build/ is missing or older than the sources)`);
  const cli = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
  // The CLI prints each failure with its file and line; a failed build stops the run.
  execFileSync(process.execPath, ["--import", "tsx", cli, "build", ...names], {
    cwd: root,
    stdio: "inherit",
  });
}
