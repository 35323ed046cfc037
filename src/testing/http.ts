// One HTTP stream through the filter: the filter-manager state machine, with Envoy's rules for
// a single Wasm filter in front of the router (the host calls the guest makes from these
// callbacks are served by the stream's HttpContext, http-context.ts):
// - Pause on headers is StopAllIterationAndWatermark (unless allow_on_headers_stop_iteration):
//   body and trailers are held and reach the filter only after continueRequest/Response.
//   With it, StopIteration holds the headers alone: body and trailers reach the filter, and a
//   Continue from either, or a continue, sends the headers and any buffered body on first.
// - Pause on a body chunk buffers: the next call sees the whole body so far.
// - Request headers are only readable while the filter holds them (Envoy drops its pointer
//   when onRequestHeaders returns Continue or after proxy_continue_stream).
// - A local reply runs after the callback returns; from the request path it goes through the
//   filter's response callbacks (which may hold it until the filter continues the response),
//   from the response path it replaces the response directly. So does a second reply, or a
//   failure, while the first is still in the filter.

import {
  ByteBuffer,
  type GuestContext,
  grpcLocalReplyHeaders,
  isGrpcRequest,
  type LocalReply,
  localReplyHeaders,
  type RootContextState,
} from "./contexts.ts";
import type { HeaderMap } from "./headers.ts";
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

/** A local reply Envoy itself sends (plain text). */
function envoyReply(status: number, text: string, details: string): LocalReply {
  return { status, body: text, bodyBytes: utf8(text), headers: [], details, grpcStatus: null };
}

/**
 * Envoy's reply to a body the filter buffered past the connection's buffer limit: 413 on the
 * request path (through the filter's response callbacks); 500 on the response path, which
 * goes to the client directly while the response headers are held and becomes a reset once
 * they went (sendLocal's rules for a reply from the response path).
 */
function tooLargeReply(dir: Direction): LocalReply {
  return dir === "request"
    ? envoyReply(413, "Payload Too Large", "request_payload_too_large")
    : envoyReply(500, "Internal Server Error", "response_payload_too_large");
}

/** The header Envoy's router adds with the route's timeout (15 s by default). */
const ROUTER_TIMEOUT = "x-envoy-expected-rq-timeout-ms";

/** A :status Envoy's codec can send: three digits. */
const VALID_STATUS = /^[1-9][0-9]{2}$/;

/** Shared empty body: arrays are replaced, never written in place, so one instance serves all. */
const EMPTY = new Uint8Array(0) as Uint8Array;

class Side implements SideView {
  headers: HeaderMap | null = null;
  // Stryker disable next-line BooleanLiteral: equivalent, headersIn sets the flag before any callback can read the side's headers; where it stores them without getting there, no VM context can read them (none, or a failed VM) or the flag was set for the local reply the filter saw first
  headersAvailable = false;
  headersPassed = false;
  stoppedAll = false;
  bodyBuffering = false;
  accumulated = EMPTY;
  held = EMPTY;
  heldTrailers: HeaderMap | null = null;
  trailers: HeaderMap | null = null;
  trailersAvailable = false;
  /** The filter's trailers callback ran (a resume then passes them, it does not rerun it). */
  trailersDelivered = false;
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
  /** The connection manager answered in the filter's place (e.g. an invalid :status). */
  private refused = false;
  /** Envoy's 413 for a request body buffered past the limit, settled before the body
   *  callback it goes out after: a reply the filter sends from that callback loses to it. */
  private limitReply: LocalReply | null = null;
  /** Body bytes received from the client so far (request.size). */
  requestBodyBytes = 0;
  /** Why the response is what it is (response.code_details). */
  responseDetails: string | null = null;
  /** The router checks the request (route, header values): set for requests that came
   *  through the connection manager (Host.request with Envoy's headers). */
  routerChecks = false;
  /** Called whenever something passes the filter (the pipeline forwards it). */
  onProgress: (() => void) | null = null;

  constructor(
    private readonly vm: Vm,
    readonly id: number,
    private readonly rootState: RootContextState,
    connection: ConnectionInfo,
    /** Without a VM context (failed VM under FAIL_OPEN) the stream passes untouched. */
    private readonly passthrough: boolean,
    /** A body the filter buffers beyond this is refused (the listener's buffer limit): 413 on
     *  the request path, 500 or a reset on the response path. */
    private readonly bufferLimitBytes = 1024 * 1024,
  ) {
    this.context = new HttpContext(vm, id, rootState, connection, this);
  }

  /** Body bytes sent to the client so far (response.size). */
  get responseBodyBytes(): number {
    return this.response.passed.body.length;
  }

  /** The router has the request headers and chose an upstream host. */
  get upstreamChosen(): boolean {
    return this.request.passed.headers !== null && !this.refused;
  }

  get connection(): ConnectionInfo {
    return this.context.connection;
  }

  /** Filter state set through proxy_set_property and set_envoy_filter_state. */
  get filterState(): Map<string, Uint8Array> {
    return this.context.filterState;
  }

  /** How often the stream's route cache was cleared: by the filter's clear_route_cache, and,
   *  as Envoy does for an ABI 0.2.1 module, by each change the filter made to request headers. */
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
      // The new stream is current, as in its callbacks (Envoy's ContextBase::onCreate).
      const created = this.guard(
        "proxy_on_context_create",
        this.context,
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
    // Recorded when the callback starts, so what its deferred actions run (a local reply's
    // response callbacks) comes after it; a trap leaves it as Continue, as Envoy goes on.
    const step: Step = { callback: name, action: "Continue" };
    if (record) this.steps.push(step);
    try {
      const result = this.vm.call(name, ctx, a, b, c);
      step.action = actionName(result);
      return result;
    } catch (error) {
      if (!(error instanceof WasmTrapError)) throw error;
      this.trap = error;
      this.failStream();
      return false;
    }
  }

  /**
   * Envoy's failStream: the stream that hit the failure gets a 503 with an empty body whatever
   * the failure policy (fail_open only lets later streams bypass the failed VM), and so does a
   * stream in flight on the VM at its next callback (observed with Envoy 1.40: a request body
   * or response headers that come after another stream's trap get the 503, fail_open or not).
   */
  private failStream(): void {
    this.sendLocal(
      {
        status: 503,
        body: "",
        bodyBytes: EMPTY,
        headers: [],
        details: "wasm_fail_stream",
        grpcStatus: 14,
      },
      true,
    );
  }

  /** Converts a header callback's result the way proxy-wasm-cpp-host and Envoy do. */
  private headersAction(raw: number): "continue" | "stop" | "stopAll" {
    if (raw === 0 || raw === 2) return "continue";
    if (raw === 1 && this.rootState.plugin.allowOnHeadersStopIteration) return "stop";
    return "stopAll";
  }

  private side(dir: Direction): Side {
    return dir === "request" ? this.request : this.response;
  }

  private get ended(): boolean {
    return this.reset || this.refused || (this.localReply !== null && !this.replying);
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

  /** The side a part of a message arrives on; a part after that side's end of stream is a
   *  test's mistake (Envoy's codec delivers nothing after it), refused with what to change. */
  private arriving(dir: Direction, part: "headers" | "body" | "trailers") {
    const s = this.side(dir);
    if (s.endOfStream && !this.ended) {
      throw new Error(
        `${dir} ${part} after the ${dir} ended: its end of stream came with an earlier part (send that part with endOfStream: false)`,
      );
    }
    return s;
  }

  private headersIn(dir: Direction, headers: HeaderMap, endOfStream: boolean): ActionName {
    const s = this.arriving(dir, "headers");
    if (dir === "response" && !this.replying && this.localReply === null) {
      this.responseDetails = "via_upstream";
    }
    s.headers = headers.asKind(dir === "request" ? "request-headers" : "response-headers");
    s.endOfStream = endOfStream;
    if (this.ended && dir === "request") return "Continue";
    if (this.response.passed.headers && dir === "response" && !this.replying) return "Continue";
    if (!this.ensureCreated() || (this.response.passed.complete && dir === "response")) {
      if (this.vm.failed && !this.passthrough) this.failStream();
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
    if (dir === "request" && this.routerChecks) {
      if (this.refusedByRouter(s.headers)) return;
      // The router adds its timeout to the request headers in place (the filter sees it in
      // onLog, and it goes upstream).
      if (!s.headers.has(ROUTER_TIMEOUT)) s.headers.add(ROUTER_TIMEOUT, "15000");
    }
    if (dir === "response" && !VALID_STATUS.test(s.headers.get(":status") ?? "")) {
      // Envoy's codec cannot send a response without a valid :status: the connection manager
      // answers 502 itself, past the filter, and the stream ends there.
      this.answerDirectly(502, "missing required header: :status");
      return;
    }
    s.headersPassed = true;
    // The same map object goes on, as in Envoy's filter chain.
    s.passed.headers = s.headers;
    if (s.endOfStream && s.held.length === 0 && !s.heldTrailers && !s.bodyBuffering)
      s.passed.complete = true;
    this.progress();
  }

  private bodyIn(dir: Direction, chunk: Uint8Array, endOfStream: boolean): ActionName {
    const s = this.arriving(dir, "body");
    if (dir === "request") this.requestBodyBytes += chunk.length;
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
    if (this.passthrough || !this.created) {
      this.passBody(dir, chunk, endOfStream);
      return "Continue";
    }
    if (this.vm.failed) {
      this.failStream();
      return "Continue";
    }
    const whole = s.bodyBuffering ? concat(s.accumulated, chunk) : chunk;
    if (s.bodyBuffering && whole.length > this.bufferLimitBytes) {
      // Envoy adds a chunk to the body the filter buffers before the filter's callback, and the
      // buffer passing the connection's limit settles the outcome there: on the request path a
      // 413 (the callback still runs, seeing the whole body, and the 413 goes out after it
      // whatever the filter returns or replies); on the response path, no callback.
      if (dir === "response") {
        s.bodyBuffering = false;
        s.accumulated = EMPTY;
        s.body = null;
        this.sendLocal(tooLargeReply(dir));
        return "Continue";
      }
      this.limitReply = tooLargeReply(dir);
    }
    s.body = new ByteBuffer(whole);
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
    const limitReply = this.limitReply;
    this.limitReply = null;
    if (raw === false) {
      s.body = null;
      return "Continue";
    }
    if (limitReply) {
      s.body = null;
      this.sendLocal(limitReply);
      return actionName(raw);
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
      if (bytes.length > this.bufferLimitBytes) {
        // The first chunk the filter buffers is already past the connection's buffer: Envoy
        // refuses it as it buffers it, after the callback.
        s.body = null;
        s.bodyBuffering = false;
        s.accumulated = EMPTY;
        this.sendLocal(tooLargeReply(dir));
      }
    }
    return actionName(raw);
  }

  private passBody(dir: Direction, bytes: Uint8Array, endOfStream: boolean): void {
    const s = this.side(dir);
    // Stryker disable next-line ConditionalExpression: equivalent, the `true` form: passHeaders returns at once when the headers passed; the `false` form, which the tests kill, goes with it
    if (!s.headersPassed) this.passHeaders(dir);
    s.passed.body = concat(s.passed.body, bytes);
    if (endOfStream && !s.heldTrailers) s.passed.complete = true;
    this.progress();
  }

  private trailersIn(dir: Direction, trailers: HeaderMap): ActionName {
    const s = this.arriving(dir, "trailers");
    s.endOfStream = true;
    s.trailers = trailers.asKind(dir === "request" ? "request-trailers" : "response-trailers");
    if (this.ended) return "Continue";
    // A body the filter is buffering does not hold the trailers back, nor headers it holds with
    // StopIteration: they end the body, the filter sees them, and continuing them sends the
    // headers and the buffered body first (Envoy's commonHandleAfterTrailersCallback).
    if (s.stoppedAll) {
      s.heldTrailers = trailers;
      return "Pause";
    }
    return this.deliverTrailers(dir, trailers);
  }

  /**
   * The filter's trailers callback. `afterStopAll`: the trailers were held by a header callback
   * that paused (StopAll) and the body callback, run on the continue, buffered the body. Envoy
   * 1.40 then runs the trailers callback a second time once the first continues, and the
   * buffered body never goes on (observed: the upstream gets the headers and trailers only).
   */
  private deliverTrailers(dir: Direction, trailers: HeaderMap, afterStopAll = false): ActionName {
    const s = this.side(dir);
    s.heldTrailers = null;
    if (this.passthrough) {
      this.passTrailers(dir, trailers);
      return "Continue";
    }
    if (this.vm.failed) {
      this.failStream();
      return "Continue";
    }
    s.trailersAvailable = true;
    s.trailersDelivered = true;
    const name = dir === "request" ? "proxy_on_request_trailers" : "proxy_on_response_trailers";
    let raw = this.guard(name, this.context, true, this.id, trailers.count);
    if (raw === 0 && afterStopAll && s.bodyBuffering && !this.ended) {
      raw = this.guard(name, this.context, true, this.id, trailers.count);
      s.bodyBuffering = false;
      s.accumulated = EMPTY;
      s.body = null;
    }
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
    // Stryker disable next-line ConditionalExpression: equivalent, the `true` form: passHeaders returns at once when the headers passed; the `false` form, which the tests kill, goes with it
    if (!s.headersPassed) this.passHeaders(dir);
    if (s.bodyBuffering) {
      // The buffered body as the filter left it: its trailers callback may have replaced it.
      this.passBuffered(dir, false);
    }
    s.passed.trailers = trailers.clone();
    s.passed.complete = true;
    this.progress();
  }

  /** Sends on the body the filter buffered, as its callbacks left it (a body or trailers
   *  callback may have replaced it). */
  private passBuffered(dir: Direction, endOfStream: boolean): void {
    const s = this.side(dir);
    s.bodyBuffering = false;
    const bytes = s.body?.bytes ?? s.accumulated;
    s.accumulated = EMPTY;
    s.body = null;
    this.passBody(dir, bytes, endOfStream);
  }

  /** Held trailers go on: to the filter if its trailers callback has not run yet, past it
   *  if it has (and paused them). */
  private continueTrailers(dir: Direction, trailers: HeaderMap, afterStopAll = false): void {
    const s = this.side(dir);
    if (!s.trailersDelivered) {
      this.deliverTrailers(dir, trailers, afterStopAll);
      return;
    }
    s.heldTrailers = null;
    s.trailersAvailable = false;
    if (!this.ended) this.passTrailers(dir, trailers);
  }

  /** proxy_continue_stream, after the callback that asked for it returned. A local reply's
   *  response the filter holds goes on like any other (Envoy 1.40 resumes it). */
  private resume(dir: Direction): void {
    const s = this.side(dir);
    if (s.passed.complete || this.reset) return;
    if (!this.ended) this.continueSide(dir, s);
    else if (dir === "response") {
      // All an ended stream can have left of its response is a local reply the filter holds
      // (every other reply goes out whole).
      this.replying = true;
      this.continueSide(dir, s);
      this.replying = false;
    }
  }

  private continueSide(dir: Direction, s: Side): void {
    if (!s.headersPassed) {
      // Stryker disable next-line LogicalOperator: equivalent, `||` differs only when the response's flag is false here, before its headers came (a paused response keeps it set): there is no map to read then, and their callback sets the flag anew; the request's was cleared by continueAfterCallback
      s.headersAvailable = dir === "response" && s.headersAvailable;
      const hadBody = s.held.length > 0;
      const wasStoppedAll = s.stoppedAll;
      s.stoppedAll = false;
      this.passHeaders(dir);
      if (wasStoppedAll && hadBody) {
        const held = s.held;
        s.held = EMPTY;
        this.deliverBody(dir, held, s.endOfStream && !s.heldTrailers);
      } else if (s.bodyBuffering && !this.ended) {
        // After StopIteration the body reached the filter: what it buffered goes on with the
        // headers (Envoy's commonContinue).
        this.passBuffered(dir, s.endOfStream);
      }
      if (s.heldTrailers && !this.ended) this.continueTrailers(dir, s.heldTrailers, wasStoppedAll);
      return;
    }
    // Stryker disable next-line ConditionalExpression: equivalent, the `true` form: with no body buffered passBuffered sends nothing, and it would end the stream only with the end seen and nothing held, which has already completed it (paused trailers take the same way through continueTrailers); the `false` form, which the tests kill, goes with it
    if (s.bodyBuffering) {
      this.passBuffered(dir, s.endOfStream && !s.heldTrailers);
      if (s.heldTrailers) this.continueTrailers(dir, s.heldTrailers);
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
    const r = this.response;
    // A second reply (or a failure's) while the first is still in the filter (from its response
    // callbacks, or while it holds them) replaces it: Envoy sends it directly, and the first
    // goes no further.
    if (this.reset || (this.localReply && r.passed.headers)) return;
    if (this.limitReply && !failure) return;
    this.localReply = reply;
    this.responseDetails = reply.details;
    // To a gRPC client Envoy answers trailers-only: the status and message go in headers.
    const grpc = isGrpcRequest(this.request.headers);
    const body = grpc ? EMPTY : reply.bodyBytes;
    const headers = grpc
      ? grpcLocalReplyHeaders(reply)
      : localReplyHeaders(reply.status, reply.headers, body);
    // A reply to HEAD keeps its content-length but sends no body (and no body callback).
    const head = this.request.headers?.get(":method") === "HEAD";
    if (r.passed.headers) {
      // Headers already went to the client: Envoy can only reset.
      this.reset = true;
      this.progress();
      return;
    }
    if (r.headers && !failure) {
      // Response in progress but not yet sent: a direct reply that skips the filter.
      this.passDirectly(headers, head ? EMPTY : body);
      return;
    }
    // From the request path: through the filter's response callbacks (unless it failed).
    this.replying = true;
    r.headers = null;
    if (failure || !this.created || this.vm.failed) {
      this.passDirectly(headers, head ? EMPTY : body);
    } else {
      this.headersIn("response", headers, body.length === 0 || head);
      // Unless the filter replied again from its response headers callback.
      if (body.length > 0 && !head && this.localReply === reply)
        this.bodyIn("response", body, true);
    }
    this.replying = false;
    this.progress();
  }

  /**
   * What the router checks when the request headers reach it: a header value with CR, LF or
   * NUL cannot be encoded upstream (503), and without x-forwarded-proto the route the filter's
   * header edits made Envoy re-match is not found (404). Both replies run through the filter's
   * response callbacks.
   */
  private refusedByRouter(headers: HeaderMap): boolean {
    const bad = headers.pairs().find(([, v]) => /[\r\n\0]/.test(v));
    if (bad) {
      this.sendLocal(
        envoyReply(503, `invalid header value for: ${bad[0]}`, "invalid_header_value"),
      );
      return true;
    }
    if (!headers.has("x-forwarded-proto")) {
      this.sendLocal(envoyReply(404, "", "route_not_found"));
      return true;
    }
    return false;
  }

  /** The connection manager refused the request before any filter ran (431, 426). */
  refuse(status: number, text: string): void {
    this.answerDirectly(status, text);
  }

  /** The connection manager's own reply (not the filter's), straight to the client. */
  private answerDirectly(status: number, text: string): void {
    const body = utf8(text);
    this.refused = true;
    this.responseDetails = text.replace(/[\s:]+/g, "_");
    this.passDirectly(localReplyHeaders(status, [], body), body);
  }

  private passDirectly(headers: HeaderMap, body: Uint8Array): void {
    const r = this.response;
    r.passed.headers = headers;
    r.passed.body = body;
    r.passed.complete = true;
    r.headersPassed = true;
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
