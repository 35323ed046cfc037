// Contexts: the objects the host talks to.
//
//   VM (one per vm_id and worker thread; code at top level runs once, in _initialize)
//    └─ RootContext   one per plugin (root_id): onVmStart, onConfigure, onTick, onQueueReady
//        ├─ HttpContext    one per HTTP request: onRequestHeaders … onResponseBody, onLog
//        └─ StreamContext  one per TCP connection: onNewConnection, onDownstreamData, …
//
// Every callback has a no-op default; override only what the filter uses. Register the
// root with `registerRootContext((id) => new MyRoot(id))` at top level; the root creates
// the per-request contexts in createHttpContext (or createStreamContext for TCP).

import { Action, GrpcStatus, PeerType, Status, StreamType } from "./abi/types";
import { proxy_set_tick_period_milliseconds } from "./abi/imports";
import {
  Buffer,
  downstreamData,
  httpCallResponseBody,
  pluginConfiguration,
  requestBody,
  responseBody,
  upstreamData,
  vmConfiguration,
} from "./host/buffers";
import {
  Dispatch,
  grpcCall,
  grpcStream,
  httpCall,
} from "./host/callouts";
import {
  HeaderMap,
  httpCallResponseHeaders,
  httpCallResponseTrailers,
  requestHeaders,
  requestTrailers,
  responseHeaders,
  responseTrailers,
} from "./host/headers";
import { Header } from "./internal/pairs";
import { currentTimeNanos } from "./host/time";
import { closeStream, continueStream, sendLocalResponseBytes } from "./host/stream";
import { useContext } from "./internal/current";
import { CallbackNeeds, StreamCallbacks } from "./callbacks";

/** Pending callouts: token → the context that dispatched it (see host/callouts.ts). */
export const pendingHttpCalls = new Map<u32, Context>();
export const pendingGrpcCalls = new Map<u32, Context>();
/** Tokens of unary gRPC calls (as opposed to streams): they end at their response. */
export const unaryGrpcTokens = new Set<u32>();

/** What every context can do: dispatch callouts and receive their responses. */
export class Context {
  /** False once the host deleted this context; late callout responses are then dropped,
   *  and the context's methods return Status.NotFound. */
  alive: bool = true;

  constructor(public readonly contextId: u32) {}

  /** Makes this context the host's current one (see "Resume from anywhere" in the SDK
   *  README); Status.NotFound once the host deleted it. */
  protected enter(): Status {
    if (!this.alive) return Status.NotFound;
    return useContext(this.contextId);
  }

  /**
   * Sends an HTTP request to the cluster `upstream`; the response arrives in this
   * context's onHttpCallResponse. Legal from onConfigure on (root) and in every stream
   * callback. `headers` must include ":method", ":path" and ":authority".
   * Example: `this.dispatchHttpCall("auth", [new Header(":method","GET"), …], null, [], 1000)`
   */
  dispatchHttpCall(
    upstream: string,
    headers: Header[],
    body: ArrayBuffer | null,
    trailers: Header[],
    timeoutMs: u32,
  ): Dispatch {
    const entered = this.enter();
    if (entered != Status.Ok) return new Dispatch(entered, 0);
    const d = httpCall(upstream, headers, body, trailers, timeoutMs);
    if (d.ok) pendingHttpCalls.set(d.token, this);
    return d;
  }

  /** Sends a unary gRPC request; the reply arrives in onGrpcReceive (success) or
   *  onGrpcClose (failure, with the gRPC status). */
  dispatchGrpcCall(
    upstream: string,
    service: string,
    method: string,
    initialMetadata: Header[],
    message: ArrayBuffer,
    timeoutMs: u32,
  ): Dispatch {
    const entered = this.enter();
    if (entered != Status.Ok) return new Dispatch(entered, 0);
    const d = grpcCall(upstream, service, method, initialMetadata, message, timeoutMs);
    if (d.ok) {
      pendingGrpcCalls.set(d.token, this);
      unaryGrpcTokens.add(d.token);
    }
    return d;
  }

  /** Opens a gRPC stream; use grpcSend with the token, and receive through the
   *  onGrpcReceive* callbacks until onGrpcClose. */
  openGrpcStream(upstream: string, service: string, method: string, initialMetadata: Header[]): Dispatch {
    const entered = this.enter();
    if (entered != Status.Ok) return new Dispatch(entered, 0);
    const d = grpcStream(upstream, service, method, initialMetadata);
    if (d.ok) pendingGrpcCalls.set(d.token, this);
    return d;
  }

  /** A callout's response (or failure: then numHeaders, bodySize and numTrailers are 0 and
   *  getStatus() says why). Read it through `httpCallResponse` (headers, body, trailers). */
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}

  /** Initial metadata of a gRPC call/stream; read it with grpcInitialMetadata. */
  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {}

  /** A gRPC message; read it with grpcReceiveBuffer. */
  onGrpcReceive(token: u32, messageSize: u32): void {}

  /** Trailing metadata of a gRPC call/stream; read it with grpcTrailingMetadata. */
  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {}

  /** The end of a gRPC call or stream, with its gRPC status code. */
  onGrpcClose(token: u32, statusCode: GrpcStatus): void {}

  /** The host is done with this context. Return false to finish later with proxy_done. */
  onDone(): bool {
    return true;
  }

  /** After the stream ends: request and response headers are still readable (access logs). */
  onLog(): void {}

  /** The context is gone; release what it holds. */
  onDelete(): void {}
}

/** A timer multiplexed on the root context's single tick. Subclass and override onTimer. */
export abstract class Timer {
  periodMs: u32 = 0;
  nextDueNanos: u64 = 0;
  abstract onTimer(root: RootContext): void;
}

function gcd(a: u32, b: u32): u32 {
  while (b != 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Folds tick period `p` into `period` (0 means "no tick yet"). */
export function gcdOrFirst(period: u32, p: u32): u32 {
  if (p == 0) return period;
  return period == 0 ? p : gcd(period, p);
}

/** The plugin: one per root_id per VM. Parses configuration and creates per-request contexts. */
export class RootContext extends Context {
  private timers: Timer[] = [];
  /** The period asked for with setTickPeriod (0: none). A chain reads it to know when this
   *  member's onTick is due. */
  explicitTickMs: u32 = 0;
  /** Set by a chain (see chain.ts) on its members: what pluginConfiguration() returns instead
   *  of the host's bytes (the member's own section of the chain's configuration). */
  configurationOverride: ArrayBuffer | null = null;
  /** Set by a chain on its members: the root that owns the host's single tick, which this
   *  member's tick period and timers are folded into. */
  tickOwner: RootContext | null = null;

  /** The VM started; `vmConfigurationSize` bytes of VM configuration are readable with
   *  this.vmConfiguration(). Return false to refuse to start. */
  onVmStart(vmConfigurationSize: u32): bool {
    return true;
  }

  /** The plugin is (re)configured; parse this.pluginConfiguration() here, once. Return
   *  false (after logging what is wrong) to refuse the configuration: at startup Envoy then
   *  does not start, on an update it rejects the update. */
  onConfigure(configurationSize: u32): bool {
    return true;
  }

  /** Which per-stream callbacks the configuration just accepted needs (called after
   *  onConfigure returned true; see callbacks.ts). Add each with the field and value that
   *  need it: `needs.need(StreamCallbacks.ResponseHeaders, "echo: true")`. A module built
   *  for a configuration (`meshwasm build --for-config`) leaves the others out. The default
   *  needs every callback the filter implements. */
  neededCallbacks(needs: CallbackNeeds): void {
    needs.need(StreamCallbacks.All, "the filter does not say which callbacks its configuration needs");
  }

  /** Called every tick period (see setTickPeriod); timers run before it. */
  onTick(): void {}

  /** A shared queue registered by this VM has data. */
  onQueueReady(queueId: u32): void {}

  /** The host called a foreign function on this plugin. */
  onForeignFunction(functionId: u32, argumentsSize: u32): void {}

  /** Creates the context for a new HTTP request. Return null if this plugin is not an HTTP
   *  filter. The default returns null, and a request then passes through untouched. */
  createHttpContext(contextId: u32): HttpContext | null {
    return null;
  }

  /** Creates the context for a new TCP connection (network filter). */
  createStreamContext(contextId: u32): StreamContext | null {
    return null;
  }

  /** The VM configuration bytes (only in onVmStart). */
  vmConfiguration(): ArrayBuffer {
    this.enter();
    return vmConfiguration.read();
  }

  /** The plugin configuration bytes (only in onConfigure); pass them to readConfig. */
  pluginConfiguration(): ArrayBuffer {
    const own = this.configurationOverride;
    if (own !== null) return own;
    this.enter();
    return pluginConfiguration.read();
  }

  /** Sets the period of onTick in milliseconds (0 stops it). Legal from onVmStart on. */
  setTickPeriod(periodMs: u32): Status {
    this.enter();
    this.explicitTickMs = periodMs;
    return this.applyTickPeriod();
  }

  /** Runs `timer.onTimer` every `periodMs` milliseconds, sharing the single host tick with
   *  other timers. Legal from onVmStart on. */
  addTimer(periodMs: u32, timer: Timer): Status {
    this.enter();
    timer.periodMs = periodMs;
    timer.nextDueNanos = currentTimeNanos() + <u64>periodMs * 1_000_000;
    this.timers.push(timer);
    return this.applyTickPeriod();
  }

  /** Stops a timer added with addTimer. */
  removeTimer(timer: Timer): Status {
    this.enter();
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
    return this.applyTickPeriod();
  }

  /** The tick this root needs: the greatest common divisor of its period and its timers'
   *  (0: none). */
  tickPeriodMs(): u32 {
    let period = this.explicitTickMs;
    for (let i = 0; i < this.timers.length; i++) {
      period = gcdOrFirst(period, unchecked(this.timers[i]).periodMs);
    }
    return period;
  }

  /** Asks the host for the tick this root (or, in a chain, the chain) needs. */
  applyTickPeriod(): Status {
    const owner = this.tickOwner;
    if (owner !== null) return owner.applyTickPeriod();
    return <Status>proxy_set_tick_period_milliseconds(this.tickPeriodMs());
  }

  /** Runs every due timer; the dispatcher calls it on each tick before onTick. */
  runTimers(): void {
    if (this.timers.length == 0) return;
    const now = currentTimeNanos();
    for (let i = 0; i < this.timers.length; i++) {
      const t = unchecked(this.timers[i]);
      // Allow 1 ms of early ticks: the host's tick and clock are not exactly in step. The next
      // time is counted from the time due, not from an early tick, so the early millisecond
      // does not add up (a 1,001 ms timer on a 1 ms tick would run every 1,000 ms); from a late
      // tick it is counted from now, so a late tick does not run a timer twice to catch up.
      if (now + 1_000_000 >= t.nextDueNanos) {
        t.nextDueNanos = max(now, t.nextDueNanos) + <u64>t.periodMs * 1_000_000;
        t.onTimer(this);
      }
    }
  }
}

/** Headers, trailers and body of one direction of an HTTP stream. */
export class HttpMessage {
  constructor(
    public readonly headers: HeaderMap,
    public readonly trailers: HeaderMap,
    public readonly body: Buffer,
  ) {}
}

/** A callout's answer: headers, body and trailers, only in onHttpCallResponse.
 *  Example: `const status = httpCallResponse.headers.get(":status");` */
export const httpCallResponse = new HttpMessage(
  httpCallResponseHeaders,
  httpCallResponseTrailers,
  httpCallResponseBody,
);

const requestMessage = new HttpMessage(requestHeaders, requestTrailers, requestBody);
const responseMessage = new HttpMessage(responseHeaders, responseTrailers, responseBody);

/** What whole-body buffering does with a body larger than its limit. */
export enum Overflow {
  /** Request: answer 413 and stop the request. Response: reset the stream (its headers
   *  have gone on already). The default: a filter that must see the whole body fails closed. */
  Reject = 0,
  /** Let the body through unchanged; the body callback is not called for it and
   *  `requestOverflowed` / `responseOverflowed` is true. */
  PassThrough = 1,
}

/** Whether whole-body buffering lets the filter change the body's length. */
export enum BodyLength {
  /** The headers go on without Content-Length, so the body may grow or shrink (Envoy frames
   *  it itself: chunked on HTTP/1.1). The default. */
  MayChange = 0,
  /** The headers go on as they are, Content-Length included, and the body keeps its length:
   *  a write to it in the body callback that would change its length is refused
   *  (Status.BadArgument, one log line) and the body goes on as it was. One host call fewer
   *  per request, and the body goes upstream framed as the client sent it. For a filter that
   *  rewrites bytes in place (masking, re-encoding of the same width). */
  Kept = 1,
}

/** The default limit of whole-body buffering: 1 MiB, Envoy's default buffer limit per
 *  connection (above which Envoy answers 413 itself). */
export const DEFAULT_BODY_LIMIT: u32 = 1 << 20;

/**
 * What a chain (see chain.ts) does for its members: a member's resume continues with the
 * next filter of the chain, and a member's local reply stops the filters after it.
 */
export abstract class ChainLink {
  /** A member resumed the request (`request`) or response it paused. */
  abstract resume(member: HttpContext, request: bool): Status;
  /** A member sent a local reply. */
  abstract replied(member: HttpContext): void;
}

/** One HTTP request/response exchange. */
export class HttpContext extends Context {
  /** Set when this context runs as a member of a chain; null when the filter runs alone. */
  link: ChainLink | null = null;
  /** Set by bufferRequestBody(): the SDK holds the request until its body is complete. */
  bufferingRequest: bool = false;
  /** Set by bufferResponseBody(). */
  bufferingResponse: bool = false;
  /** Limits and overflow choices of bufferRequestBody / bufferResponseBody. */
  requestLimit: u32 = DEFAULT_BODY_LIMIT;
  responseLimit: u32 = DEFAULT_BODY_LIMIT;
  requestOverflow: Overflow = Overflow.Reject;
  responseOverflow: Overflow = Overflow.Reject;
  /** Whether the buffered request body may change length (bufferRequestBody's `length`). */
  requestLength: BodyLength = BodyLength.MayChange;
  responseLength: BodyLength = BodyLength.MayChange;
  /** True when the request body outgrew its buffering limit and went on unread
   *  (Overflow.PassThrough). */
  requestOverflowed: bool = false;
  /** True when the response body outgrew its buffering limit and went on unread. */
  responseOverflowed: bool = false;
  /** True once the response reached this filter: the dispatcher sets it before the response's
   *  first callback (headers, or body or trailers in a module built without onResponseHeaders).
   *  Until then continueResponse refuses: Envoy 1.40 crashes on a response continue there. */
  responseStarted: bool = false;

  constructor(contextId: u32, public readonly root: RootContext) {
    super(contextId);
  }

  /** The request's headers, body and trailers: the one way to reach them. Headers from
   *  onRequestHeaders on, the body in onRequestBody, trailers in onRequestTrailers.
   *  Example: `const key = this.request.headers.get("x-api-key");` */
  get request(): HttpMessage {
    this.enter();
    return requestMessage;
  }

  /** The response's headers, body and trailers, from onResponseHeaders on. */
  get response(): HttpMessage {
    this.enter();
    return responseMessage;
  }

  /** Request headers arrived. Return Action.Pause to hold the request (resume with
   *  continueRequest, e.g. after a callout). */
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** A request body chunk arrived (`bodySize` is what is buffered so far). After
   *  bufferRequestBody(), called once with the whole body and endOfStream = true. */
  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** Request trailers arrived. */
  onRequestTrailers(numTrailers: u32): Action {
    return Action.Continue;
  }

  /** Response headers arrived. */
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** A response body chunk arrived; see onRequestBody. */
  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** Response trailers arrived. */
  onResponseTrailers(numTrailers: u32): Action {
    return Action.Continue;
  }

  /**
   * Delivers the request body to onRequestBody once, whole, with endOfStream = true. Call in
   * onRequestHeaders. The headers go on when onRequestHeaders returns (Envoy cannot deliver a
   * body to a filter that holds its headers), minus Content-Length, so the body may change
   * size; they are no longer readable in onRequestBody. A body larger than `limit` bytes is
   * not held: `overflow` says whether it is refused (413) or let through unread. With
   * `length` BodyLength.Kept the headers keep Content-Length and the body must keep its
   * length (a write that would change it is refused with Status.BadArgument).
   * Example: `this.bufferRequestBody(64 * 1024)`
   */
  bufferRequestBody(
    limit: u32 = DEFAULT_BODY_LIMIT,
    overflow: Overflow = Overflow.Reject,
    length: BodyLength = BodyLength.MayChange,
  ): void {
    this.bufferingRequest = true;
    this.requestLimit = limit;
    this.requestOverflow = overflow;
    this.requestLength = length;
  }

  /** Delivers the response body to onResponseBody once, whole; see bufferRequestBody (a
   *  rejected response body resets the stream: its headers have gone on). */
  bufferResponseBody(
    limit: u32 = DEFAULT_BODY_LIMIT,
    overflow: Overflow = Overflow.Reject,
    length: BodyLength = BodyLength.MayChange,
  ): void {
    this.bufferingResponse = true;
    this.responseLimit = limit;
    this.responseOverflow = overflow;
    this.responseLength = length;
  }

  /**
   * Ends the exchange with a local reply; return Action.Pause from the callback. `details`
   * shows in access logs as %RESPONSE_CODE_DETAILS%; a `grpcStatus` makes it a gRPC reply.
   * Legal on the request path, and from any callback of the VM on a paused request (a
   * handle kept from onRequestHeaders). A header that could inject (CR, LF or NUL, a name
   * that is not a token, a pseudo-header, content-length, transfer-encoding, host) is left
   * out with one log line, the reply is still sent, and the result is Status.BadArgument.
   * Example: `this.sendLocalResponse(429, "slow down\n", [new Header("retry-after", "1")])`
   */
  sendLocalResponse(
    statusCode: u32,
    body: string = "",
    headers: Header[] = [],
    details: string = "",
    grpcStatus: GrpcStatus = GrpcStatus.None,
  ): Status {
    return this.sendLocalResponseBytes(statusCode, String.UTF8.encode(body), headers, details, grpcStatus);
  }

  /** Bytes form of sendLocalResponse: the body is sent as given. */
  sendLocalResponseBytes(
    statusCode: u32,
    body: ArrayBuffer,
    headers: Header[] = [],
    details: string = "",
    grpcStatus: GrpcStatus = GrpcStatus.None,
  ): Status {
    const entered = this.enter();
    if (entered != Status.Ok) return entered;
    const link = this.link;
    if (link !== null) link.replied(this);
    return sendLocalResponseBytes(statusCode, body, headers, details, grpcStatus);
  }

  /** Resumes the request after Action.Pause: in a later callback of this request, or from
   *  any callback of the VM through a handle kept on this context (onTick, onQueueReady,
   *  the root's onHttpCallResponse). Status.NotFound when the request is gone. */
  continueRequest(): Status {
    const entered = this.enter();
    if (entered != Status.Ok) return entered;
    const link = this.link;
    if (link !== null) return link.resume(this, true);
    return continueStream(StreamType.HttpRequest);
  }

  /**
   * Resumes the response after Action.Pause; see continueRequest. Status.BadArgument, and no
   * host call, before the response reached the filter (no response callback has run yet: the
   * upstream has not answered, or a module built without response callbacks): Envoy 1.40 would
   * crash on that continue, whether the request is held or not. A held request is resumed with
   * continueRequest.
   * Example: `this.continueResponse()` (in the answer to a callout made in onResponseHeaders)
   */
  continueResponse(): Status {
    const entered = this.enter();
    if (entered != Status.Ok) return entered;
    const link = this.link;
    if (link !== null) return link.resume(this, false);
    if (!this.responseStarted) return Status.BadArgument;
    return continueStream(StreamType.HttpResponse);
  }

  /** Resets the HTTP stream: the client sees the connection's stream reset, no response. */
  resetStream(): Status {
    const entered = this.enter();
    if (entered != Status.Ok) return entered;
    return closeStream(StreamType.HttpRequest);
  }
}

/** One TCP connection through a network filter. */
export class StreamContext extends Context {
  constructor(contextId: u32, public readonly root: RootContext) {
    super(contextId);
  }

  /** A downstream connection was accepted. */
  onNewConnection(): Action {
    return Action.Continue;
  }

  /** Bytes from the client; read and change them through this.downstream. */
  onDownstreamData(dataSize: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** Bytes from the upstream; read and change them through this.upstream. */
  onUpstreamData(dataSize: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** The client's bytes: in onDownstreamData. */
  get downstream(): Buffer {
    this.enter();
    return downstreamData;
  }

  /** The upstream's bytes: in onUpstreamData. */
  get upstream(): Buffer {
    this.enter();
    return upstreamData;
  }

  /** Resumes reading from the client after Action.Pause. */
  continueDownstream(): Status {
    const entered = this.enter();
    if (entered != Status.Ok) return entered;
    return continueStream(StreamType.Downstream);
  }

  /** Closes the client side of the connection. */
  closeDownstream(): Status {
    const entered = this.enter();
    if (entered != Status.Ok) return entered;
    return closeStream(StreamType.Downstream);
  }

  /** Closes the upstream side of the connection. */
  closeUpstream(): Status {
    const entered = this.enter();
    if (entered != Status.Ok) return entered;
    return closeStream(StreamType.Upstream);
  }

  /** The client side closed. */
  onDownstreamConnectionClose(peer: PeerType): void {}

  /** The upstream side closed. */
  onUpstreamConnectionClose(peer: PeerType): void {}
}
