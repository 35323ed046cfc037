// The test modules and examples a set of test files loads (see modules.setup.ts): the names in
// buildTestModule and buildExample calls with a literal name, in the test files and in the
// files they import from test/. A name held in a variable is not seen: such a test builds its
// module itself, as it does outside mutation runs.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");

/** The files a mutation run's include patterns name ("dir/*.test.ts" or a plain path). */
export function testFiles(patterns: string[]): string[] {
  const out: string[] = [];
  for (const pattern of patterns) {
    if (!pattern.includes("*")) {
      out.push(pattern);
      continue;
    }
    const dir = dirname(pattern);
    const suffix = pattern.slice(pattern.lastIndexOf("*") + 1);
    for (const name of readdirSync(join(ROOT, dir)))
      if (name.endsWith(suffix)) out.push(join(dir, name));
  }
  return out;
}

/** What a test file needs when it reads the project's own built filters and examples
 *  (`build/<name>.wasm`, through the project's `wasmPath`), which a mutation run's copy lacks. */
export const PROJECT_FILTERS = "project:filters";

/** The modules and examples `files` (and what they import from test/) build, as
 *  "module:<name>" and "example:<name>", and PROJECT_FILTERS for a file that reads the
 *  project's built filters. */
export function modulesUsed(files: string[]): string[] {
  const seen = new Set<string>();
  const found = new Set<string>();
  const visit = (file: string): void => {
    const path = resolve(ROOT, file);
    if (seen.has(path) || !existsSync(path)) return;
    seen.add(path);
    const text = readFileSync(path, "utf8");
    // A literal name, or a default one as the conformance harness has (`setup.module ?? "..."`).
    for (const m of text.matchAll(/build(TestModule|Example)\([^)"]*"([\w-]+)"\)/g)) {
      found.add(`${m[1] === "Example" ? "example" : "module"}:${m[2]}`);
    }
    if (/\.wasmPath\(/.test(text)) found.add(PROJECT_FILTERS);
    for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+\.ts)"/g)) {
      const target = resolve(dirname(path), m[1] as string);
      if (relative(join(ROOT, "test"), target).startsWith("..")) continue; // only test/ helpers
      visit(target);
    }
  };
  for (const file of files) visit(file);
  return [...found].sort();
}
