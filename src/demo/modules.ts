// The modules the demo, the soak and the chain tests run: build/chain.wasm (the four filters
// as one module) and build/<filter>.wasm, each rebuilt only when a source is newer. `npm run
// build` and `npm test` write them first, so tests normally find them current.

import { existsSync, readdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { type ChainFilter, compileChain } from "../build/chain.ts";
import { compileFilter, sdkAssemblyDir } from "../build/compile.ts";
import { packageRoot } from "../cli/project.ts";
import { CHAIN_FILTERS, type ChainFilterName } from "./chain-envoy.ts";

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name === "test" || e.name === "__tests__" || e.name === "node_modules") continue;
    n = Math.max(n, newest(join(path, e.name)));
  }
  return n;
}

/** Newest source a module of these entries depends on (SDK, filters/lib, the filters, the compiler). */
function sourcesTime(folders: string[]): number {
  return Math.max(
    newest(sdkAssemblyDir()),
    newest(join(packageRoot, "filters", "lib")),
    newest(join(packageRoot, "node_modules", "assemblyscript", "package.json")),
    ...folders.map(newest),
  );
}

/** Whether `wasm` is newer than every source of a module of these folders. */
export function current(wasm: string, folders: string[]): boolean {
  return existsSync(wasm) && statSync(wasm).mtimeMs > sourcesTime(folders);
}

/** The chain's members as compileChain wants them. */
export function chainMembers(names: readonly string[] = CHAIN_FILTERS): ChainFilter[] {
  return names.map((name) => ({
    name,
    entry: join(packageRoot, "filters", name, "assembly", "index.ts"),
    schema: join(packageRoot, "filters", name, "schema.json"),
  }));
}

/** The folders of the chain's filters' sources. */
export function chainFolders(): string[] {
  return CHAIN_FILTERS.map((n) => join(packageRoot, "filters", n, "assembly"));
}

/** build/chain.wasm, compiled when out of date; returns its path. */
export async function chainModule(): Promise<string> {
  const out = join(packageRoot, "build", "chain.wasm");
  const folders = chainFolders();
  if (current(out, folders)) return out;
  // Compiled beside, then renamed: a test running at the same time never reads half a module.
  const tmp = join(packageRoot, "build", `chain.${process.pid}.tmp.wasm`);
  await compileChain({ chain: chainMembers(), outFile: tmp, baseDir: packageRoot });
  renameSync(tmp, out);
  return out;
}

/** build/<name>.wasm for each filter of the chain, compiled when out of date. */
export async function filterModules(): Promise<Record<ChainFilterName, string>> {
  const out = {} as Record<ChainFilterName, string>;
  for (const name of CHAIN_FILTERS) {
    const wasm = join(packageRoot, "build", `${name}.wasm`);
    const folder = join(packageRoot, "filters", name, "assembly");
    if (!current(wasm, [folder])) {
      const tmp = join(packageRoot, "build", `${name}.${process.pid}.tmp.wasm`);
      await compileFilter({ entry: join(folder, "index.ts"), outFile: tmp, baseDir: packageRoot });
      renameSync(tmp, wasm);
    }
    out[name] = wasm;
  }
  return out;
}
