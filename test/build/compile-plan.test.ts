// The build's plan and its reading of the compiler: the asc arguments each option gives, the
// diagnostics with file, line and column, the CompileError's text, and compiles of sources a
// few lines long (no SDK, no optimizer: a fraction of a second each).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ASCONFIG_PATH,
  CompileError,
  compileFilter,
  compilerArgs,
  DEFAULT_OPTIMIZE,
  DEFAULT_RUNTIME,
  type Diagnostic,
  errorsFirst,
  formatDiagnostic,
  PRUNE_EXPORTS_TRANSFORM,
  readModule,
  sdkAssemblyDir,
  toDiagnostic,
} from "../../src/build/compile.ts";
import { WA, type WasmImports } from "../../src/testing/wasm-api.ts";
import { readWasmModule } from "../../src/wasm/binary.ts";

const ROOT = resolve(".");
const scratch = mkdtempSync(join(tmpdir(), "meshwasm-compile-plan-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A project folder with `files`; its entries import the SDK's abort/trace/seed replacements
 *  alone (what the package's asconfig.json aliases need), not the whole SDK. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
const panicImport = (dir: string) =>
  `import "${relative(dir, join(ROOT, "assembly", "internal", "panic"))}";\n`;

describe("compilerArgs", () => {
  const base = (outFile = "build/a.wasm") => [
    "a.ts",
    "--config",
    ASCONFIG_PATH,
    "--target",
    "release",
    "--outFile",
    outFile,
    "--noColors",
  ];

  it("builds with the package's asconfig, the release target and the export-pruning transform", () => {
    expect(compilerArgs({ entry: "a.ts", outFile: "build/a.wasm" })).toStrictEqual([
      ...base(),
      "--transform",
      PRUNE_EXPORTS_TRANSFORM,
    ]);
    expect(DEFAULT_OPTIMIZE).toBe("O3");
    expect(DEFAULT_RUNTIME).toBe("minimal");
  });

  it("passes a runtime other than the default, and leaves the default to asconfig", () => {
    expect(
      compilerArgs({
        entry: "a.ts",
        outFile: "build/a.wasm",
        runtime: "incremental",
        exportAll: true,
      }),
    ).toStrictEqual([...base(), "--runtime", "incremental"]);
    expect(
      compilerArgs({ entry: "a.ts", outFile: "build/a.wasm", runtime: "minimal", exportAll: true }),
    ).toStrictEqual(base());
  });

  it("gives the project folder, and each optimization preset but the release target's O3", () => {
    const args = (optimize?: "O3" | "Oz" | "O2" | "Os" | "none") =>
      compilerArgs({ entry: "a.ts", outFile: "build/a.wasm", optimize, exportAll: true });
    expect(args("O3")).toStrictEqual(base());
    expect(args(undefined)).toStrictEqual(base());
    expect(args("Oz")).toStrictEqual([...base(), "-Oz"]);
    expect(args("Os")).toStrictEqual([...base(), "-Os"]);
    expect(args("none")).toStrictEqual([...base(), "--optimizeLevel", "0", "--shrinkLevel", "0"]);
    expect(
      compilerArgs({ entry: "a.ts", outFile: "build/a.wasm", baseDir: "/p", exportAll: true }),
    ).toStrictEqual([...base(), "--baseDir", "/p"]);
  });

  it("adds --debug, the text file beside the module, and the pruned callbacks (0 too)", () => {
    expect(
      compilerArgs({
        entry: "a.ts",
        outFile: "out/a.wasm.wasm",
        debug: true,
        text: true,
        exportAll: true,
      }),
    ).toStrictEqual([...base("out/a.wasm.wasm"), "--debug", "--textFile", "out/a.wasm.wat"]);
    expect(
      compilerArgs({ entry: "a.ts", outFile: "build/a.wasm", prunedCallbacks: 0 }),
    ).toStrictEqual([
      ...base(),
      "--transform",
      PRUNE_EXPORTS_TRANSFORM,
      "--use",
      "MESHWASM_PRUNED_CALLBACKS=0",
    ]);
    expect(
      compilerArgs({ entry: "a.ts", outFile: "build/a.wasm", prunedCallbacks: 320 }),
    ).toContain("MESHWASM_PRUNED_CALLBACKS=320");
  });

  it("checks the bounds of unchecked() accesses too when asked (a test build)", () => {
    expect(
      compilerArgs({
        entry: "a.ts",
        outFile: "build/a.wasm",
        exportAll: true,
        boundsChecked: true,
      }),
    ).toStrictEqual([...base(), "--uncheckedBehavior", "never"]);
    expect(
      compilerArgs({
        entry: "a.ts",
        outFile: "build/a.wasm",
        exportAll: true,
        boundsChecked: false,
      }),
    ).toStrictEqual(base());
  });

  it("refuses pruned callbacks in a build that exports every callback", () => {
    expect(() =>
      compilerArgs({ entry: "a.ts", outFile: "a.wasm", exportAll: true, prunedCallbacks: 1 }),
    ).toThrow(/^prunedCallbacks: not with exportAll \(nothing is pruned\)$/);
  });

  it("points at the package's own files", () => {
    expect(ASCONFIG_PATH).toBe(join(ROOT, "asconfig.json"));
    expect(PRUNE_EXPORTS_TRANSFORM).toBe(join(ROOT, "transform", "exports.mjs"));
    expect(sdkAssemblyDir()).toBe(join(ROOT, "assembly"));
    expect(existsSync(PRUNE_EXPORTS_TRANSFORM)).toBe(true);
  });
});

describe("diagnostics", () => {
  it("formats file:line:column, a file without a line, and a message without a file", () => {
    const d: Diagnostic = { category: "error", code: 2304, message: "Cannot find name 'x'." };
    expect(formatDiagnostic({ ...d, file: "a.ts", line: 3, column: 7 })).toBe(
      "a.ts:3:7: error TS2304: Cannot find name 'x'.",
    );
    expect(formatDiagnostic({ ...d, file: "a.ts", line: 3 })).toBe(
      "a.ts:3:1: error TS2304: Cannot find name 'x'.",
    );
    expect(formatDiagnostic({ ...d, file: "a.ts" })).toBe(
      "a.ts: error TS2304: Cannot find name 'x'.",
    );
    expect(formatDiagnostic({ ...d, category: "warning" })).toBe(
      "warning TS2304: Cannot find name 'x'.",
    );
  });

  it("names the category of each compiler level, and info for one it does not know", () => {
    const category = (n: number) =>
      toDiagnostic({ code: 1, category: n, message: "m", range: null }, scratch, new Map())
        .category;
    expect([1, 2, 3, 0, 9].map(category)).toStrictEqual([
      "info",
      "warning",
      "error",
      "info",
      "info",
    ]);
    expect(
      toDiagnostic({ code: 7, category: 3, message: "m", range: null }, scratch, new Map()),
    ).toStrictEqual({ category: "error", code: 7, message: "m" });
  });

  it("counts line and column in the project's file, read once", () => {
    const dir = project("lines", { "src/a.ts": "one\ntwo\n  three\n" });
    const texts = new Map<string, string>();
    const at = (start: number) =>
      toDiagnostic(
        {
          code: 1,
          category: 3,
          message: "m",
          range: { start, source: { normalizedPath: "src/a.ts" } },
        },
        dir,
        texts,
      );
    expect(at(10)).toMatchObject({ file: "src/a.ts", line: 3, column: 3 });
    expect(at(0)).toMatchObject({ line: 1, column: 1 });
    expect(at(4)).toMatchObject({ line: 2, column: 1 });
    expect(texts.get(join(dir, "src/a.ts"))).toBe("one\ntwo\n  three\n");
    // Read once: the text kept is used after the file changes.
    writeFileSync(join(dir, "src/a.ts"), "\n\n\n\n\n\n\n\n\n\n\n");
    expect(at(10)).toMatchObject({ line: 3, column: 3 });
  });

  it("finds a package's file under node_modules, and has no line for the standard library", () => {
    const dir = project("packages", { "node_modules/pkg/index.ts": "a\nb\n" });
    const of = (normalizedPath: string) =>
      toDiagnostic(
        { code: 1, category: 2, message: "m", range: { start: 2, source: { normalizedPath } } },
        dir,
        new Map(),
      );
    expect(of("~lib/pkg/index.ts")).toStrictEqual({
      category: "warning",
      code: 1,
      message: "m",
      file: "~lib/pkg/index.ts",
      line: 2,
      column: 1,
    });
    expect(of("~lib/rt/common.ts")).toStrictEqual({
      category: "warning",
      code: 1,
      message: "m",
      file: "~lib/rt/common.ts",
    });
    expect(of("missing.ts")).toStrictEqual({
      category: "warning",
      code: 1,
      message: "m",
      file: "missing.ts",
    });
  });

  it("puts the errors first, each kind in the order reported", () => {
    const at = (category: Diagnostic["category"], line: number): Diagnostic => ({
      category,
      code: 1,
      message: "m",
      line,
    });
    const reported = [
      at("warning", 1),
      at("error", 2),
      at("info", 3),
      at("error", 4),
      at("warning", 5),
    ];
    expect(errorsFirst(reported).map((d) => d.line)).toStrictEqual([2, 4, 1, 3, 5]);
    expect(reported.map((d) => d.line)).toStrictEqual([1, 2, 3, 4, 5]);
  });

  it("a CompileError lists the errors alone, or the compiler's output when there is none", () => {
    const warning: Diagnostic = {
      category: "warning",
      code: 235,
      message: "w",
      file: "a.ts",
      line: 1,
    };
    const error: Diagnostic = {
      category: "error",
      code: 200,
      message: "e",
      file: "a.ts",
      line: 2,
      column: 4,
    };
    const both = new CompileError("a.ts", [error, { ...error, line: 5 }, warning], "ignored");
    expect(both.message).toBe(
      "compiling a.ts failed:\na.ts:2:4: error TS200: e\na.ts:5:4: error TS200: e",
    );
    expect(both.name).toBe("CompileError");
    expect(both.entry).toBe("a.ts");
    expect(both.diagnostics).toHaveLength(3);
    expect(both.errors).toStrictEqual(["a.ts:2:4: error TS200: e", "a.ts:5:4: error TS200: e"]);
    const crashed = new CompileError("b.ts", [warning], "  out of memory\n");
    expect(crashed.message).toBe("compiling b.ts failed:\nout of memory");
    expect(crashed.errors).toStrictEqual(["out of memory"]);
  });
});

describe("compileFilter (sources of a few lines)", () => {
  it("writes the module, creating its folder, and returns its size and the warnings alone", async () => {
    const dir = project("ok", {
      "a.ts": "",
    });
    // INFO is AssemblyScript's compile-time note: a diagnostic of category info, not a warning.
    writeFileSync(
      join(dir, "a.ts"),
      `${panicImport(dir)}export function f(): i32 { INFO("a note"); return 1; }\n@lazy export function g(): i32 { return 2; }\n`,
    );
    const before = performance.now();
    const result = await compileFilter({
      entry: "a.ts",
      outFile: "deep/er/a.wasm",
      baseDir: dir,
      optimize: "none",
      exportAll: true,
    });
    expect(result.outFile).toBe("deep/er/a.wasm");
    expect(result.bytes).toBe(statSync(join(dir, "deep/er/a.wasm")).size);
    expect(result.bytes).toBeGreaterThan(8);
    expect(result.millis).toBeGreaterThan(0);
    expect(result.millis).toBeLessThanOrEqual(performance.now() - before);
    expect(result.warnings).toStrictEqual([
      {
        category: "warning",
        code: 235,
        message: "Only variables, functions and enums become WebAssembly module exports.",
        file: "a.ts",
        line: 3,
        column: 23,
      },
    ]);
    const exports = readWasmModule(readFileSync(join(dir, "deep/er/a.wasm"))).exports.map(
      (e) => e.name,
    );
    expect(exports).toContain("f");
  });

  it("a bounds-checked build traps on an unchecked() write past the end; the default writes", async () => {
    const dir = project("bounds", { "a.ts": "" });
    writeFileSync(
      join(dir, "a.ts"),
      `${panicImport(dir)}export function poke(i: i32): i32 {\n  const a = new StaticArray<u8>(2);\n  unchecked((a[i] = 7));\n  return unchecked(a[i]);\n}\n`,
    );
    const run = async (boundsChecked: boolean) => {
      const outFile = `${boundsChecked ? "checked" : "plain"}.wasm`;
      await compileFilter({
        entry: "a.ts",
        outFile,
        baseDir: dir,
        optimize: "none",
        exportAll: true,
        boundsChecked,
      });
      const module = new WA.Module(readFileSync(join(dir, outFile)));
      // Every import a no-op: the abort replacement then ends in its own trap.
      const imports: WasmImports = {};
      for (const imp of WA.Module.imports(module)) {
        imports[imp.module] = { ...imports[imp.module], [imp.name]: () => 0 };
      }
      const instance = new WA.Instance(module, imports);
      return instance.exports.poke as (i: number) => number;
    };
    const plain = await run(false);
    const checked = await run(true);
    expect(plain(1)).toBe(7);
    expect(checked(1)).toBe(7);
    expect(plain(2)).toBe(7); // past the end, unnoticed
    expect(() => checked(2)).toThrow(/unreachable/);
  });

  it("reads a built module back", async () => {
    const dir = project("read", { "m.wasm": "\0asm" });
    expect([...(await readModule(join(dir, "m.wasm")))]).toStrictEqual([0, 97, 115, 109]);
  });

  it("rejects with every diagnostic, errors first, each at its line", async () => {
    const dir = project("errors", { "a.ts": "" });
    writeFileSync(
      join(dir, "a.ts"),
      `${panicImport(dir)}@lazy export function g(): i32 { return 2; }\nexport const big: i32 = 0xffffffffff;\n`,
    );
    const error = await compileFilter({
      entry: "a.ts",
      outFile: "a.wasm",
      baseDir: dir,
      optimize: "none",
      exportAll: true,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompileError);
    const { diagnostics, message } = error as CompileError;
    expect(diagnostics.map((d) => [d.category, d.code, d.line])).toStrictEqual([
      ["error", 200, 3],
      ["warning", 235, 2],
    ]);
    expect(message).toBe(
      "compiling a.ts failed:\na.ts:3:25: error TS200: Conversion from type 'i64' to 'i32' requires an explicit cast.",
    );
    expect(existsSync(join(dir, "a.wasm"))).toBe(false);
  });

  it("rejects a failure without diagnostics with the compiler's own output", async () => {
    const dir = project("runtime", { "a.ts": "export function f(): i32 { return 1; }\n" });
    const error = (await compileFilter({
      entry: "a.ts",
      outFile: "a.wasm",
      baseDir: dir,
      runtime: "none-such" as "stub",
      exportAll: true,
    }).catch((e: unknown) => e)) as CompileError;
    expect(error).toBeInstanceOf(CompileError);
    expect(error.diagnostics).toStrictEqual([]);
    expect(error.output).toMatch(/^FAILURE Runtime '.*none-such\.ts' is not found\.\n/);
    expect(error.message).toMatch(
      /^compiling a\.ts failed:\nFAILURE Runtime '.*none-such\.ts' is not found\.\n/,
    );
  });

  it("rejects a source that does not parse, relative to the working directory by default", async () => {
    const dir = project("parse", { "bad.ts": "let x = ;\n" });
    const entry = relative(process.cwd(), join(dir, "bad.ts"));
    const error = (await compileFilter({
      entry,
      outFile: relative(process.cwd(), join(dir, "bad.wasm")),
      optimize: "none",
    }).catch((e: unknown) => e)) as CompileError;
    expect(error).toBeInstanceOf(CompileError);
    expect(error.message).toBe(
      `compiling ${entry} failed:\n${entry}:1:9: error TS1109: Expression expected.`,
    );
  });
});
