// Every fuzz target: the examples listed here, and each filter that ships
// `filters/<name>/test/fuzz.ts` (default export: a FuzzTarget), found automatically.

import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { hello } from "./examples/hello.ts";
import { redactBody } from "./examples/redact-body.ts";
import { requireHeader } from "./examples/require-header.ts";
import type { FuzzTarget } from "./target.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");

const EXAMPLES: FuzzTarget[] = [hello, requireHeader, redactBody] as FuzzTarget[];

/** filters/<name>/test/fuzz.ts files, by filter name. */
export function filterTargetFiles(root = ROOT): string[] {
  const dir = join(root, "filters");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(dir, d.name, "test", "fuzz.ts"))
    .filter((f) => existsSync(f))
    .sort();
}

export async function allTargets(): Promise<FuzzTarget[]> {
  const filters: FuzzTarget[] = [];
  for (const file of filterTargetFiles()) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: FuzzTarget };
    if (!mod.default) throw new Error(`${file}: no default export (a FuzzTarget)`);
    filters.push(mod.default);
  }
  return [...EXAMPLES, ...filters];
}
