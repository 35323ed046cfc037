// The proxy-wasm ABI 0.2.1 surface as Envoy links it, as data: the host functions a module may
// import, the WASI functions Envoy shims, and the exports Envoy looks up. One table serves the
// module-surface check and the TypeScript host emulator.
//
// Source of truth is proxy-wasm-cpp-host, the host library Envoy embeds: signatures from
// include/proxy-wasm/exports.h (`Word` is i32, `int64_t`/`uint64_t` are i64), registration
// per ABI from src/wasm.cc `registerCallbacks`, export lookups from `getFunctions` and
// include/proxy-wasm/wasm.h. Where Envoy's signature differs from a spec, Envoy's is listed:
// it is the one a module must match to load.

import type { FuncType, ValType } from "./binary.ts";

// Stryker disable next-line StringLiteral: equivalent, nothing in the project reads ABI_VERSION (it documents the version for users of the table)
export const ABI_VERSION = "0.2.1";
/** The export by which Envoy recognises an ABI 0.2.1 module (a function, never called). */
export const ABI_MARKER = "proxy_abi_version_0_2_1";
/** ABI markers Envoy knows, in the order it accepts them; it uses the first one exported. */
export const ENVOY_ABI_MARKERS: Readonly<Record<string, string>> = {
  proxy_abi_version_0_1_0: "0.1.0",
  proxy_abi_version_0_2_0: "0.2.0",
  // Stryker disable next-line StringLiteral: equivalent, the version is named only for a marker other than ABI_MARKER, and this entry is ABI_MARKER
  proxy_abi_version_0_2_1: "0.2.1",
};

export type HostModule = "env" | "wasi_snapshot_preview1" | "wasi_unstable";
export const WASI_MODULES: readonly HostModule[] = ["wasi_snapshot_preview1", "wasi_unstable"];

/**
 * Which Envoy releases link a WASI function.
 * - `"core"`: every Envoy/Istio release with ABI 0.2.1.
 * - `"2024-12"`: added in proxy-wasm-cpp-host #427 (Dec 2024) for the Go SDK; older releases lack it.
 * - `"2026-04"`: added in proxy-wasm-cpp-host #533 (Apr 2026); only the newest Envoy links it.
 */
export type WasiTier = "core" | "2024-12" | "2026-04";

/** A function the host links into the module. */
export interface HostFunction {
  readonly module: HostModule;
  readonly name: string;
  readonly type: FuncType;
  /** Parameter names, for traces and docs; `_ptr_ptr`/`return_` mark outputs. */
  readonly paramNames: readonly string[];
  /** Only for WASI functions. */
  readonly wasiTier?: WasiTier;
}

/** A host function of ABI 0.1.0 that Envoy does not link for 0.2.1 modules. */
export interface RemovedHostFunction extends HostFunction {
  /** What a 0.2.1 module uses instead. */
  readonly replacement: string;
}

/** What an export means to Envoy. */
export type GuestExportRole = "marker" | "allocator" | "lifecycle" | "callback";

/** An export Envoy looks up by name; it fails the module when the signature differs. */
export interface GuestExport {
  readonly name: string;
  readonly type: FuncType;
  readonly paramNames: readonly string[];
  readonly role: GuestExportRole;
  /** False for callbacks Envoy looks up although the 0.2.1 spec does not define them. */
  readonly inSpec: boolean;
}

/** Parses "name other:i64" into names and types; untyped parameters are i32. */
function signature(
  params: string,
  results: readonly ValType[],
): Pick<HostFunction, "type" | "paramNames"> {
  const parsed = params
    .split(" ")
    .filter((p) => p !== "")
    .map((p) => {
      // Stryker disable next-line StringLiteral: equivalent, `name`'s default: split gives at least one part, so it is never used; `type`'s, which the tests kill, goes with it
      const [name = "", type = "i32"] = p.split(":");
      return { name, type: type as ValType };
    });
  return {
    paramNames: parsed.map((p) => p.name),
    type: { params: parsed.map((p) => p.type), results },
  };
}

/** Every proxy_* host call returns a proxy_status_t. */
const proxy = (name: string, params: string): HostFunction => ({
  module: "env",
  name,
  ...signature(params, ["i32"]),
});

/** The env.proxy_* functions Envoy links for an ABI 0.2.1 module. */
export const PROXY_HOST_FUNCTIONS: readonly HostFunction[] = [
  // lifecycle and logging
  proxy("proxy_done", ""),
  proxy("proxy_set_effective_context", "context_id"),
  proxy("proxy_log", "level message_ptr message_size"),
  proxy("proxy_get_log_level", "return_level_ptr"),
  // clock and timers
  proxy("proxy_get_current_time_nanoseconds", "return_time_ptr"),
  proxy("proxy_set_tick_period_milliseconds", "period_ms"),
  // buffers
  proxy("proxy_get_buffer_bytes", "buffer_type start max_size return_data_ptr_ptr return_size_ptr"),
  proxy("proxy_set_buffer_bytes", "buffer_type start size data_ptr data_size"),
  proxy("proxy_get_buffer_status", "buffer_type return_size_ptr return_flags_ptr"),
  // header maps
  proxy("proxy_get_header_map_size", "map_type return_size_ptr"),
  proxy("proxy_get_header_map_pairs", "map_type return_pairs_ptr_ptr return_pairs_size_ptr"),
  proxy("proxy_set_header_map_pairs", "map_type pairs_ptr pairs_size"),
  proxy(
    "proxy_get_header_map_value",
    "map_type key_ptr key_size return_value_ptr_ptr return_value_size_ptr",
  ),
  proxy("proxy_add_header_map_value", "map_type key_ptr key_size value_ptr value_size"),
  proxy("proxy_replace_header_map_value", "map_type key_ptr key_size value_ptr value_size"),
  proxy("proxy_remove_header_map_value", "map_type key_ptr key_size"),
  // stream control and local replies
  proxy("proxy_continue_stream", "stream_type"),
  proxy("proxy_close_stream", "stream_type"),
  proxy("proxy_get_status", "return_code_ptr return_message_ptr_ptr return_message_size_ptr"),
  proxy(
    "proxy_send_local_response",
    "status_code details_ptr details_size body_ptr body_size headers_ptr headers_size grpc_status",
  ),
  // HTTP and gRPC callouts
  proxy(
    "proxy_http_call",
    "upstream_ptr upstream_size headers_ptr headers_size body_ptr body_size" +
      " trailers_ptr trailers_size timeout_ms return_token_ptr",
  ),
  proxy(
    "proxy_grpc_call",
    "upstream_ptr upstream_size service_ptr service_size method_ptr method_size" +
      " metadata_ptr metadata_size message_ptr message_size timeout_ms return_token_ptr",
  ),
  proxy(
    "proxy_grpc_stream",
    "upstream_ptr upstream_size service_ptr service_size method_ptr method_size" +
      " metadata_ptr metadata_size return_token_ptr",
  ),
  proxy("proxy_grpc_send", "token message_ptr message_size end_of_stream"),
  proxy("proxy_grpc_cancel", "token"),
  proxy("proxy_grpc_close", "token"),
  // shared data and queues
  proxy(
    "proxy_get_shared_data",
    "key_ptr key_size return_value_ptr_ptr return_value_size_ptr return_cas_ptr",
  ),
  proxy("proxy_set_shared_data", "key_ptr key_size value_ptr value_size cas"),
  proxy("proxy_register_shared_queue", "name_ptr name_size return_token_ptr"),
  proxy("proxy_resolve_shared_queue", "vm_id_ptr vm_id_size name_ptr name_size return_token_ptr"),
  proxy("proxy_enqueue_shared_queue", "token value_ptr value_size"),
  proxy("proxy_dequeue_shared_queue", "token return_value_ptr_ptr return_value_size_ptr"),
  // metrics
  proxy("proxy_define_metric", "metric_type name_ptr name_size return_metric_id_ptr"),
  proxy("proxy_increment_metric", "metric_id offset:i64"),
  proxy("proxy_record_metric", "metric_id value:i64"),
  proxy("proxy_get_metric", "metric_id return_value_ptr"),
  // properties and foreign functions
  proxy("proxy_get_property", "path_ptr path_size return_value_ptr_ptr return_value_size_ptr"),
  proxy("proxy_set_property", "path_ptr path_size value_ptr value_size"),
  proxy(
    "proxy_call_foreign_function",
    "name_ptr name_size args_ptr args_size return_results_ptr_ptr return_results_size_ptr",
  ),
];

/** Non-proxy env functions Envoy links into every module (for Emscripten builds). */
export const ENVOY_ENV_EXTRAS: readonly HostFunction[] = [
  { module: "env", name: "pthread_equal", ...signature("left right", ["i32"]) },
  { module: "env", name: "emscripten_notify_memory_growth", ...signature("memory_index", []) },
];

/** ABI 0.1.0 host functions: Envoy links them only for 0.1.0 modules. */
export const ABI_0_1_0_ONLY: readonly RemovedHostFunction[] = [
  {
    // Stryker disable next-line StringLiteral: equivalent, the parameters of an ABI 0.1.0 function: nothing reads their types or names (the check names the function and its replacement); the name's mutant, which the tests kill, goes with it
    ...proxy("proxy_get_configuration", "return_data_ptr_ptr return_size_ptr"),
    replacement: "proxy_get_buffer_bytes(PLUGIN_CONFIGURATION, ...) inside proxy_on_configure",
  },
  {
    // Stryker disable next-line StringLiteral: equivalent, the parameters of an ABI 0.1.0 function: nothing reads their types or names (the check names the function and its replacement); the name's mutant, which the tests kill, goes with it
    ...proxy("proxy_continue_request", ""),
    replacement: "proxy_continue_stream(HTTP_REQUEST)",
  },
  {
    // Stryker disable next-line StringLiteral: equivalent, the parameters of an ABI 0.1.0 function: nothing reads their types or names (the check names the function and its replacement); the name's mutant, which the tests kill, goes with it
    ...proxy("proxy_continue_response", ""),
    replacement: "proxy_continue_stream(HTTP_RESPONSE)",
  },
  {
    // Stryker disable next-line StringLiteral: equivalent, the parameters of an ABI 0.1.0 function: nothing reads their types or names (the check names the function and its replacement); the name's mutant, which the tests kill, goes with it
    ...proxy("proxy_clear_route_cache", ""),
    replacement: 'proxy_call_foreign_function("clear_route_cache", ...)',
  },
];

const wasi = (
  name: string,
  params: string,
  wasiTier: WasiTier,
  results: readonly ValType[] = ["i32"],
): Omit<HostFunction, "module"> => ({ name, wasiTier, ...signature(params, results) });

/** Linked by every release: the check warns only of the later tiers. */
// Stryker disable next-line StringLiteral: equivalent, the module check tells apart only the tiers "2024-12" and "2026-04", so any other value reads as linked by every release
const CORE: WasiTier = "core";

/** WASI preview1 functions Envoy links, under each of WASI_MODULES; all return an errno. */
const WASI_FUNCTIONS = [
  wasi("args_get", "argv_ptr argv_buf_ptr", CORE),
  wasi("args_sizes_get", "return_argc_ptr return_argv_buf_size_ptr", CORE),
  wasi("environ_get", "environ_ptr environ_buf_ptr", CORE),
  wasi("environ_sizes_get", "return_count_ptr return_buf_size_ptr", CORE),
  wasi("clock_time_get", "clock_id precision:i64 return_time_ptr", CORE),
  wasi("random_get", "buf_ptr buf_len", CORE),
  wasi("fd_write", "fd iovs_ptr iovs_len return_written_ptr", CORE),
  wasi("fd_read", "fd iovs_ptr iovs_len return_read_ptr", CORE),
  wasi("fd_seek", "fd offset:i64 whence return_offset_ptr", CORE),
  wasi("fd_close", "fd", CORE),
  wasi("fd_fdstat_get", "fd return_fdstat_ptr", CORE),
  wasi("fd_prestat_get", "fd return_prestat_ptr", CORE),
  wasi("fd_prestat_dir_name", "fd path_ptr path_len", CORE),
  wasi(
    "path_open",
    "fd dirflags path_ptr path_len oflags rights_base:i64 rights_inheriting:i64 fdflags return_fd_ptr",
    CORE,
  ),
  // Envoy's proc_exit only logs and returns; it does not end the VM.
  wasi("proc_exit", "code", CORE, []),

  wasi("fd_fdstat_set_flags", "fd flags", "2024-12"),
  wasi("sched_yield", "", "2024-12"),
  wasi("poll_oneoff", "in_ptr out_ptr nsubscriptions return_nevents_ptr", "2024-12"),

  wasi("clock_res_get", "clock_id return_resolution_ptr", "2026-04"),
  wasi("fd_advise", "fd offset:i64 len:i64 advice", "2026-04"),
  wasi("fd_allocate", "fd offset:i64 len:i64", "2026-04"),
  wasi("fd_datasync", "fd", "2026-04"),
  wasi("fd_fdstat_set_rights", "fd rights_base:i64 rights_inheriting:i64", "2026-04"),
  wasi("fd_filestat_get", "fd return_filestat_ptr", "2026-04"),
  wasi("fd_filestat_set_size", "fd size:i64", "2026-04"),
  wasi("fd_filestat_set_times", "fd atim:i64 mtim:i64 fst_flags", "2026-04"),
  wasi("fd_pread", "fd iovs_ptr iovs_len offset:i64 return_read_ptr", "2026-04"),
  wasi("fd_pwrite", "fd iovs_ptr iovs_len offset:i64 return_written_ptr", "2026-04"),
  wasi("fd_readdir", "fd buf_ptr buf_len cookie:i64 return_bufused_ptr", "2026-04"),
  wasi("fd_renumber", "fd to_fd", "2026-04"),
  wasi("fd_sync", "fd", "2026-04"),
  wasi("fd_tell", "fd return_offset_ptr", "2026-04"),
  wasi("path_create_directory", "fd path_ptr path_len", "2026-04"),
  wasi("path_filestat_get", "fd flags path_ptr path_len return_filestat_ptr", "2026-04"),
  wasi(
    "path_filestat_set_times",
    "fd flags path_ptr path_len atim:i64 mtim:i64 fst_flags",
    "2026-04",
  ),
  // Envoy declares path_link with 6 and path_symlink with 4 parameters (WASI has 7 and 5):
  // a module importing the WASI signatures fails to load with "import type mismatch".
  wasi("path_link", "old_fd old_flags old_path_ptr old_path_len new_fd new_path_ptr", "2026-04"),
  wasi("path_readlink", "fd path_ptr path_len buf_ptr buf_len return_bufused_ptr", "2026-04"),
  wasi("path_remove_directory", "fd path_ptr path_len", "2026-04"),
  wasi("path_rename", "fd old_path_ptr old_path_len new_fd new_path_ptr new_path_len", "2026-04"),
  wasi("path_symlink", "old_path_ptr old_path_len fd new_path_ptr", "2026-04"),
  wasi("path_unlink_file", "fd path_ptr path_len", "2026-04"),
  wasi("sock_accept", "fd flags return_fd_ptr", "2026-04"),
  wasi(
    "sock_recv",
    "fd ri_data_ptr ri_data_len ri_flags return_datalen_ptr return_flags_ptr",
    "2026-04",
  ),
  wasi("sock_send", "fd si_data_ptr si_data_len si_flags return_datalen_ptr", "2026-04"),
  wasi("sock_shutdown", "fd how", "2026-04"),
];

/** The WASI functions Envoy links, once under each WASI module name. */
export const WASI_HOST_FUNCTIONS: readonly HostFunction[] = WASI_MODULES.flatMap((module) =>
  WASI_FUNCTIONS.map((fn) => ({ module, ...fn })),
);

/** Everything Envoy links into an ABI 0.2.1 module. */
export const HOST_FUNCTIONS: readonly HostFunction[] = [
  ...PROXY_HOST_FUNCTIONS,
  ...ENVOY_ENV_EXTRAS,
  ...WASI_HOST_FUNCTIONS,
];

const hostByKey = new Map(HOST_FUNCTIONS.map((fn) => [`${fn.module}.${fn.name}`, fn]));
const removedByName = new Map(ABI_0_1_0_ONLY.map((fn) => [fn.name, fn]));

/** The host function Envoy links as `module.name` for a 0.2.1 module, if any. */
export function findHostFunction(module: string, name: string): HostFunction | undefined {
  return hostByKey.get(`${module}.${name}`);
}

/** The ABI 0.1.0-only function `env.name`, if it is one. */
export function findAbi010Function(module: string, name: string): RemovedHostFunction | undefined {
  return module === "env" ? removedByName.get(name) : undefined;
}

const guest = (
  name: string,
  params: string,
  results: readonly ValType[],
  role: GuestExportRole,
  inSpec = true,
): GuestExport => ({ name, role, inSpec, ...signature(params, results) });
const callback = (name: string, params: string, results: readonly ValType[] = []) =>
  guest(name, params, results, "callback");
const ACTION: readonly ValType[] = ["i32"];
const BOOL: readonly ValType[] = ["i32"];

/**
 * The exports Envoy looks up in an ABI 0.2.1 module. Required: the marker, a memory, and one
 * allocator (`malloc` is tried first, then `proxy_on_memory_allocate`). Everything else is
 * optional and called only when exported.
 */
export const GUEST_EXPORTS: readonly GuestExport[] = [
  guest(ABI_MARKER, "", [], "marker"),
  guest("malloc", "size", ["i32"], "allocator"),
  guest("proxy_on_memory_allocate", "size", ["i32"], "allocator"),
  // WASI reactor (_initialize, then main or __main_void if exported) or command (_start).
  guest("_initialize", "", [], "lifecycle"),
  guest("_start", "", [], "lifecycle"),
  guest("main", "argc argv", ["i32"], "lifecycle"),
  guest("__main_void", "", ["i32"], "lifecycle"),

  callback("proxy_on_context_create", "context_id parent_context_id"),
  callback("proxy_on_vm_start", "root_context_id vm_configuration_size", BOOL),
  callback("proxy_on_configure", "root_context_id plugin_configuration_size", BOOL),
  callback("proxy_on_tick", "root_context_id"),
  callback("proxy_on_new_connection", "context_id", ACTION),
  callback("proxy_on_downstream_data", "context_id data_size end_of_stream", ACTION),
  callback("proxy_on_upstream_data", "context_id data_size end_of_stream", ACTION),
  callback("proxy_on_downstream_connection_close", "context_id peer_type"),
  callback("proxy_on_upstream_connection_close", "context_id peer_type"),
  callback("proxy_on_request_headers", "context_id num_headers end_of_stream", ACTION),
  callback("proxy_on_request_body", "context_id body_size end_of_stream", ACTION),
  callback("proxy_on_request_trailers", "context_id num_trailers", ACTION),
  callback("proxy_on_response_headers", "context_id num_headers end_of_stream", ACTION),
  callback("proxy_on_response_body", "context_id body_size end_of_stream", ACTION),
  callback("proxy_on_response_trailers", "context_id num_trailers", ACTION),
  callback(
    "proxy_on_http_call_response",
    "root_context_id token num_headers body_size num_trailers",
  ),
  callback("proxy_on_grpc_receive_initial_metadata", "root_context_id token num_elements"),
  callback("proxy_on_grpc_receive", "root_context_id token message_size"),
  callback("proxy_on_grpc_receive_trailing_metadata", "root_context_id token num_elements"),
  callback("proxy_on_grpc_close", "root_context_id token status_code"),
  callback("proxy_on_queue_ready", "root_context_id queue_id"),
  callback("proxy_on_foreign_function", "root_context_id function_id args_size"),
  callback("proxy_on_done", "context_id", BOOL),
  callback("proxy_on_log", "context_id"),
  callback("proxy_on_delete", "context_id"),

  // Envoy looks these up too, though the 0.2.1 spec does not define them.
  guest(
    "proxy_validate_configuration",
    "root_context_id configuration_size",
    BOOL,
    "callback",
    false,
  ),
  guest("proxy_on_request_metadata", "context_id num_elements", ACTION, "callback", false),
  guest("proxy_on_response_metadata", "context_id num_elements", ACTION, "callback", false),
];

/** Allocator exports in the order Envoy tries them. */
export const ALLOCATOR_EXPORTS: readonly string[] = GUEST_EXPORTS.filter(
  (e) => e.role === "allocator",
).map((e) => e.name);

const guestByName = new Map(GUEST_EXPORTS.map((e) => [e.name, e]));

/** The export `name` as Envoy looks it up, if it does. */
export function findGuestExport(name: string): GuestExport | undefined {
  return guestByName.get(name);
}
