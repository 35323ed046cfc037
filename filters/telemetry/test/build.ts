// build/telemetry.wasm from filters/telemetry/assembly/index.ts, rebuilt when the filter, the
// SDK, filters/lib or the compiler is newer than the module (as `npm run build` writes it).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileFilter } from "../../../src/build/compile.ts";

export const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..", "..");
export const FILTER_DIR = join(ROOT, "filters", "telemetry");

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "__tests__") newest = Math.max(newest, newestMtime(path));
    } else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let pending: Promise<string> | null = null;

/** The absolute path of build/telemetry.wasm, compiled if out of date. */
export function buildTelemetry(): Promise<string> {
  pending ??= (async () => {
    const outFile = join(ROOT, "build", "telemetry.wasm");
    const sources = Math.max(
      newestMtime(join(FILTER_DIR, "assembly")),
      newestMtime(join(ROOT, "assembly")),
      newestMtime(join(ROOT, "filters", "lib")),
      newestMtime(join(ROOT, "node_modules", "assemblyscript", "dist")),
    );
    if (existsSync(outFile) && statSync(outFile).mtimeMs > sources) return outFile;
    await compileFilter({ entry: join(FILTER_DIR, "assembly", "index.ts"), outFile });
    return outFile;
  })();
  return pending;
}
