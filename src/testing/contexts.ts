// The host-side contexts: what each host call reads and writes depends on the context that is
// current (or effective). GuestContext has Envoy's defaults for a root context; HTTP streams
// and TCP connections override what they own.

import type { ResolvedPluginSettings } from "../plugin.ts";
import type { CalloutOwner, CalloutStatus } from "./callouts.ts";
import { HeaderMap } from "./headers.ts";
import { BROKEN_CONNECTION, BufferType, MapType, Status } from "./status.ts";
import type { Vm } from "./vm.ts";
import { type Pairs, utf8 } from "./wire.ts";
import type { QueueOwner, TickTarget } from "./world.ts";

/** A host byte buffer with Envoy's proxy_set_buffer_bytes rules. */
export class ByteBuffer {
  constructor(
    public bytes: Uint8Array,
    readonly mutable = true,
  ) {}

  /** start 0: drop `length` bytes then prepend; start ≥ size: append; otherwise BadArgument. */
  copyFrom(start: number, length: number, data: Uint8Array): number {
    if (!this.mutable) return Status.BadArgument;
    if (start === 0) {
      const rest = this.bytes.subarray(Math.min(length, this.bytes.length));
      const out = new Uint8Array(data.length + rest.length);
      out.set(data, 0);
      out.set(rest, data.length);
      this.bytes = out;
      return Status.Ok;
    }
    if (start >= this.bytes.length) {
      const out = new Uint8Array(this.bytes.length + data.length);
      out.set(this.bytes, 0);
      out.set(data, this.bytes.length);
      this.bytes = out;
      return Status.Ok;
    }
    return Status.BadArgument;
  }
}

const NO_STATUS: CalloutStatus = { code: 0, message: "" };

/** A local reply a filter asked for. */
export interface LocalReply {
  status: number;
  /** The body as text (UTF-8 decoded); `bodyBytes` is what is sent. */
  body: string;
  bodyBytes: Uint8Array;
  headers: Pairs;
  details: string;
  grpcStatus: number | null;
}

/** Base of the host-side contexts. Defaults are what Envoy does for a root context. */
export abstract class GuestContext {
  constructor(
    readonly vm: Vm,
    readonly id: number,
  ) {}

  abstract get root(): RootContextState;

  /** The map `type` if it exists in this callback; null otherwise (BadArgument). A callout's
   *  response maps and gRPC metadata are read-only: Envoy's writable lookup (used by every
   *  edit, proxy_set_header_map_pairs and proxy_get_header_map_size) knows only the stream's
   *  four maps, so asking for one of them to write gets null. */
  getMap(type: number, write: boolean): HeaderMap | null {
    return write ? null : this.root.calloutMap(type);
  }

  getBuffer(type: number): ByteBuffer | null {
    return this.root.rootBuffer(type);
  }

  /** An attribute (Envoy property) by path, already encoded (or the status Envoy answers
   *  instead): what every context can read. */
  property(path: string[]): Uint8Array | number | undefined {
    const dotted = path.join(".");
    const override = this.vm.world.properties.get(dotted);
    if (override) return override;
    switch (dotted) {
      case "plugin_name":
        return utf8(this.root.plugin.name);
      case "plugin_root_id":
        return utf8(this.root.plugin.rootId);
      case "plugin_vm_id":
        return utf8(this.vm.plugin.vmId);
    }
    return undefined;
  }

  setProperty(_path: string, _value: Uint8Array): number {
    return Status.NotFound;
  }

  continueStream(type: number): number {
    return type > 3 ? Status.BadArgument : type === 3 ? Status.Unimplemented : Status.Ok;
  }

  closeStream(type: number): number {
    return type > 3 ? Status.BadArgument : Status.Ok;
  }

  sendLocalResponse(_reply: LocalReply): number {
    return Status.Ok;
  }

  /** For set_envoy_filter_state / clear_route_cache: the stream's state, if any. */
  streamState(): { filterState: Map<string, Uint8Array>; routeCacheCleared: number } | null {
    return null;
  }
}

/** The root context: configuration buffers, callout responses, tick period. */
export class RootContextState extends GuestContext implements CalloutOwner, QueueOwner, TickTarget {
  configuring: Uint8Array | null = null;
  vmConfiguration: Uint8Array | null = null;
  callData: Uint8Array | null = null;
  callout: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap } | null = null;
  grpcMessage: Uint8Array | null = null;
  grpcMetadata: HeaderMap | null = null;
  tickPeriodMs = 0;
  nextTickAt = 0;
  /** The plugin this root serves: the VM's own, or another plugin sharing the VM. */
  readonly plugin: ResolvedPluginSettings;

  constructor(vm: Vm, id: number, plugin: ResolvedPluginSettings = vm.plugin) {
    super(vm, id);
    this.plugin = plugin;
  }
  /** What proxy_get_status reports: set while a failed callout's callback runs. */
  status: CalloutStatus = NO_STATUS;

  get root(): RootContextState {
    return this;
  }

  get vmId(): string {
    return this.vm.plugin.vmId;
  }

  get listening(): boolean {
    return !this.vm.failed && this.vm.contexts.has(this.id);
  }

  // ---- what the world and callouts call back into ---------------------------------------------

  tick(): void {
    if (!this.vm.failed) this.vm.call("proxy_on_tick", this, this.id);
  }

  queueReady(token: number): void {
    if (this.vm.contexts.has(this.id) && !this.vm.failed) {
      this.vm.call("proxy_on_queue_ready", this, this.id, token);
    }
  }

  httpCallResponse(
    token: number,
    response: { headers: HeaderMap; body: Uint8Array; trailers: HeaderMap } | null,
  ): void {
    if (!response) {
      this.withStatus({ code: BROKEN_CONNECTION, message: "reset" }, () =>
        this.vm.call("proxy_on_http_call_response", this, this.id, token, 0, 0, 0),
      );
      return;
    }
    this.callout = response;
    try {
      this.vm.call(
        "proxy_on_http_call_response",
        this,
        this.id,
        token,
        response.headers.count,
        response.body.length,
        response.trailers.count,
      );
    } finally {
      this.callout = null;
    }
  }

  grpcReceive(token: number, message: Uint8Array): void {
    this.grpcMessage = message;
    try {
      this.vm.call("proxy_on_grpc_receive", this, this.id, token, message.length);
    } finally {
      this.grpcMessage = null;
    }
  }

  grpcInitialMetadata(token: number, metadata: HeaderMap): void {
    this.withMetadata(metadata, "proxy_on_grpc_receive_initial_metadata", token);
  }

  grpcTrailingMetadata(token: number, metadata: HeaderMap): void {
    this.withMetadata(metadata, "proxy_on_grpc_receive_trailing_metadata", token);
  }

  grpcClose(token: number, status: CalloutStatus): void {
    this.withStatus(status, () =>
      this.vm.call("proxy_on_grpc_close", this, this.id, token, status.code),
    );
  }

  private withMetadata(metadata: HeaderMap, callback: string, token: number): void {
    this.grpcMetadata = metadata;
    try {
      this.vm.call(callback, this, this.id, token, metadata.count);
    } finally {
      this.grpcMetadata = null;
    }
  }

  private withStatus(status: CalloutStatus, run: () => void): void {
    this.status = status;
    try {
      run();
    } finally {
      this.status = NO_STATUS;
    }
  }

  /** proxy_on_delete, once the root context is done (proxy_on_done or proxy_done). */
  delete(): void {
    this.vm.call("proxy_on_delete", this, this.id);
    this.vm.contexts.delete(this.id);
  }

  calloutMap(type: number): HeaderMap | null {
    if (type === MapType.HttpCallResponseHeaders) return this.callout?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return this.callout?.trailers ?? null;
    if (
      type === MapType.GrpcReceiveInitialMetadata ||
      type === MapType.GrpcReceiveTrailingMetadata
    ) {
      return this.grpcMetadata;
    }
    return null;
  }

  rootBuffer(type: number): ByteBuffer | null {
    switch (type) {
      case BufferType.VmConfiguration:
        return new ByteBuffer(this.vm.plugin.vmConfiguration, false);
      case BufferType.PluginConfiguration:
        return this.configuring ? new ByteBuffer(this.configuring, false) : null;
      case BufferType.HttpCallResponseBody:
        return this.callout ? new ByteBuffer(this.callout.body, false) : null;
      case BufferType.GrpcReceiveBuffer:
        return this.grpcMessage ? new ByteBuffer(this.grpcMessage, false) : null;
      case BufferType.CallData:
        return new ByteBuffer(this.callData ?? new Uint8Array(0), false);
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody:
      case BufferType.DownstreamData:
      case BufferType.UpstreamData:
        // Envoy hands back an empty buffer object outside the callbacks that fill it.
        return new ByteBuffer(new Uint8Array(0), false);
      default:
        return null;
    }
  }
}

/**
 * The headers of a local reply as Envoy's connection manager builds them: `:status`, the
 * filter's headers, then for a body its content-length and (unless the filter gave one)
 * `content-type: text/plain`; without a body no content-type at all.
 */
export function localReplyHeaders(status: number, headers: Pairs, body: Uint8Array): HeaderMap {
  const map = new HeaderMap([[":status", String(status)]]);
  for (const [k, v] of headers) map.add(k, v);
  if (body.length > 0) {
    map.set("content-length", String(body.length));
    if (!map.has("content-type")) map.add("content-type", "text/plain");
  } else {
    map.remove("content-type");
  }
  return map;
}

/** Envoy's mapping of an HTTP status to a gRPC status, for a local reply that names none. */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

/** gRPC's percent-encoding of `grpc-message`: bytes outside printable ASCII, and `%`. */
function percentEncode(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    out +=
      b < 0x20 || b > 0x7e || b === 0x25
        ? `%${b.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(b);
  }
  return out;
}

/** A request Envoy treats as gRPC: its content-type is `application/grpc`, or that with `+` or `;`. */
export function isGrpcRequest(headers: HeaderMap | null): boolean {
  const type = headers?.get("content-type");
  if (type === undefined) return false;
  return type === "application/grpc" || /^application\/grpc[+;]/.test(type);
}

/**
 * A local reply to a gRPC request as Envoy builds it: a trailers-only response, `:status 200`,
 * `content-type: application/grpc`, the filter's headers, `grpc-status` (the one given, or the
 * HTTP status mapped) and the body as `grpc-message` (percent-encoded; none for an empty body).
 */
export function grpcLocalReplyHeaders(reply: LocalReply): HeaderMap {
  const map = new HeaderMap([[":status", "200"]]);
  for (const [k, v] of reply.headers) map.add(k, v);
  map.set("content-type", "application/grpc");
  map.set("grpc-status", String(reply.grpcStatus ?? grpcStatusForHttp(reply.status)));
  if (reply.bodyBytes.length > 0) map.set("grpc-message", percentEncode(reply.bodyBytes));
  map.set("content-length", "0");
  return map;
}
