// One HTTP stream through the filter: the filter-manager state machine, with Envoy's rules for
// a single Wasm filter in front of the router (the host calls the guest makes from these
// callbacks are served by the stream's HttpContext, http-context.ts):
// - Pause on headers is StopAllIterationAndWatermark (unless allow_on_headers_stop_iteration):
//   body and trailers are held and reach the filter only after continueRequest/Response.
// - Pause on a body chunk buffers: the next call sees the whole body so far.
// - Request headers are only readable while the filter holds them (Envoy drops its pointer
//   when onRequestHeaders returns Continue or after proxy_continue_stream).
// - A local reply runs after the callback returns; from the request path it goes through the
//   filter's response callbacks, from the response path it replaces the response directly.

import {
  ByteBuffer,
  type GuestContext,
  type LocalReply,
  type RootContextState,
} from "./contexts.ts";
import { HeaderMap } from "./headers.ts";
import {
  type ConnectionInfo,
  type Direction,
  HttpContext,
  type SideView,
  type StreamControl,
} from "./http-context.ts";
import { type ActionName, actionName, WasmTrapError } from "./status.ts";
import type { Vm } from "./vm.ts";
import { utf8 } from "./wire.ts";

export type { ConnectionInfo } from "./http-context.ts";

/** What has passed the filter in one direction (toward the upstream or the client). */
export interface PassedMessage {
  headers: HeaderMap | null;
  body: Uint8Array;
  trailers: HeaderMap | null;
  /** True once the end of stream passed. */
  complete: boolean;
}

/** One callback the filter ran and what it returned. */
export interface Step {
  callback: string;
  action: ActionName;
}

/** Shared empty body: arrays are replaced, never written in place, so one instance serves all. */
const EMPTY = new Uint8Array(0) as Uint8Array;

class Side implements SideView {
  headers: HeaderMap | null = null;
  headersAvailable = false;
  headersPassed = false;
  stoppedAll = false;
  bodyBuffering = false;
  accumulated = EMPTY;
  held = EMPTY;
  heldTrailers: HeaderMap | null = null;
  trailers: HeaderMap | null = null;
  trailersAvailable = false;
  body: ByteBuffer | null = null;
  endOfStream = false;
  readonly passed: PassedMessage = {
    headers: null,
    body: EMPTY,
    trailers: null,
    complete: false,
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBufferLike> {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class HttpStream implements StreamControl {
  readonly request = new Side();
  readonly response = new Side();
  readonly steps: Step[] = [];
  /** The guest-facing side: what host calls made from this stream's callbacks act on. */
  readonly context: HttpContext;
  /** The local reply the filter sent, if any. */
  localReply: LocalReply | null = null;
  /** True when the filter (or a failure) reset the stream. */
  reset = false;
  /** Set when a trap failed the VM during this stream. */
  trap: WasmTrapError | null = null;
  private created = false;
  accessLog = false;
  private finished = false;
  /** Local reply is being sent through the response callbacks. */
  private replying = false;
  /** Called whenever something passes the filter (the pipeline forwards it). */
  onProgress: (() => void) | null = null;

  constructor(
    private readonly vm: Vm,
    readonly id: number,
    private readonly rootState: RootContextState,
    connection: ConnectionInfo,
    /** Without a VM context (failed VM under FAIL_OPEN) the stream passes untouched. */
    private readonly passthrough: boolean,
  ) {
    this.context = new HttpContext(vm, id, rootState, connection, this);
  }

  get connection(): ConnectionInfo {
    return this.context.connection;
  }

  /** Filter state set through proxy_set_property and set_envoy_filter_state. */
  get filterState(): Map<string, Uint8Array> {
    return this.context.filterState;
  }

  /** How often the filter called clear_route_cache. */
  get routeCacheCleared(): number {
    return this.context.routeCacheCleared;
  }

  // ---- what the context asks for on the guest's behalf ---------------------------------------

  continueAfterCallback(dir: Direction): void {
    this.vm.defer(() => this.resume(dir));
    if (dir === "request") this.request.headersAvailable = false;
  }

  resetAfterCallback(): void {
    this.vm.defer(() => {
      this.reset = true;
      this.progress();
    });
  }

  localReplyAfterCallback(reply: LocalReply): void {
    this.vm.defer(() => this.sendLocal(reply));
  }

  // ---- driving ---------------------------------------------------------------------------------

  private ensureCreated(): boolean {
    if (this.passthrough) return false;
    if (!this.created) {
      this.created = true;
      this.vm.contexts.set(this.id, this.context);
      const created = this.guard(
        "proxy_on_context_create",
        this.rootState,
        false,
        this.id,
        this.rootState.id,
      );
      if (created === false) {
        return false;
      }
    }
    return !this.vm.failed;
  }

  /** Runs a guest call; a trap fails the stream per the failure policy. Returns false on trap. */
  private guard(
    name: string,
    ctx: GuestContext,
    record: boolean,
    a: number,
    b = 0,
    c = 0,
  ): number | false {
    try {
      const result = this.vm.call(name, ctx, a, b, c);
      if (record) this.steps.push({ callback: name, action: actionName(result) });
      return result;
    } catch (error) {
      if (!(error instanceof WasmTrapError)) throw error;
      this.trap = error;
      if (record) this.steps.push({ callback: name, action: "Continue" });
      this.failStream();
      return false;
    }
  }

  /**
   * Envoy's failStream: the stream that hit the failure gets a 503 with an empty body whatever
   * the failure policy (fail_open only lets later streams bypass the failed VM).
   */
  private failStream(): void {
    this.sendLocal(
      { status: 503, body: "", headers: [], details: "wasm_fail_stream", grpcStatus: 14 },
      true,
    );
  }

  /** Converts a header callback's result the way proxy-wasm-cpp-host and Envoy do. */
  private headersAction(raw: number): "continue" | "stop" | "stopAll" {
    if (raw === 0 || raw === 2) return "continue";
    if (raw === 1 && this.vm.plugin.allowOnHeadersStopIteration) return "stop";
    return "stopAll";
  }

  private side(dir: Direction): Side {
    return dir === "request" ? this.request : this.response;
  }

  private get ended(): boolean {
    return this.reset || (this.localReply !== null && !this.replying);
  }

  /** Request headers from the client. */
  sendRequestHeaders(headers: HeaderMap, endOfStream: boolean): ActionName {
    return this.headersIn("request", headers, endOfStream);
  }

  sendRequestBody(chunk: Uint8Array, endOfStream: boolean): ActionName {
    return this.bodyIn("request", chunk, endOfStream);
  }

  sendRequestTrailers(trailers: HeaderMap): ActionName {
    return this.trailersIn("request", trailers);
  }

  /** Response headers from the upstream. */
  sendResponseHeaders(headers: HeaderMap, endOfStream: boolean): ActionName {
    return this.headersIn("response", headers, endOfStream);
  }

  sendResponseBody(chunk: Uint8Array, endOfStream: boolean): ActionName {
    return this.bodyIn("response", chunk, endOfStream);
  }

  sendResponseTrailers(trailers: HeaderMap): ActionName {
    return this.trailersIn("response", trailers);
  }

  private headersIn(dir: Direction, headers: HeaderMap, endOfStream: boolean): ActionName {
    const s = this.side(dir);
    s.headers = headers;
    s.endOfStream = endOfStream;
    if (this.ended && dir === "request") return "Continue";
    if (this.response.passed.headers && dir === "response" && !this.replying) return "Continue";
    if (!this.ensureCreated() || (this.response.passed.complete && dir === "response")) {
      if (this.vm.failed && !this.passthrough && !this.trap && dir === "request") this.failStream();
      if (!this.ended || this.replying) this.passHeaders(dir);
      return "Continue";
    }
    s.headersAvailable = true;
    const name = dir === "request" ? "proxy_on_request_headers" : "proxy_on_response_headers";
    const raw = this.guard(name, this.context, true, this.id, headers.count, endOfStream ? 1 : 0);
    if (raw === false) {
      s.headersAvailable = false;
      return "Continue";
    }
    const kind = this.headersAction(raw);
    if (kind === "continue") {
      s.headersAvailable = false;
      if (!this.ended || (dir === "response" && this.replying)) this.passHeaders(dir);
    } else {
      s.stoppedAll = kind === "stopAll";
    }
    return actionName(raw);
  }

  private passHeaders(dir: Direction): void {
    const s = this.side(dir);
    if (s.headersPassed || !s.headers) return;
    s.headersPassed = true;
    // The same map object goes on, as in Envoy's filter chain.
    s.passed.headers = s.headers;
    if (s.endOfStream && s.held.length === 0 && !s.heldTrailers && !s.bodyBuffering)
      s.passed.complete = true;
    this.progress();
  }

  private bodyIn(dir: Direction, chunk: Uint8Array, endOfStream: boolean): ActionName {
    const s = this.side(dir);
    s.endOfStream = endOfStream;
    if (this.ended && !(dir === "response" && this.replying)) return "Continue";
    if (s.stoppedAll) {
      s.held = concat(s.held, chunk);
      return "Pause";
    }
    return this.deliverBody(dir, chunk, endOfStream);
  }

  private deliverBody(dir: Direction, chunk: Uint8Array, endOfStream: boolean): ActionName {
    const s = this.side(dir);
    if (this.passthrough || this.vm.failed || !this.created) {
      this.passBody(dir, chunk, endOfStream);
      return "Continue";
    }
    s.body = new ByteBuffer(s.bodyBuffering ? concat(s.accumulated, chunk) : chunk);
    const name = dir === "request" ? "proxy_on_request_body" : "proxy_on_response_body";
    const raw = this.guard(
      name,
      this.context,
      true,
      this.id,
      s.body.bytes.length,
      endOfStream ? 1 : 0,
    );
    const bytes = s.body.bytes;
    s.bodyBuffering = false;
    s.accumulated = EMPTY;
    if (raw === false) {
      s.body = null;
      return "Continue";
    }
    if (this.ended && !(dir === "response" && this.replying)) {
      s.body = null;
      return actionName(raw);
    }
    if (raw === 0) {
      s.body = null;
      this.passBody(dir, bytes, endOfStream);
    } else {
      s.bodyBuffering = true;
      s.accumulated = bytes;
    }
    return actionName(raw);
  }

  private passBody(dir: Direction, bytes: Uint8Array, endOfStream: boolean): void {
    const s = this.side(dir);
    if (!s.headersPassed) this.passHeaders(dir);
    s.passed.body = concat(s.passed.body, bytes);
    if (endOfStream && !s.heldTrailers) s.passed.complete = true;
    this.progress();
  }

  private trailersIn(dir: Direction, trailers: HeaderMap): ActionName {
    const s = this.side(dir);
    s.endOfStream = true;
    s.trailers = trailers;
    if (this.ended) return "Continue";
    if (s.stoppedAll || s.bodyBuffering || !s.headersPassed) {
      s.heldTrailers = trailers;
      return "Pause";
    }
    return this.deliverTrailers(dir, trailers);
  }

  private deliverTrailers(dir: Direction, trailers: HeaderMap): ActionName {
    const s = this.side(dir);
    s.heldTrailers = null;
    if (this.passthrough || this.vm.failed) {
      this.passTrailers(dir, trailers);
      return "Continue";
    }
    s.trailersAvailable = true;
    const name = dir === "request" ? "proxy_on_request_trailers" : "proxy_on_response_trailers";
    const raw = this.guard(name, this.context, true, this.id, trailers.count);
    if (raw === false || raw === 0) {
      s.trailersAvailable = false;
      if (!this.ended) this.passTrailers(dir, trailers);
      return "Continue";
    }
    s.heldTrailers = trailers;
    return actionName(raw);
  }

  private passTrailers(dir: Direction, trailers: HeaderMap): void {
    const s = this.side(dir);
    if (!s.headersPassed) this.passHeaders(dir);
    s.passed.trailers = trailers.clone();
    s.passed.complete = true;
    this.progress();
  }

  /** proxy_continue_stream, after the callback that asked for it returned. */
  private resume(dir: Direction): void {
    const s = this.side(dir);
    if (this.ended || s.passed.complete) return;
    if (!s.headersPassed) {
      s.headersAvailable = dir === "response" && s.headersAvailable;
      const hadBody = s.held.length > 0;
      const wasStoppedAll = s.stoppedAll;
      s.stoppedAll = false;
      this.passHeaders(dir);
      if (wasStoppedAll && hadBody) {
        const held = s.held;
        s.held = EMPTY;
        this.deliverBody(dir, held, s.endOfStream && !s.heldTrailers);
      }
      if (s.heldTrailers && !this.ended && !s.bodyBuffering)
        this.deliverTrailers(dir, s.heldTrailers);
      return;
    }
    if (s.bodyBuffering) {
      s.bodyBuffering = false;
      const bytes = s.body?.bytes ?? s.accumulated;
      s.accumulated = EMPTY;
      s.body = null;
      this.passBody(dir, bytes, s.endOfStream && !s.heldTrailers);
      if (s.heldTrailers) this.deliverTrailers(dir, s.heldTrailers);
      return;
    }
    if (s.heldTrailers) {
      const t = s.heldTrailers;
      s.heldTrailers = null;
      s.trailersAvailable = false;
      this.passTrailers(dir, t);
    }
  }

  private sendLocal(reply: LocalReply, failure = false): void {
    if (this.localReply || this.reset) return;
    this.localReply = reply;
    const headers = new HeaderMap([[":status", String(reply.status)]]);
    const body = utf8(reply.body);
    if (body.length > 0) {
      headers.add("content-length", String(body.length));
      headers.add("content-type", "text/plain");
    }
    for (const [k, v] of reply.headers) headers.add(k, v);
    const r = this.response;
    if (r.passed.headers) {
      // Headers already went to the client: Envoy can only reset.
      this.reset = true;
      this.progress();
      return;
    }
    if (r.headers && !failure) {
      // Response in progress but not yet sent: a direct reply that skips the filter.
      r.passed.headers = headers;
      r.passed.body = body;
      r.passed.complete = true;
      r.headersPassed = true;
      this.progress();
      return;
    }
    // From the request path: through the filter's response callbacks (unless it failed).
    this.replying = true;
    r.headers = null;
    if (failure || !this.created || this.vm.failed) {
      r.passed.headers = headers;
      r.passed.body = body;
      r.passed.complete = true;
      r.headersPassed = true;
    } else {
      this.headersIn("response", headers, body.length === 0);
      if (body.length > 0) this.bodyIn("response", body, true);
    }
    this.replying = false;
    this.progress();
  }

  private progress(): void {
    this.onProgress?.();
  }

  /** The client went away (or the test resets the stream): Envoy then logs and destroys the
   *  filter as for a finished stream. */
  resetByClient(): void {
    this.reset = true;
    this.complete();
  }

  /** The stream is over: onLog (access-log phase), then onDone and onDelete, as Envoy does. */
  complete(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.created || this.vm.failed) {
      this.vm.contexts.delete(this.id);
      return;
    }
    this.accessLog = true;
    this.request.headersAvailable = false;
    this.response.headersAvailable = false;
    this.guard("proxy_on_log", this.context, false, this.id);
    this.accessLog = false;
    if (!this.vm.failed) this.guard("proxy_on_done", this.context, false, this.id);
    if (!this.vm.failed) this.guard("proxy_on_delete", this.context, false, this.id);
    this.vm.contexts.delete(this.id);
  }
}
