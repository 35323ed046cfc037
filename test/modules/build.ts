// Builds the purpose-built test modules under test/modules/<name>/assembly/index.ts into
// build/test-modules/<name>.wasm, skipping a build when the module is newer than every source
// it could depend on (its folder and the SDK's assembly/).

import { existsSync, readdirSync, renameSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CompileOptions, compileFilter } from "../../src/build/compile.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "__tests__") newest = Math.max(newest, newestMtime(path));
    } else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** When the compiler was installed or the build settings changed: either rebuilds every module. */
function settingsMtime(): number {
  // The folder is rewritten whenever npm installs another release; the SDK's build settings
  // (runtime, optimization) make different modules too.
  const dir = join(ROOT, "node_modules", "assemblyscript");
  const compiler = existsSync(dir) ? statSync(dir).mtimeMs : 0;
  return Math.max(compiler, statSync(join(ROOT, "asconfig.json")).mtimeMs);
}

/** Modules Envoy must refuse: built outside build/, whose modules must all pass the check. */
const REFUSED = new Set(["stray-import", "no-malloc", "no-marker"]);

/** Modules built with every export kept (`exportAll`, so proxy_on_context_create too), from
 *  another module's sources or their own: name → the source module. */
const EXPORT_ALL: Record<string, string> = {
  "contexts-announced": "contexts",
  "dispatch-announced": "dispatch",
  "tcp-announced": "tcp",
  // Its contexts act while the host creates them: only an announced build runs that.
  "context-create": "context-create",
};

/** Modules built from another module's sources without some callbacks, as `meshwasm build
 *  --for-config` leaves them out: name → the source module and the callbacks' bits. */
const PRUNED: Record<string, [string, number]> = {
  // Without proxy_on_delete (bit 8): the log ends each stream.
  "contexts-until-log": ["contexts", 1 << 8],
  // Without proxy_on_delete: a stream's context lives while its callback runs, or until its
  // log when a configured root needs the log.
  "no-delete": ["no-delete", 1 << 8],
};

/** How test module `name` is built: its source module, entry file, output file and options
 *  (scripts/mutate-as/build-modules.mjs builds the same modules for a mutation run). */
export function testModuleBuild(name: string): {
  source: string;
  entry: string;
  outFile: string;
  exportAll: boolean;
  prunedCallbacks?: number;
  boundsChecked: true;
} {
  const pruned = PRUNED[name];
  const source = EXPORT_ALL[name] ?? pruned?.[0] ?? name;
  const outDir = REFUSED.has(name)
    ? join(ROOT, "test", ".tmp", "refused-modules")
    : join(ROOT, "build", "test-modules");
  return {
    source,
    entry: join(ROOT, "test", "modules", source, "assembly", "index.ts"),
    outFile: join(outDir, `${name}.wasm`),
    exportAll: name in EXPORT_ALL,
    // Every access bounds-checked, also the SDK's unchecked() ones: a size off by one traps in
    // a test instead of writing silently onto the next heap block.
    boundsChecked: true,
    ...(pruned ? { prunedCallbacks: pruned[1] } : {}),
  };
}

/** `options.outFile`, compiled unless it is newer than every file under `dirs` (with the SDK's
 *  assembly/ and transform/ and the build settings). Written beside, then renamed: a test file
 *  running at the same time never reads half a module. */
async function compileWhenStale(dirs: string[], options: CompileOptions): Promise<string> {
  const { outFile } = options;
  const sources = Math.max(
    ...[...dirs, "assembly", "transform"].map((d) => newestMtime(join(ROOT, d))),
    settingsMtime(),
  );
  if (existsSync(outFile) && statSync(outFile).mtimeMs > sources) return outFile;
  const tmp = `${outFile}.${process.pid}.tmp`;
  await compileFilter({ ...options, outFile: tmp });
  renameSync(tmp, outFile);
  return outFile;
}

/** The absolute path of build/test-modules/<name>.wasm (test/.tmp/refused-modules/ for the
 *  modules built to be refused), compiled if out of date. */
export function buildTestModule(name: string): Promise<string> {
  const { source, ...build } = testModuleBuild(name);
  return compileWhenStale([join("test", "modules", source)], build);
}

/** filters/<name> compiled bounds-checked (every array and buffer access checked, also the
 *  unchecked() ones) to build/test-modules/filter-<name>-checked.wasm, when out of date: what
 *  the fuzzers run, so a size off by one traps there instead of writing onto the heap. Tests of
 *  the shipped behaviour take build/<name>.wasm. */
export function buildCheckedFilter(name: string): Promise<string> {
  return compileWhenStale([join("filters", name, "assembly"), join("filters", "lib")], {
    entry: join(ROOT, "filters", name, "assembly", "index.ts"),
    outFile: join(ROOT, "build", "test-modules", `filter-${name}-checked.wasm`),
    boundsChecked: true,
  });
}

/** examples/<name> compiled to build/test-modules/example-<name>.wasm (the same check). */
export function buildExample(name: string): Promise<string> {
  return compileWhenStale([join("examples", name)], {
    entry: join(ROOT, "examples", name, "assembly", "index.ts"),
    outFile: join(ROOT, "build", "test-modules", `example-${name}.wasm`),
    boundsChecked: true,
  });
}
