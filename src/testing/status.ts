// Values of the proxy-wasm ABI 0.2.1 enums the host speaks, and the errors it raises.

/** proxy_status_t (WasmResult in Envoy). */
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
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcInitialMetadata: 4,
  GrpcTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;

export const BufferType = {
  RequestBody: 0,
  ResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3 } as const;

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
