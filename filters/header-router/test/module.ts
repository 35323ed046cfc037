// The header-router module for its tests: build/header-router.wasm when it is current, else
// compiled to build/test-modules/ when any source it could depend on (the filter, filters/lib,
// the SDK, the compiler) is newer than the module.

import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileFilter } from "../../../src/build/compile.ts";

export const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..", "..");
export const FILTER_DIR = join(ROOT, "filters", "header-router");

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "__tests__" || entry.name === "test") continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

let building: Promise<string> | undefined;

/** The absolute path of the compiled header-router module, built if out of date. */
export function headerRouterModule(): Promise<string> {
  building ??= (async () => {
    // npm test builds every filter to build/ first: use that module when it is current.
    const built = join(ROOT, "build", "header-router.wasm");
    const outFile = join(ROOT, "build", "test-modules", "filter-header-router.wasm");
    const compiler = join(ROOT, "node_modules", "assemblyscript");
    const sources = Math.max(
      newest(join(FILTER_DIR, "assembly")),
      newest(join(ROOT, "filters", "lib")),
      newest(join(ROOT, "assembly")),
      existsSync(compiler) ? statSync(compiler).mtimeMs : 0,
    );
    if (existsSync(built) && statSync(built).mtimeMs > sources) return built;
    if (existsSync(outFile) && statSync(outFile).mtimeMs > sources) return outFile;
    await compileFilter({ entry: join(FILTER_DIR, "assembly", "index.ts"), outFile });
    return outFile;
  })();
  return building;
}
