// The proxy-wasm ABI 0.2.1 enums the host speaks (names and values as the SDK spells them),
// and the errors the host raises.

/** What a stream callback returns (proxy_action_t, with Envoy's header statuses 2–4). */
export const Action = {
  Continue: 0,
  Pause: 1,
  ContinueAndEndStream: 2,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
} as const;

/** proxy_status_t: what every host call returns. */
export const Status = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  InternalFailure: 10,
  Unimplemented: 12,
} as const;

/** Envoy's WasmResult for a callout the upstream reset: not a host-call status, but the code
 *  proxy_get_status reports inside onHttpCallResponse. */
export const BROKEN_CONNECTION = 11;

/** proxy_log_level_t. */
export const LogLevel = {
  Trace: 0,
  Debug: 1,
  Info: 2,
  Warn: 3,
  Error: 4,
  Critical: 5,
} as const;

/** proxy_buffer_type_t. */
export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;

/** proxy_map_type_t. */
export const MapType = {
  HttpRequestHeaders: 0,
  HttpRequestTrailers: 1,
  HttpResponseHeaders: 2,
  HttpResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;

/** proxy_stream_type_t. */
export const StreamType = { HttpRequest: 0, HttpResponse: 1, Downstream: 2, Upstream: 3 } as const;

/** proxy_metric_type_t. */
export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;

/** proxy_peer_type_t. */
export const PeerType = { Unknown: 0, Local: 1, Remote: 2 } as const;

/** gRPC status codes (local replies, gRPC call completion); None asks for a plain HTTP reply. */
export const GrpcStatus = {
  Ok: 0,
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
  None: -1,
} as const;

/** Every ABI enum the host speaks, by the name the SDK gives it (assembly/abi/types.ts); a
 *  test holds the two sides equal, names and values. */
export const ABI_ENUMS = {
  Action,
  Status,
  LogLevel,
  BufferType,
  MapType,
  StreamType,
  MetricType,
  PeerType,
  GrpcStatus,
} as const;

/** What a stream callback returned, by name. Envoy's header statuses 2–4 included. */
export type ActionName =
  | "Continue"
  | "Pause"
  | "ContinueAndEndStream"
  | "StopAllIterationAndBuffer"
  | "StopAllIterationAndWatermark";

const ACTION_NAMES: readonly ActionName[] = [
  "Continue",
  "Pause",
  "ContinueAndEndStream",
  "StopAllIterationAndBuffer",
  "StopAllIterationAndWatermark",
];

export function actionName(value: number): ActionName {
  return ACTION_NAMES[Math.min(value, 4)] ?? "Continue";
}

export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error" | "critical";
export const LOG_LEVELS: readonly LogLevelName[] = [
  "trace",
  "debug",
  "info",
  "warn",
  "error",
  "critical",
];

/** The module cannot be loaded, the way Envoy refuses it (missing import, export, ABI marker). */
export class WasmLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmLoadError";
  }
}

/** A trap (or a refused start or configuration) inside a named guest function. */
export class WasmTrapError extends Error {
  constructor(
    /** The export that was running, e.g. "proxy_on_request_headers" or "_initialize". */
    readonly callback: string,
    readonly reason: string,
  ) {
    super(`Function: ${callback} failed: ${reason}`);
    this.name = "WasmTrapError";
  }
}

/** onVmStart or onConfigure returned false: Envoy refuses the plugin. */
export class PluginStartError extends Error {
  constructor(
    readonly callback: "proxy_on_vm_start" | "proxy_on_configure",
    readonly logs: string[],
  ) {
    super(
      callback === "proxy_on_vm_start"
        ? "Failed to start Wasm VM: proxy_on_vm_start returned false"
        : "Unable to configure Wasm plugin: proxy_on_configure returned false" +
            (logs.length ? ` (plugin logged: ${logs.join(" | ")})` : ""),
    );
    this.name = "PluginStartError";
  }
}
