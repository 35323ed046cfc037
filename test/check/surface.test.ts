import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/check/cli.ts";
import { checkModule } from "../../src/check/surface.ts";
import { formatFuncType, readWasmModule, WasmFormatError } from "../../src/wasm/binary.ts";
import { filterModule, leb128, WasmBuilder } from "./wasm-builder.ts";

// lib is ES2022 without DOM typings, so Node's WebAssembly global is typed here by hand.
interface WebAssemblyApi {
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): { module: string; name: string; kind: string }[];
    exports(module: object): { name: string; kind: string }[];
  };
}
const engine = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const I32x = (n: number) => Array<"i32">(n).fill("i32");
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** The single error of a module, asserting there is exactly one. */
function onlyError(bytes: Uint8Array): string {
  const report = checkModule(bytes);
  expect(report.ok).toBe(false);
  expect(report.errors).toHaveLength(1);
  return report.errors[0] ?? "";
}

describe("readWasmModule", () => {
  it("agrees with the engine on the imports and exports of a built module", () => {
    const bytes = filterModule({
      imports: [{ name: "proxy_increment_metric", params: ["i32", "i64"], results: ["i32"] }],
    }).build();
    const compiled = new engine.Module(bytes);
    const info = readWasmModule(bytes);
    expect(info.imports.map((i) => `${i.module}.${i.name}`)).toEqual(
      engine.Module.imports(compiled).map((i) => `${i.module}.${i.name}`),
    );
    expect(info.exports.map((e) => e.name)).toEqual(
      engine.Module.exports(compiled).map((e) => e.name),
    );
    expect(info.imports[2]?.type).toEqual({ params: ["i32", "i64"], results: ["i32"] });
    expect(info.exports.find((e) => e.name === "malloc")?.type).toEqual({
      params: ["i32"],
      results: ["i32"],
    });
    expect(info.memories).toEqual([{ min: 1, shared: false, imported: false }]);
    expect(info.start).toBeNull();
  });

  it("reports the start section's function", () => {
    const b = new WasmBuilder();
    const init = b.func([]);
    expect(readWasmModule(b.start(init).build()).start).toBe(init);
  });

  it("names the offset and section of a LEB128 value longer than 32 bits", () => {
    const bytes = Uint8Array.from([...HEADER, 0x01, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(() => readWasmModule(bytes)).toThrow(
      "malformed wasm in the type section at byte 9 (0x9): LEB128 value does not fit in 32 bits",
    );
  });

  it("rejects an import whose type index is out of range", () => {
    const bytes = Uint8Array.from([
      ...HEADER,
      ...[0x02, 0x07, 0x01, 0x01, 0x6d, 0x01, 0x66, 0x00, 0x05],
    ]);
    expect(() => readWasmModule(bytes)).toThrow("type index 5 out of range (0 defined)");
  });

  it("rejects a duplicated section", () => {
    const typeSection = [0x01, 0x01, 0x00];
    const bytes = Uint8Array.from([...HEADER, ...typeSection, ...typeSection]);
    expect(() => readWasmModule(bytes)).toThrow("section is duplicated or out of order");
  });

  it("throws only WasmFormatError, whatever byte is flipped", () => {
    const good = filterModule().build();
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] = (bad[i] ?? 0) ^ 0xff;
      try {
        readWasmModule(bad);
      } catch (error) {
        expect(error).toBeInstanceOf(WasmFormatError);
      }
    }
  });

  it("decodes the LEB128 the test builder encodes", () => {
    expect(leb128(624485)).toEqual([0xe5, 0x8e, 0x26]);
    const b = new WasmBuilder();
    for (let i = 0; i < 200; i++) b.func([]);
    expect(readWasmModule(b.memory(70000).build()).memories[0]?.min).toBe(70000);
  });

  it("counts long runs of one type when formatting", () => {
    expect(formatFuncType({ params: [...I32x(12)], results: ["i32"] })).toBe("(12 x i32) -> i32");
    expect(formatFuncType({ params: ["i32", "i64"], results: [] })).toBe("(i32, i64) -> ()");
  });
});

describe("checkModule", () => {
  it("passes the smallest module Envoy accepts as a filter", () => {
    const report = checkModule(filterModule().build());
    expect(report).toMatchObject({ ok: true, errors: [], warnings: [] });
    expect(report.imports).toHaveLength(2);
    expect(report.exports.map((e) => e.name)).toContain("proxy_abi_version_0_2_1");
  });

  it("passes with only one of the two allocators exported", () => {
    expect(checkModule(filterModule({ without: ["malloc"] }).build()).ok).toBe(true);
    expect(checkModule(filterModule({ without: ["proxy_on_memory_allocate"] }).build()).ok).toBe(
      true,
    );
  });

  it("passes every WASI function under wasi_unstable as well", () => {
    const bytes = filterModule({
      imports: [{ module: "wasi_unstable", name: "fd_write", params: I32x(4), results: ["i32"] }],
    }).build();
    expect(checkModule(bytes).ok).toBe(true);
  });

  it("rejects AssemblyScript's default env.abort and names it", () => {
    const bytes = filterModule({ imports: [{ name: "abort", params: I32x(4) }] }).build();
    const error = onlyError(bytes);
    expect(error).toContain("import env.abort");
    expect(error).toContain("missing import");
    expect(error).toContain("AssemblyScript's default abort");
    expect(error).toContain("use abort=");
  });

  it.each([
    ["seed", [], ["f64"], "Math.random seed"],
    ["trace", ["i32", "i32", "f64", "f64", "f64", "f64", "f64"], [], "trace()"],
    ["Date.now", [], ["f64"], "Date binding"],
    ["console.log", ["i32"], [], "console binding"],
  ] as const)("rejects AssemblyScript's env.%s with a hint", (name, params, results, hint) => {
    const bytes = filterModule({
      imports: [{ name, params: [...params], results: [...results] }],
    }).build();
    const error = onlyError(bytes);
    expect(error).toContain(`import env.${name}`);
    expect(error).toContain(hint);
  });

  it("rejects a 10-parameter proxy_grpc_call as an import type mismatch", () => {
    const bytes = filterModule({
      imports: [{ name: "proxy_grpc_call", params: I32x(10), results: ["i32"] }],
    }).build();
    expect(onlyError(bytes)).toBe(
      "import env.proxy_grpc_call: import type mismatch: Envoy links (12 x i32) -> i32, " +
        "the module imports (10 x i32) -> i32",
    );
  });

  it("rejects proxy_increment_metric with an i32 delta", () => {
    const bytes = filterModule({
      imports: [{ name: "proxy_increment_metric", params: I32x(2), results: ["i32"] }],
    }).build();
    expect(onlyError(bytes)).toContain("Envoy links (i32, i64) -> i32");
  });

  it("rejects proxy_continue_request as ABI 0.1.0 only", () => {
    const bytes = filterModule({
      imports: [{ name: "proxy_continue_request", params: [], results: ["i32"] }],
    }).build();
    const error = onlyError(bytes);
    expect(error).toContain("import env.proxy_continue_request: ABI 0.1.0 only");
    expect(error).toContain("not linked for 0.2.1");
    expect(error).toContain("proxy_continue_stream(HTTP_REQUEST)");
  });

  it("rejects an unknown proxy_* import and suggests the closest host function", () => {
    const bytes = filterModule({
      imports: [{ name: "proxy_get_header_map_values", params: I32x(5), results: ["i32"] }],
    }).build();
    expect(onlyError(bytes)).toContain("did you mean proxy_get_header_map_value?");
  });

  it("rejects wasi_snapshot_preview1.sock_accept, which released Envoys do not link", () => {
    const bytes = filterModule({
      imports: [
        {
          module: "wasi_snapshot_preview1",
          name: "sock_accept",
          params: I32x(3),
          results: ["i32"],
        },
      ],
    }).build();
    const error = onlyError(bytes);
    expect(error).toContain("import wasi_snapshot_preview1.sock_accept");
    expect(error).toContain("only by the newest Envoy");
  });

  it("rejects a WASI function Envoy's shim does not have", () => {
    const bytes = filterModule({
      imports: [
        { module: "wasi_snapshot_preview1", name: "sock_open", params: I32x(3), results: ["i32"] },
      ],
    }).build();
    expect(onlyError(bytes)).toContain("not a WASI function in Envoy's shim");
  });

  it("rejects a module Envoy does not provide at all", () => {
    const bytes = filterModule({
      imports: [{ module: "wasi", name: "fd_write", params: I32x(4), results: ["i32"] }],
    }).build();
    expect(onlyError(bytes)).toContain("Envoy links only the modules env,");
  });

  it("warns on poll_oneoff, which older Envoy and Istio releases lack, but passes", () => {
    const bytes = filterModule({
      imports: [
        {
          module: "wasi_snapshot_preview1",
          name: "poll_oneoff",
          params: I32x(4),
          results: ["i32"],
        },
      ],
    }).build();
    const report = checkModule(bytes);
    expect(report.ok).toBe(true);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain("wasi_snapshot_preview1.poll_oneoff");
    expect(report.warnings[0]).toContain("older Envoy and Istio releases");
  });

  it("rejects an imported global", () => {
    const b = new WasmBuilder().importGlobal("env", "__stack_pointer");
    expect(checkModule(b.build()).errors[0]).toContain("cannot link an imported global");
  });

  it("rejects a module with neither malloc nor proxy_on_memory_allocate", () => {
    const bytes = filterModule({ without: ["malloc", "proxy_on_memory_allocate"] }).build();
    expect(onlyError(bytes)).toContain(
      "missing export malloc or proxy_on_memory_allocate ((i32) -> i32)",
    );
  });

  it("rejects a malloc with the wrong signature", () => {
    const bytes = filterModule({
      without: ["malloc"],
      exports: [{ name: "malloc", params: ["i32"] }],
    }).build();
    expect(onlyError(bytes)).toBe(
      "export malloc: bad function signature: Envoy expects (i32) -> i32, " +
        "the module exports (i32) -> ()",
    );
  });

  it("rejects a module without the ABI marker", () => {
    const bytes = filterModule({ without: ["proxy_abi_version_0_2_1"] }).build();
    expect(onlyError(bytes)).toContain("missing export proxy_abi_version_0_2_1");
  });

  it("rejects Higress' proxy_abi_version_0_2_100 as a marker Envoy does not know", () => {
    const bytes = filterModule({
      without: ["proxy_abi_version_0_2_1"],
      exports: [{ name: "proxy_abi_version_0_2_100", params: [] }],
    }).build();
    const error = onlyError(bytes);
    expect(error).toContain("missing export proxy_abi_version_0_2_1");
    expect(error).toContain("proxy_abi_version_0_2_100 (function), which Envoy ignores");
  });

  it("rejects an ABI 0.2.0 marker", () => {
    const bytes = filterModule({
      without: ["proxy_abi_version_0_2_1"],
      exports: [{ name: "proxy_abi_version_0_2_0", params: [] }],
    }).build();
    expect(onlyError(bytes)).toBe(
      "export proxy_abi_version_0_2_0: Envoy would run the module as ABI 0.2.0, which links " +
        "other host functions; meshwasm modules export proxy_abi_version_0_2_1",
    );
  });

  it("rejects a second, earlier ABI marker, since Envoy takes the first", () => {
    const b = filterModule({ without: ["proxy_abi_version_0_2_1"] });
    b.func([], [], "proxy_abi_version_0_1_0");
    b.func([], [], "proxy_abi_version_0_2_1");
    const errors = checkModule(b.build()).errors;
    expect(errors).toHaveLength(2);
    expect(errors[1]).toContain("a second ABI marker; Envoy uses the first one exported");
  });

  it("rejects an ABI marker exported as a global", () => {
    const b = filterModule({ without: ["proxy_abi_version_0_2_1"] }).global(
      "proxy_abi_version_0_2_1",
    );
    expect(onlyError(b.build())).toContain("(global), which Envoy ignores");
  });

  it("rejects a module that exports no memory", () => {
    expect(onlyError(filterModule({ without: ["memory"] }).build())).toContain("missing memory");
  });

  it("rejects a known callback exported with the ABI 0.1.0 signature", () => {
    const bytes = filterModule({
      without: ["proxy_on_request_headers"],
      exports: [{ name: "proxy_on_request_headers", params: I32x(2), results: ["i32"] }],
    }).build();
    expect(onlyError(bytes)).toBe(
      "export proxy_on_request_headers: bad function signature: Envoy expects (3 x i32) -> i32, " +
        "the module exports (i32, i32) -> i32",
    );
  });

  it("accepts Envoy's non-spec callbacks with their signatures", () => {
    const bytes = filterModule({
      exports: [
        { name: "proxy_validate_configuration", params: I32x(2), results: ["i32"] },
        { name: "proxy_on_request_metadata", params: I32x(2), results: ["i32"] },
        { name: "proxy_on_foreign_function", params: I32x(3) },
        { name: "proxy_on_http_call_response", params: I32x(5) },
      ],
    }).build();
    expect(checkModule(bytes)).toMatchObject({ ok: true, warnings: [] });
  });

  it("warns on a misspelt callback and suggests the real one", () => {
    const bytes = filterModule({
      exports: [{ name: "proxy_on_grpc_trailing_metadata", params: I32x(3) }],
    }).build();
    const report = checkModule(bytes);
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([
      "export proxy_on_grpc_trailing_metadata: not a callback Envoy calls, so it never runs; " +
        "did you mean proxy_on_grpc_receive_trailing_metadata?",
    ]);
  });

  it("warns on a start section, whose code runs before any context exists", () => {
    const b = filterModule();
    const init = b.func([]);
    const report = checkModule(b.start(init).build());
    expect(report.ok).toBe(true);
    expect(report.warnings[0]).toBe(
      `start section: function ${init} runs while the module is instantiated, before Envoy has ` +
        "created any context (top-level statements); build with the SDK's asconfig " +
        '(exportStart: "_initialize") so it runs from _initialize',
    );
  });

  it("names the problem of bytes that are not a wasm module", () => {
    expect(onlyError(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0]))).toContain(
      "magic bytes",
    );
    expect(onlyError(new Uint8Array(0))).toContain("magic bytes");
    expect(onlyError(Uint8Array.from([...HEADER.slice(0, 4), 0x02, 0, 0, 0]))).toContain(
      "unsupported binary version",
    );
  });

  it("names the section of a truncated module", () => {
    const good = filterModule().build();
    const error = onlyError(good.subarray(0, good.length - 3));
    expect(error).toMatch(/^malformed wasm in the code section at byte \d+/);
    expect(error).toContain("runs past the end of the module");
  });

  it("reports every truncation of a module as failing, never throwing", () => {
    const good = filterModule().build();
    for (let length = 0; length < good.length; length++) {
      expect(checkModule(good.subarray(0, length)).ok).toBe(false);
    }
  });
});

describe("surface check CLI", () => {
  function withModules(files: Record<string, Uint8Array>, run: (dir: string) => void): void {
    const dir = mkdtempSync(join(tmpdir(), "meshwasm-check-"));
    try {
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("prints one ok line per good module and exits 0", () => {
    const good = filterModule().build();
    withModules({ "hello.wasm": good, "notes.txt": new Uint8Array(1) }, (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(0);
      expect(lines).toEqual([
        `ok    ${join(dir, "hello.wasm")}  ${good.length} bytes  2 imports  6 exports`,
      ]);
    });
  });

  it("prints the errors of a bad module and exits 1", () => {
    const bad = filterModule({ imports: [{ name: "abort", params: I32x(4) }] }).build();
    withModules({ "a.wasm": filterModule().build(), "b.wasm": bad }, (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(1);
      expect(lines[1]).toMatch(/^FAIL {2}.*b\.wasm {2}\d+ bytes {2}3 imports {2}6 exports$/);
      expect(lines[2]).toContain("error: import env.abort");
      expect(lines.at(-1)).toBe("1 of 2 modules failed the surface check");
    });
  });

  it("names a path that does not exist and exits 1, still checking the others", () => {
    withModules({ "a.wasm": filterModule().build() }, (dir) => {
      const lines: string[] = [];
      const gone = join(dir, "gone.wasm");
      expect(runCli([gone, dir], (line) => lines.push(line))).toBe(1);
      expect(lines[0]).toBe(`FAIL  ${gone}  no such file or directory`);
      expect(lines[1]).toMatch(/^ok {4}.*a\.wasm /);
      expect(lines).toHaveLength(2);
    });
  });

  it("checks a directory's modules in name order, whatever order they were written in", () => {
    const names = ["m.wasm", "z.wasm", "b.wasm", "y.wasm", "a.wasm", "k.wasm", "c.wasm", "x.wasm"];
    const module = filterModule().build();
    withModules(Object.fromEntries(names.map((n) => [n, module])), (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(0);
      expect(lines.map((l) => l.slice(6).split("  ")[0])).toEqual(
        [...names].sort().map((n) => join(dir, n)),
      );
    });
  });

  it("exits 1 when there is no module to check", () => {
    withModules({}, (dir) => {
      const lines: string[] = [];
      expect(runCli([dir], (line) => lines.push(line))).toBe(1);
      expect(lines).toEqual([`FAIL  no .wasm modules found in ${dir}`]);
    });
  });
});
