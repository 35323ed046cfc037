// The guest-facing side of one HTTP stream: what the host functions read and write while the
// stream's context is current (header maps, bodies, attributes, filter state) and how
// proxy_continue_stream, proxy_close_stream and proxy_send_local_response reach the
// filter-manager state machine (http.ts). The state machine runs the callbacks; this serves
// the calls the guest makes from them.

import { type ConnectionInfo, HTTP_ATTRIBUTES, type StreamFacts } from "./attributes.ts";
import { ByteBuffer, GuestContext, type LocalReply, type RootContextState } from "./contexts.ts";
import type { HeaderMap } from "./headers.ts";
import { BufferType, MapType, Status, StreamType, WasmTrapError } from "./status.ts";
import type { Vm } from "./vm.ts";
import { encodeAttribute, encodeProperty } from "./world.ts";

export type { ConnectionInfo } from "./attributes.ts";

export type Direction = "request" | "response";

/** One direction of the stream as the host functions see it. */
export interface SideView {
  readonly headers: HeaderMap | null;
  /** The filter holds the headers (Envoy keeps its pointer to them). */
  readonly headersAvailable: boolean;
  readonly trailers: HeaderMap | null;
  readonly trailersAvailable: boolean;
  /** The body the current callback sees, if a body callback is running or buffering. */
  readonly body: ByteBuffer | null;
}

/** What the context needs of the filter-manager state machine. */
export interface StreamControl {
  readonly request: SideView;
  readonly response: SideView;
  /** In the access-log phase (onLog): headers are readable, not writable. */
  readonly accessLog: boolean;
  /** Body bytes received from the client, and sent to it, so far. */
  readonly requestBodyBytes: number;
  readonly responseBodyBytes: number;
  /** The router has the request headers (and chose an upstream host). */
  readonly upstreamChosen: boolean;
  /** Why the response is what it is: "via_upstream", or a local reply's details. */
  readonly responseDetails: string | null;
  /** proxy_continue_stream, run after the callback that asked for it. */
  continueAfterCallback(dir: Direction): void;
  /** proxy_close_stream: resets the stream after the callback. */
  resetAfterCallback(): void;
  /** proxy_send_local_response: sent after the callback returns. */
  localReplyAfterCallback(reply: LocalReply): void;
}

/** Shared empty body: arrays are replaced, never written in place, so one instance serves all. */
const EMPTY = new Uint8Array(0) as Uint8Array;

/** Why a response continue before the response reached the filter traps: Envoy 1.40 dies on it
 *  (its filter manager goes on encoding response headers it does not have), from any callback,
 *  whether the request is held or not. The SDK's continueResponse refuses it. */
const CONTINUE_CRASHES_ENVOY =
  "proxy_continue_stream(HttpResponse) before the response reached the filter: " +
  "Envoy 1.40 crashes here (segmentation fault)";

export class HttpContext extends GuestContext {
  private filterStateMap: Map<string, Uint8Array> | null = null;
  routeCacheCleared = 0;
  private readonly startedAtMs: number;

  constructor(
    vm: Vm,
    id: number,
    private readonly rootState: RootContextState,
    readonly connection: ConnectionInfo,
    private readonly stream: StreamControl,
  ) {
    super(vm, id);
    this.startedAtMs = vm.world.clock.nowMs();
  }

  get root(): RootContextState {
    return this.rootState;
  }

  override getMap(type: number, write: boolean): HeaderMap | null {
    const { request, response, accessLog } = this.stream;
    const readOnly = accessLog && !write;
    switch (type) {
      case MapType.HttpRequestHeaders:
        return request.headersAvailable || readOnly ? request.headers : null;
      case MapType.HttpResponseHeaders:
        return response.headersAvailable || readOnly ? response.headers : null;
      case MapType.HttpRequestTrailers:
        return request.trailersAvailable ? request.trailers : null;
      case MapType.HttpResponseTrailers:
        return response.trailersAvailable || readOnly ? response.trailers : null;
      default:
        return super.getMap(type, write);
    }
  }

  override getBuffer(type: number): ByteBuffer | null {
    if (type === BufferType.HttpRequestBody) {
      return this.stream.request.body ?? new ByteBuffer(EMPTY, false);
    }
    if (type === BufferType.HttpResponseBody) {
      return this.stream.response.body ?? new ByteBuffer(EMPTY, false);
    }
    return super.getBuffer(type);
  }

  /** Filter state set through proxy_set_property and set_envoy_filter_state. */
  get filterState(): Map<string, Uint8Array> {
    this.filterStateMap ??= new Map();
    return this.filterStateMap;
  }

  override streamState() {
    return this;
  }

  override setProperty(path: string, value: Uint8Array): number {
    this.filterState.set(`wasm.${path}`, value.slice());
    return Status.Ok;
  }

  override property(path: string[]): Uint8Array | number | undefined {
    // Stryker disable next-line ConditionalExpression: equivalent, a one-segment path joined is that segment; the branch saves the join
    const dotted = path.length === 1 ? (path[0] as string) : path.join(".");
    const overrides = this.vm.world.properties;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, an empty map's get answers undefined; the size check saves the lookup
    const override = overrides.size > 0 ? overrides.get(dotted) : undefined;
    if (override) return override;
    const state = path.length === 1 ? this.filterStateMap?.get(`wasm.${path[0]}`) : undefined;
    if (state) return state;
    const value = this.attribute(dotted);
    if (value !== undefined) return encodeAttribute(value);
    // A field of a map attribute (request.headers.<name>): Envoy indexes CEL maps by key.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a one-segment path's parent is "", which names no attribute
    if (path.length > 1) {
      const parent = HTTP_ATTRIBUTES[path.slice(0, -1).join(".")]?.(this.facts());
      if (Array.isArray(parent)) {
        const key = path[path.length - 1];
        const found = parent.find(([k]) => k === key);
        return found ? encodeProperty(found[1]) : undefined;
      }
    }
    return super.property(path);
  }

  /** Envoy's request/response/connection attributes for this stream. */
  private attribute(dotted: string) {
    const read = HTTP_ATTRIBUTES[dotted];
    if (!read) return undefined;
    this.vm.world.coverage.attributeCell(dotted).count++;
    return read(this.facts());
  }

  private facts(): StreamFacts {
    const s = this.stream;
    const clock = this.vm.world.clock;
    const nowNanos = clock.nowNanos();
    return {
      requestHeaders: s.request.headersAvailable || s.accessLog ? s.request.headers : null,
      responseHeaders: s.response.headersAvailable || s.accessLog ? s.response.headers : null,
      response: s.response.headers,
      responseTrailers: s.response.trailers,
      requestBodyBytes: s.requestBodyBytes,
      responseBodyBytes: s.responseBodyBytes,
      upstreamChosen: s.upstreamChosen,
      responseDetails: s.responseDetails,
      accessLog: s.accessLog,
      connection: this.connection,
      startedAtNanos: nowNanos - BigInt(Math.round((clock.nowMs() - this.startedAtMs) * 1e6)),
      nowNanos,
    };
  }

  override continueStream(type: number): number {
    if (type === StreamType.HttpRequest) {
      this.stream.continueAfterCallback("request");
      return Status.Ok;
    }
    if (type === StreamType.HttpResponse) {
      if (this.stream.response.headers === null) {
        // Stryker disable next-line StringLiteral: equivalent, only the guest calls proxy_continue_stream, so a callback is always running here
        throw new WasmTrapError(this.vm.running ?? "(host)", CONTINUE_CRASHES_ENVOY);
      }
      this.stream.continueAfterCallback("response");
      return Status.Ok;
    }
    return super.continueStream(type);
  }

  override closeStream(type: number): number {
    if (type === StreamType.HttpRequest || type === StreamType.HttpResponse) {
      this.stream.resetAfterCallback();
      return Status.Ok;
    }
    return super.closeStream(type);
  }

  override sendLocalResponse(reply: LocalReply): number {
    this.stream.localReplyAfterCallback(reply);
    return Status.Ok;
  }
}
