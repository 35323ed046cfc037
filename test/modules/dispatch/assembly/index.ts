// The dispatcher's own paths (assembly/exports.ts) for test/sdk/dispatch.test.ts: which
// context each callback acts on when a stream is resumed from another context's callback,
// roots whose streams pass through untouched, several roots with one root_id, and the
// bookkeeping of finished callouts and deleted contexts (memory stays flat).
//
// Roots (none under "", so a root_id none is registered for is refused): "d" makes HTTP streams; "pass" makes no stream contexts at all (its
// streams and connections pass through); "tcp" makes network streams; "tcp-plain" network
// streams that override no callback.

import {
  Action,
  GrpcStatus,
  Header,
  HttpContext,
  LogLevel,
  PeerType,
  PropertyPath,
  RootContext,
  StreamContext,
  getPropertyString,
  log,
  registerRootContext,
  registerSharedQueue,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

const REQUEST_PATH = PropertyPath.of("request.path");

/** Requests held by "/wait", resumed by the callback a "/release/<callback>" stream names,
 *  or by the root's onForeignFunction. */
let waiting: HttpContext[] = [];

function releaseAll(where: string): void {
  for (let i = 0; i < waiting.length; i++) {
    log.info("release from " + where + ": " + waiting[i].continueRequest().toString());
  }
  waiting = [];
}

/** Opens a batch on each held request's headers, adds `x-mark-<where>`, and leaves the batch
 *  open: only the end of the callback writes it (with that stream effective), before the
 *  stream goes on. */
function markAll(where: string): void {
  for (let i = 0; i < waiting.length; i++) {
    const headers = waiting[i].request.headers;
    headers.batch();
    headers.add("x-mark-" + where, "1");
  }
}

/** Set by a request held with "/wait/mark-first": the next stream's request headers mark the
 *  held requests (markAll) before anything else. */
let markFirst = false;

/** Set by a request held with "/wait/mark-create": the root's next createHttpContext marks
 *  the held requests (markAll) before anything else. */
let markCreate = false;

/** Set by a request held with "/wait/shutdown": the root's onDone marks the held requests
 *  instead of releasing them (so the held request is the last context acted on), and its
 *  onDelete marks and releases them. */
let atDelete = false;

function orNull(value: string | null): string {
  return value === null ? "<null>" : value;
}

class DispatchRoot extends RootContext {
  config: string = "";

  onVmStart(vmConfigurationSize: u32): bool {
    markAll("vm-start");
    return true;
  }

  onConfigure(configurationSize: u32): bool {
    // Before any call of the root's own: the held request's handle acts first.
    markAll("configure");
    this.config = String.UTF8.decode(this.pluginConfiguration());
    this.setTickPeriod(1000);
    registerSharedQueue("dispatch");
    // Once more after the root's own calls (which wrote the batch above): only the end of the
    // callback writes this one.
    markAll("configure-end");
    return true;
  }

  onTick(): void {
    markAll("tick");
  }

  onQueueReady(queueId: u32): void {
    markAll("queue");
  }

  /** 2 marks the held requests (markAll), any other id releases them. */
  onForeignFunction(functionId: u32, argumentsSize: u32): void {
    if (functionId == 2) markAll("foreign");
    else releaseAll("foreign");
  }

  onDone(): bool {
    if (atDelete) markAll("root-done");
    else releaseAll("done");
    return true;
  }

  onDelete(): void {
    // Before any call of the root's own: the held request's handle acts first.
    markAll("root-delete");
    releaseAll("root-delete");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    // Before any call of the root's own: the held request's handle acts first. Where this
    // runs is the build's: proxy_on_context_create when the module keeps that export
    // ("dispatch-announced"), the stream's first callback when it does not.
    if (markCreate) {
      markCreate = false;
      markAll("create");
    }
    return new DispatchStream(contextId, this);
  }
}

class DispatchStream extends HttpContext {
  path: string = "";

  /** Releases the held requests when this is the callback the path names, or marks them
   *  (markAll) for "/mark/<callback>". */
  at(callback: string): void {
    if (this.path == "/release/" + callback) releaseAll(callback);
    else if (this.path == "/mark/" + callback) markAll(callback);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    // Before any call of this stream's own: the held request's handle acts first.
    if (markFirst) {
      markFirst = false;
      markAll("first");
    }
    const path = this.request.headers.get(":path");
    this.path = path === null ? "" : path;
    log.debug("request " + this.path);
    this.request.headers.set("x-debug", log.enabled(LogLevel.Debug) ? "on" : "off");
    this.request.headers.set("x-config", changetype<DispatchRoot>(this.root).config);
    if (this.path.startsWith("/wait")) {
      waiting.push(this);
      markFirst = this.path == "/wait/mark-first";
      markCreate = this.path == "/wait/mark-create";
      atDelete = this.path == "/wait/shutdown";
      return Action.Pause;
    }
    if (this.path == "/callout" || this.path == "/mark/callout") {
      const d = this.dispatchHttpCall(
        "callout",
        [new Header(":method", "GET"), new Header(":path", "/c"), new Header(":authority", "callout")],
        null,
        [],
        1000,
      );
      return d.ok ? Action.Pause : Action.Continue;
    }
    if (this.path.startsWith("/grpc/") || this.path.startsWith("/mark/grpc-")) {
      const unary = this.path == "/grpc/unary";
      const d = unary
        ? this.dispatchGrpcCall("grpc", "d.Echo", "Say", [], String.UTF8.encode("ping"), 1000)
        : this.openGrpcStream("grpc", "d.Echo", "Chat", []);
      return d.ok ? Action.Pause : Action.Continue;
    }
    this.at("request-headers");
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    this.at("request-body");
    return Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    this.at("request-trailers");
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.path.startsWith("/l/")) this.response.headers.set("x-debug", log.enabled(LogLevel.Debug) ? "on" : "off");
    this.at("response-headers");
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    this.at("response-body");
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    this.at("response-trailers");
    return Action.Continue;
  }

  onLog(): void {
    this.at("log");
  }

  onDone(): bool {
    this.at("done");
    return true;
  }

  onDelete(): void {
    this.at("delete");
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    this.continueRequest();
    this.at("callout");
  }

  // Each gRPC handler reads the request's path through a module-level call, which acts on
  // the host's effective context: the dispatcher must have made this stream effective.
  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {
    log.info("grpc initial: " + orNull(getPropertyString(REQUEST_PATH)));
    this.at("grpc-initial");
  }

  onGrpcReceive(token: u32, messageSize: u32): void {
    log.info("grpc message: " + orNull(getPropertyString(REQUEST_PATH)));
    if (this.path == "/grpc/unary") this.continueRequest();
    this.at("grpc-message");
  }

  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {
    log.info("grpc trailing: " + orNull(getPropertyString(REQUEST_PATH)));
    this.at("grpc-trailing");
  }

  onGrpcClose(token: u32, statusCode: GrpcStatus): void {
    log.info("grpc close: " + orNull(getPropertyString(REQUEST_PATH)));
    this.continueRequest();
    this.at("grpc-close");
  }
}

/** A root whose streams the filter leaves alone: it makes no stream context at all. */
class PassRoot extends RootContext {}

class TcpRoot extends RootContext {
  createStreamContext(contextId: u32): StreamContext | null {
    return new TcpStream(contextId, this);
  }
}

/** Each callback marks the held HTTP requests (markAll) of a root in the same VM. */
class TcpStream extends StreamContext {
  onNewConnection(): Action {
    markAll("tcp-new");
    return Action.Continue;
  }

  // Each data callback logs how many bytes the other direction holds (the host's answer, not
  // a length left from that direction's last callback), and holds data that is "hold".
  onDownstreamData(dataSize: u32, endOfStream: bool): Action {
    markAll("tcp-downstream-data");
    log.info("upstream bytes held: " + this.upstream.length().toString());
    return String.UTF8.decode(this.downstream.read()) == "hold" ? Action.Pause : Action.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): Action {
    markAll("tcp-upstream-data");
    log.info("downstream bytes held: " + this.downstream.length().toString());
    return String.UTF8.decode(this.upstream.read()) == "hold" ? Action.Pause : Action.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    markAll("tcp-downstream-close");
  }

  onUpstreamConnectionClose(peer: PeerType): void {
    markAll("tcp-upstream-close");
  }
}

/** A connection that overrides no callback: every one is the SDK's default. */
class PlainTcpStream extends StreamContext {}

class PlainTcpRoot extends RootContext {
  createStreamContext(contextId: u32): StreamContext | null {
    return new PlainTcpStream(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new DispatchRoot(id), "d");
registerRootContext((id: u32): RootContext => new PassRoot(id), "pass");
registerRootContext((id: u32): RootContext => new TcpRoot(id), "tcp");
registerRootContext((id: u32): RootContext => new PlainTcpRoot(id), "tcp-plain");
