import { describe, expect, it } from "vitest";
import { checkModule } from "../../src/check/surface.ts";
import { formatFuncType, readWasmModule, WasmFormatError } from "../../src/wasm/binary.ts";
import { filterModule, I32x, leb128, POLL_ONEOFF, WasmBuilder } from "./wasm-builder.ts";

// lib is ES2022 without DOM typings, so Node's WebAssembly global is typed here by hand.
interface WebAssemblyApi {
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): { module: string; name: string; kind: string }[];
    exports(module: object): { name: string; kind: string }[];
  };
}
const engine = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

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
    expect(onlyError(bytes)).toBe(
      'import env.proxy_get_header_map_values: Envoy does not provide it ("missing import"); ' +
        "not a proxy-wasm 0.2.1 host function; did you mean proxy_get_header_map_value?",
    );
  });

  it("suggests a host function as far from the name as a third of its length", () => {
    // proxy_send_response: 19 characters, 6 edits from proxy_send_local_response.
    const bytes = filterModule({ imports: [{ name: "proxy_send_response", params: [] }] }).build();
    expect(onlyError(bytes)).toBe(
      'import env.proxy_send_response: Envoy does not provide it ("missing import"); ' +
        "not a proxy-wasm 0.2.1 host function; did you mean proxy_send_local_response?",
    );
  });

  it("suggests nothing for a proxy_* import farther than that from every host function", () => {
    // proxy_define_counter: 20 characters, 7 edits from proxy_define_metric, the closest.
    const bytes = filterModule({ imports: [{ name: "proxy_define_counter", params: [] }] }).build();
    expect(onlyError(bytes)).toBe(
      'import env.proxy_define_counter: Envoy does not provide it ("missing import"); ' +
        "not a proxy-wasm 0.2.1 host function",
    );
  });

  it("rejects an unknown env import without proxy_ as the module's own, suggesting nothing", () => {
    // 6 edits from proxy_send_local_response, which would be close enough for a proxy_* name.
    const bytes = filterModule({ imports: [{ name: "send_local_response", params: [] }] }).build();
    expect(onlyError(bytes)).toBe(
      'import env.send_local_response: Envoy does not provide it ("missing import")',
    );
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
    expect(onlyError(bytes)).toBe(
      "import wasi_snapshot_preview1.sock_accept: linked only by the newest Envoy " +
        "(proxy-wasm-cpp-host #533, 2026-04); earlier Envoy and Istio releases fail to load " +
        'the module ("missing import")',
    );
  });

  it("rejects a WASI function Envoy's shim does not have", () => {
    const bytes = filterModule({
      imports: [
        { module: "wasi_snapshot_preview1", name: "sock_open", params: I32x(3), results: ["i32"] },
      ],
    }).build();
    expect(onlyError(bytes)).toContain("not a WASI function in Envoy's shim");
  });

  it("suggests nothing for a two-letter WASI name far from every WASI function", () => {
    // A name that short may be two edits from its suggestion; io is seven from fd_write.
    const bytes = filterModule({
      imports: [{ module: "wasi_snapshot_preview1", name: "io", params: [] }],
    }).build();
    expect(onlyError(bytes)).toBe(
      'import wasi_snapshot_preview1.io: Envoy does not provide it ("missing import"); ' +
        "not a WASI function in Envoy's shim",
    );
  });

  it("rejects a module Envoy does not provide at all", () => {
    const bytes = filterModule({
      imports: [{ module: "wasi", name: "fd_write", params: I32x(4), results: ["i32"] }],
    }).build();
    expect(onlyError(bytes)).toBe(
      'import wasi.fd_write: Envoy does not provide it ("missing import"); Envoy links only ' +
        "the modules env, wasi_snapshot_preview1 and wasi_unstable",
    );
  });

  it("warns on poll_oneoff, which older Envoy and Istio releases lack, but passes", () => {
    const bytes = filterModule({
      imports: [POLL_ONEOFF],
    }).build();
    const report = checkModule(bytes);
    expect(report.ok).toBe(true);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain("wasi_snapshot_preview1.poll_oneoff");
    expect(report.warnings[0]).toContain("older Envoy and Istio releases");
  });

  it("passes an imported memory, whatever its name, with a warning and no memory export", () => {
    const b = filterModule({ without: ["memory"] }).importMemory("host", "heap");
    expect(checkModule(b.build())).toMatchObject({
      ok: true,
      errors: [],
      warnings: [
        "import host.heap: the memory is imported; the SDK's build exports its own memory",
      ],
    });
  });

  it("passes an imported table, whatever its name, without a word", () => {
    const b = filterModule().importTable("host", "functions");
    expect(checkModule(b.build())).toMatchObject({ ok: true, errors: [], warnings: [] });
  });

  it("rejects an imported global", () => {
    const b = new WasmBuilder().importGlobal("env", "__stack_pointer");
    expect(checkModule(b.build()).errors[0]).toContain("cannot link an imported global");
  });

  it("rejects a module with neither malloc nor proxy_on_memory_allocate", () => {
    const bytes = filterModule({ without: ["malloc", "proxy_on_memory_allocate"] }).build();
    expect(onlyError(bytes)).toBe(
      "missing export malloc or proxy_on_memory_allocate ((i32) -> i32): Envoy allocates the " +
        'buffers it hands to the module through it ("Wasm module is missing malloc function")',
    );
  });

  it("rejects a malloc that is not a function, and counts it as no allocator", () => {
    const b = filterModule({ without: ["malloc", "proxy_on_memory_allocate"] }).global("malloc");
    expect(checkModule(b.build()).errors).toEqual([
      "missing export malloc or proxy_on_memory_allocate ((i32) -> i32): Envoy allocates the " +
        'buffers it hands to the module through it ("Wasm module is missing malloc function")',
      "export malloc: a global, but Envoy calls it as a function",
    ]);
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
    expect(onlyError(bytes)).toBe(
      "missing export proxy_abi_version_0_2_1: Envoy detects the ABI by this function export " +
        'and refuses the module ("Missing or unknown Proxy-Wasm ABI version")',
    );
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

  it("names every marker-like export Envoy ignores when it finds no marker", () => {
    const b = filterModule({
      without: ["proxy_abi_version_0_2_1"],
      exports: [{ name: "proxy_abi_version_0_2_100", params: [] }],
    }).global("proxy_abi_version_0_2_1");
    expect(checkModule(b.build())).toMatchObject({
      errors: [
        "missing export proxy_abi_version_0_2_1: Envoy detects the ABI by this function export " +
          'and refuses the module ("Missing or unknown Proxy-Wasm ABI version"); it exports ' +
          "proxy_abi_version_0_2_100 (function), proxy_abi_version_0_2_1 (global), which " +
          "Envoy ignores",
      ],
      warnings: [],
    });
  });

  it("warns on an unknown marker beside the ABI 0.2.1 one, but passes", () => {
    const bytes = filterModule({
      exports: [{ name: "proxy_abi_version_0_2_100", params: [] }],
    }).build();
    expect(checkModule(bytes)).toMatchObject({
      ok: true,
      warnings: ["export proxy_abi_version_0_2_100: not an ABI marker Envoy knows; it is ignored"],
    });
  });

  it("warns on an ABI marker with parameters, which Envoy never calls, but passes", () => {
    const bytes = filterModule({
      without: ["proxy_abi_version_0_2_1"],
      exports: [{ name: "proxy_abi_version_0_2_1", params: ["i32"] }],
    }).build();
    expect(checkModule(bytes)).toMatchObject({
      ok: true,
      warnings: [
        "export proxy_abi_version_0_2_1: bad function signature: Envoy expects () -> (), " +
          "the module exports (i32) -> ()",
      ],
    });
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

  it("rejects a module that has no memory", () => {
    expect(onlyError(filterModule({ without: ["memory"] }).build())).toBe(
      "missing memory: the module neither defines nor imports a linear memory",
    );
  });

  it("rejects a module whose own memory is not exported", () => {
    const b = filterModule({ without: ["memory"] }).memory(1, null);
    expect(onlyError(b.build())).toBe(
      "missing memory export: Envoy reads and writes the module's memory through it",
    );
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

  it("suggests the first of two callbacks equally close to a misspelt one", () => {
    // proxy_on_close: 3 edits from proxy_on_done and from proxy_on_log, in that order.
    const bytes = filterModule({ exports: [{ name: "proxy_on_close", params: ["i32"] }] }).build();
    expect(checkModule(bytes).warnings).toEqual([
      "export proxy_on_close: not a callback Envoy calls, so it never runs; " +
        "did you mean proxy_on_done?",
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

  it("reports bytes that are not a module with nothing else: no warnings, imports or exports", () => {
    expect(checkModule(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0]))).toEqual({
      ok: false,
      errors: [
        "malformed wasm in the header at byte 0 (0x0): not a wasm module " +
          "(the magic bytes \\0asm are missing)",
      ],
      warnings: [],
      imports: [],
      exports: [],
    });
  });

  it("reports a failure of the reader itself instead of throwing", () => {
    const report = checkModule(undefined as unknown as Uint8Array);
    expect(report).toMatchObject({ ok: false, warnings: [], imports: [], exports: [] });
    expect(report.errors).toEqual([
      expect.stringMatching(/^unreadable module \(reader failure: TypeError: .+\)$/),
    ]);
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
