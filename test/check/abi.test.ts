// The ABI tables (src/wasm/abi.ts) entry by entry, through the module check: each WASI
// function Envoy's shim links and each export Envoy looks up, with the signature
// proxy-wasm-cpp-host declares for it (include/proxy-wasm/exports.h, src/wasm.cc), written
// out here a second time so that an entry changed in the table shows as a module refused or
// let through. Parameters are given as their value types, results after `->`.

import { describe, expect, it } from "vitest";
import { checkModule } from "../../src/check/surface.ts";
import { findAbi010Function, findGuestExport, findHostFunction } from "../../src/wasm/abi.ts";
import type { ValType } from "../../src/wasm/binary.ts";
import { filterModule } from "./wasm-builder.ts";

/** "i32 i64 -> i32" as parameter and result types. */
function sig(text: string): { params: ValType[]; results: ValType[] } {
  const [params = "", results = ""] = text.split("->");
  const types = (s: string) => s.split(" ").filter((t) => t !== "") as ValType[];
  return { params: types(params), results: types(results) };
}

/** The WASI functions Envoy 1.40 links, by the release that first links them. */
const WASI: Array<[name: string, signature: string, tier: "core" | "2024-12" | "2026-04"]> = [
  ["args_get", "i32 i32 -> i32", "core"],
  ["args_sizes_get", "i32 i32 -> i32", "core"],
  ["environ_get", "i32 i32 -> i32", "core"],
  ["environ_sizes_get", "i32 i32 -> i32", "core"],
  ["clock_time_get", "i32 i64 i32 -> i32", "core"],
  ["random_get", "i32 i32 -> i32", "core"],
  ["fd_write", "i32 i32 i32 i32 -> i32", "core"],
  ["fd_read", "i32 i32 i32 i32 -> i32", "core"],
  ["fd_seek", "i32 i64 i32 i32 -> i32", "core"],
  ["fd_close", "i32 -> i32", "core"],
  ["fd_fdstat_get", "i32 i32 -> i32", "core"],
  ["fd_prestat_get", "i32 i32 -> i32", "core"],
  ["fd_prestat_dir_name", "i32 i32 i32 -> i32", "core"],
  ["path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32 -> i32", "core"],
  ["proc_exit", "i32 ->", "core"],
  ["fd_fdstat_set_flags", "i32 i32 -> i32", "2024-12"],
  ["sched_yield", "-> i32", "2024-12"],
  ["poll_oneoff", "i32 i32 i32 i32 -> i32", "2024-12"],
  ["clock_res_get", "i32 i32 -> i32", "2026-04"],
  ["fd_advise", "i32 i64 i64 i32 -> i32", "2026-04"],
  ["fd_allocate", "i32 i64 i64 -> i32", "2026-04"],
  ["fd_datasync", "i32 -> i32", "2026-04"],
  ["fd_fdstat_set_rights", "i32 i64 i64 -> i32", "2026-04"],
  ["fd_filestat_get", "i32 i32 -> i32", "2026-04"],
  ["fd_filestat_set_size", "i32 i64 -> i32", "2026-04"],
  ["fd_filestat_set_times", "i32 i64 i64 i32 -> i32", "2026-04"],
  ["fd_pread", "i32 i32 i32 i64 i32 -> i32", "2026-04"],
  ["fd_pwrite", "i32 i32 i32 i64 i32 -> i32", "2026-04"],
  ["fd_readdir", "i32 i32 i32 i64 i32 -> i32", "2026-04"],
  ["fd_renumber", "i32 i32 -> i32", "2026-04"],
  ["fd_sync", "i32 -> i32", "2026-04"],
  ["fd_tell", "i32 i32 -> i32", "2026-04"],
  ["path_create_directory", "i32 i32 i32 -> i32", "2026-04"],
  ["path_filestat_get", "i32 i32 i32 i32 i32 -> i32", "2026-04"],
  ["path_filestat_set_times", "i32 i32 i32 i32 i64 i64 i32 -> i32", "2026-04"],
  ["path_link", "i32 i32 i32 i32 i32 i32 -> i32", "2026-04"],
  ["path_readlink", "i32 i32 i32 i32 i32 i32 -> i32", "2026-04"],
  ["path_remove_directory", "i32 i32 i32 -> i32", "2026-04"],
  ["path_rename", "i32 i32 i32 i32 i32 i32 -> i32", "2026-04"],
  ["path_symlink", "i32 i32 i32 i32 -> i32", "2026-04"],
  ["path_unlink_file", "i32 i32 i32 -> i32", "2026-04"],
  ["sock_accept", "i32 i32 i32 -> i32", "2026-04"],
  ["sock_recv", "i32 i32 i32 i32 i32 i32 -> i32", "2026-04"],
  ["sock_send", "i32 i32 i32 i32 i32 -> i32", "2026-04"],
  ["sock_shutdown", "i32 i32 -> i32", "2026-04"],
];

/** The exports Envoy looks up besides the marker and the allocators. */
const EXPORTS: Array<[name: string, signature: string]> = [
  ["_initialize", "->"],
  ["_start", "->"],
  ["main", "i32 i32 -> i32"],
  ["__main_void", "-> i32"],
  ["proxy_on_context_create", "i32 i32 ->"],
  ["proxy_on_vm_start", "i32 i32 -> i32"],
  ["proxy_on_configure", "i32 i32 -> i32"],
  ["proxy_on_tick", "i32 ->"],
  ["proxy_on_new_connection", "i32 -> i32"],
  ["proxy_on_downstream_data", "i32 i32 i32 -> i32"],
  ["proxy_on_upstream_data", "i32 i32 i32 -> i32"],
  ["proxy_on_downstream_connection_close", "i32 i32 ->"],
  ["proxy_on_upstream_connection_close", "i32 i32 ->"],
  ["proxy_on_request_headers", "i32 i32 i32 -> i32"],
  ["proxy_on_request_body", "i32 i32 i32 -> i32"],
  ["proxy_on_request_trailers", "i32 i32 -> i32"],
  ["proxy_on_response_headers", "i32 i32 i32 -> i32"],
  ["proxy_on_response_body", "i32 i32 i32 -> i32"],
  ["proxy_on_response_trailers", "i32 i32 -> i32"],
  ["proxy_on_http_call_response", "i32 i32 i32 i32 i32 ->"],
  ["proxy_on_grpc_receive_initial_metadata", "i32 i32 i32 ->"],
  ["proxy_on_grpc_receive", "i32 i32 i32 ->"],
  ["proxy_on_grpc_receive_trailing_metadata", "i32 i32 i32 ->"],
  ["proxy_on_grpc_close", "i32 i32 i32 ->"],
  ["proxy_on_queue_ready", "i32 i32 ->"],
  ["proxy_on_foreign_function", "i32 i32 i32 ->"],
  ["proxy_on_done", "i32 -> i32"],
  ["proxy_on_log", "i32 ->"],
  ["proxy_on_delete", "i32 ->"],
  ["proxy_validate_configuration", "i32 i32 -> i32"],
  ["proxy_on_request_metadata", "i32 i32 -> i32"],
  ["proxy_on_response_metadata", "i32 i32 -> i32"],
];

describe("the WASI functions Envoy links", () => {
  for (const module of ["wasi_snapshot_preview1", "wasi_unstable"]) {
    it(`links each under ${module} with its signature, naming the release that first has it`, () => {
      for (const [name, signature, tier] of WASI) {
        const bytes = filterModule({ imports: [{ module, name, ...sig(signature) }] }).build();
        const report = checkModule(bytes);
        const what = `${name} (${tier})`;
        if (tier === "core") {
          expect(report.errors, what).toEqual([]);
          expect(report.warnings, what).toEqual([]);
        } else if (tier === "2024-12") {
          expect(report.errors, what).toEqual([]);
          expect(report.warnings, what).toHaveLength(1);
          expect(report.warnings[0], what).toContain(
            `import ${module}.${name}: linked only by Envoy`,
          );
        } else {
          expect(report.warnings, what).toEqual([]);
          expect(report.errors, what).toHaveLength(1);
          expect(report.errors[0], what).toContain(
            `import ${module}.${name}: linked only by the newest Envoy`,
          );
        }
      }
    });
  }

  it("refuses each with one parameter more as an import type mismatch", () => {
    for (const [name, signature] of WASI) {
      const { params, results } = sig(signature);
      const bytes = filterModule({
        imports: [{ module: "wasi_snapshot_preview1", name, params: [...params, "i32"], results }],
      }).build();
      const errors = checkModule(bytes).errors;
      expect(errors, name).toHaveLength(1);
      expect(errors[0], name).toContain(
        `import wasi_snapshot_preview1.${name}: import type mismatch`,
      );
    }
  });

  it("links nothing under env or another module by a WASI name", () => {
    expect(findHostFunction("env", "fd_write")).toBeUndefined();
    expect(findHostFunction("wasi", "fd_write")).toBeUndefined();
    expect(findHostFunction("wasi_unstable", "fd_write")?.module).toBe("wasi_unstable");
  });
});

describe("the exports Envoy looks up", () => {
  it("accepts each with its signature and refuses it with one parameter more", () => {
    for (const [name, signature] of EXPORTS) {
      const { params, results } = sig(signature);
      const exact = filterModule({ without: [name], exports: [{ name, params, results }] }).build();
      expect(checkModule(exact), name).toMatchObject({ ok: true, warnings: [] });
      const extra = filterModule({
        without: [name],
        exports: [{ name, params: [...params, "i32"], results }],
      }).build();
      const errors = checkModule(extra).errors;
      expect(errors, name).toHaveLength(1);
      expect(errors[0], name).toContain(`export ${name}: bad function signature`);
    }
  });

  it("names the role of each and whether the 0.2.1 spec defines it", () => {
    expect(findGuestExport("proxy_abi_version_0_2_1")?.role).toBe("marker");
    expect(findGuestExport("malloc")?.role).toBe("allocator");
    for (const name of ["_initialize", "_start", "main", "__main_void"]) {
      expect(findGuestExport(name)?.role, name).toBe("lifecycle");
    }
    expect(findGuestExport("proxy_on_log")).toMatchObject({ role: "callback", inSpec: true });
    for (const name of [
      "proxy_validate_configuration",
      "proxy_on_request_metadata",
      "proxy_on_response_metadata",
    ]) {
      expect(findGuestExport(name), name).toMatchObject({ role: "callback", inSpec: false });
    }
    expect(findGuestExport("proxy_on_log")?.paramNames).toEqual(["context_id"]);
    expect(findGuestExport("proxy_on_memory_alloc")).toBeUndefined();
  });
});

describe("Envoy's env functions for Emscripten builds", () => {
  it("links pthread_equal and emscripten_notify_memory_growth with their signatures", () => {
    const good = filterModule({
      imports: [
        { name: "pthread_equal", ...sig("i32 i32 -> i32") },
        { name: "emscripten_notify_memory_growth", ...sig("i32 ->") },
      ],
    }).build();
    expect(checkModule(good)).toMatchObject({ ok: true, warnings: [] });
    for (const [name, signature] of [
      ["pthread_equal", "i32 -> i32"],
      ["emscripten_notify_memory_growth", "i32 -> i32"],
    ] as const) {
      const errors = checkModule(
        filterModule({ imports: [{ name, ...sig(signature) }] }).build(),
      ).errors;
      expect(errors, name).toHaveLength(1);
      expect(errors[0], name).toContain(`import env.${name}: import type mismatch`);
    }
  });
});

describe("the ABI markers Envoy knows", () => {
  it("runs a module that exports only an older marker as that ABI", () => {
    for (const [marker, version] of [
      ["proxy_abi_version_0_1_0", "0.1.0"],
      ["proxy_abi_version_0_2_0", "0.2.0"],
    ]) {
      const bytes = filterModule({
        without: ["proxy_abi_version_0_2_1"],
        exports: [{ name: marker as string, params: [] }],
      }).build();
      const errors = checkModule(bytes).errors;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`Envoy would run the module as ABI ${version},`);
    }
  });
});

describe("the host functions of ABI 0.1.0", () => {
  it("names what a 0.2.1 module uses instead, for env imports only", () => {
    expect(findAbi010Function("env", "proxy_get_configuration")?.replacement).toBe(
      "proxy_get_buffer_bytes(PLUGIN_CONFIGURATION, ...) inside proxy_on_configure",
    );
    expect(findAbi010Function("env", "proxy_continue_response")?.replacement).toBe(
      "proxy_continue_stream(HTTP_RESPONSE)",
    );
    expect(findAbi010Function("env", "proxy_clear_route_cache")?.replacement).toBe(
      'proxy_call_foreign_function("clear_route_cache", ...)',
    );
    expect(findAbi010Function("wasi_unstable", "proxy_continue_request")).toBeUndefined();
  });
});
