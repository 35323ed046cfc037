import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { collectWasmFiles } from "../../src/check/cli.ts";
import { checkModule } from "../../src/check/surface.ts";
import { findHostFunction, PROXY_HOST_FUNCTIONS } from "../../src/wasm/abi.ts";
import { formatFuncType, type ValType } from "../../src/wasm/binary.ts";

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

describe("built modules", () => {
  // Only what `npm run build` makes (build/<name>.wasm): subfolders hold test modules that
  // are broken on purpose.
  const files = collectWasmFiles([root("build")]).files.filter(
    (file) => dirname(file) === root("build").replace(/\/$/, ""),
  );

  // Without CI, a fresh checkout may not have run the build yet; CI must have modules.
  it.skipIf(files.length === 0 && !process.env.CI)(
    "every build/ module passes the surface check without warnings",
    () => {
      expect(files.length, "no .wasm modules in build/; run the build first").toBeGreaterThan(0);
      const failures: Record<string, readonly string[]> = {};
      for (const file of files) {
        const report = checkModule(readFileSync(file));
        // Warnings count too: a start section or a newer WASI import is a module our own
        // build should never produce.
        const problems = [...report.errors, ...report.warnings];
        if (problems.length > 0) failures[file] = problems;
      }
      expect(failures).toEqual({});
    },
  );
});

/** The wasm type of an AssemblyScript parameter or return type on wasm32. */
function wasmType(asType: string): ValType[] {
  if (asType === "void") return [];
  if (asType === "i64" || asType === "u64") return ["i64"];
  if (asType === "f32" || asType === "f64" || asType === "v128") return [asType];
  return ["i32"]; // i8..u32, bool, usize, isize
}

describe("the SDK's raw imports (assembly/abi/imports.ts)", () => {
  const text = readFileSync(root("assembly/abi/imports.ts"), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
  const declaration =
    /@external\(\s*"([^"]+)"\s*,\s*"([^"]+)"\s*\)\s*(?:export\s+)?declare\s+function\s+\w+\s*\(([^)]*)\)\s*:\s*(\w+)/g;
  const declared = [...text.matchAll(declaration)].map(
    ([, module = "", name = "", params = "", result = ""]) => {
      const paramTypes = params
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "")
        .flatMap((p) => wasmType(p.split(":")[1]?.trim() ?? ""));
      return { module, name, type: { params: paramTypes, results: wasmType(result) } };
    },
  );

  it("are found by the parser", () => {
    expect(declared.length).toBeGreaterThanOrEqual(PROXY_HOST_FUNCTIONS.length);
  });

  it("match the ABI table in name and signature", () => {
    const drift = declared.flatMap((d) => {
      const host = findHostFunction(d.module, d.name);
      if (!host) return [`${d.module}.${d.name}: not in the ABI table`];
      const [want, got] = [formatFuncType(host.type), formatFuncType(d.type)];
      return want === got ? [] : [`${d.module}.${d.name}: table ${want}, SDK ${got}`];
    });
    expect(drift).toEqual([]);
  });

  it("declare every proxy_* host function of the table", () => {
    const names = new Set(declared.map((d) => `${d.module}.${d.name}`));
    const undeclared = PROXY_HOST_FUNCTIONS.map((f) => `${f.module}.${f.name}`).filter(
      (key) => !names.has(key),
    );
    expect(undeclared).toEqual([]);
  });
});
