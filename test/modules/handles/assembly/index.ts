// handles: what a handle to a stream the host deleted answers, the defaults of the context
// classes, and a root's configuration read after it acted on a stream, for
// test/sdk/handles.test.ts.
//
// Root "handles": each stream keeps itself in a module-level handle at its request headers
// (and at its response headers, "/keep" streams too).
// A request to "/last" first makes, through the handle to the stream before it (deleted by
// then), an HTTP callout, a unary gRPC call and a gRPC stream, and logs each one's status and
// token. A request to "/buffer" buffers its body up to 4 bytes (Overflow.PassThrough) and logs
// the body's size and, at the response headers, whether either body overflowed. The streams
// override every HTTP callback and onDone (so the module exports them all); the roots do not
// override onDone, and "handles" logs its deletion. Its onConfigure first resumes the last
// stream through its handle (which makes that stream the host's current context), then logs
// its own configuration. Other paths: "/buffer-response" buffers the response body (up to 4
// bytes) and logs each onResponseBody; "/continue-response" logs what continueResponse answers
// in onRequestHeaders; "/reset" resets the stream; "/keep" holds its response headers, and
// "/peek" logs the response's x-who header of the last stream, read through its handle.
//
// Roots "plain" and "plain-tcp": HTTP streams and TCP connections whose contexts override
// nothing.
// Root "tcp": TCP connections whose contexts override the data callbacks (so the module
// exports them). The first connection's data callbacks pause (its bytes stay in its buffers)
// and keep it in a handle; a later connection's data callbacks log the first one's bytes read
// through that handle, and on "close-down" or "close-up" close the first one's side through it
// and then, with "own", their own (logging each status).

import {
  Action,
  Header,
  HttpContext,
  Overflow,
  RootContext,
  StreamContext,
  log,
  registerRootContext,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

let last: Kept | null = null;

class HandlesRoot extends RootContext {
  onConfigure(configurationSize: u32): bool {
    const previous = last;
    if (previous !== null) log.info("resume " + previous.continueRequest().toString());
    log.info("configured: " + String.UTF8.decode(this.pluginConfiguration()));
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Kept(contextId, this);
  }

  onDelete(): void {
    log.info("root delete");
  }
}

function yesNo(value: bool): string {
  return value ? "yes" : "no";
}

class Kept extends HttpContext {
  path: string = "";

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const path = this.request.headers.get(":path");
    this.path = path === null ? "" : path;
    const previous = last;
    if (this.path == "/last" && previous !== null) {
      const headers = [new Header(":method", "GET"), new Header(":path", "/"), new Header(":authority", "c")];
      const http = previous.dispatchHttpCall("callout", headers, null, [], 1000);
      log.info("http " + http.status.toString() + " " + http.token.toString());
      const unary = previous.dispatchGrpcCall("grpc", "s", "m", [], new ArrayBuffer(0), 1000);
      log.info("grpc " + unary.status.toString() + " " + unary.token.toString());
      const stream = previous.openGrpcStream("grpc", "s", "m", []);
      log.info("stream " + stream.status.toString() + " " + stream.token.toString());
    }
    if (this.path == "/buffer") this.bufferRequestBody(4, Overflow.PassThrough);
    if (this.path == "/buffer-response") this.bufferResponseBody(4, Overflow.PassThrough);
    if (this.path == "/continue-response") log.info("continue response " + this.continueResponse().toString());
    if (this.path == "/reset") log.info("reset " + this.resetStream().toString());
    if (this.path == "/peek" && previous !== null) {
      const who = previous.response.headers.get("x-who");
      log.info("peek " + (who === null ? "<null>" : who));
    }
    if (this.path != "/peek") last = this;
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    if (this.path == "/buffer") log.info("body " + bodySize.toString());
    return Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.path == "/buffer") {
      log.info("overflowed " + yesNo(this.requestOverflowed) + " " + yesNo(this.responseOverflowed));
    }
    // Held, so its headers stay readable.
    if (this.path == "/keep") return Action.Pause;
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    if (this.path == "/buffer-response") log.info("response body " + bodySize.toString() + " " + yesNo(endOfStream));
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    return Action.Continue;
  }

  onDone(): bool {
    log.info("stream done");
    return true;
  }
}

class PlainRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

class PlainTcpRoot extends RootContext {
  createStreamContext(contextId: u32): StreamContext | null {
    return new StreamContext(contextId, this);
  }
}

class TcpRoot extends RootContext {
  createStreamContext(contextId: u32): StreamContext | null {
    return new Relay(contextId, this);
  }
}

let firstRelay: Relay | null = null;

class Relay extends StreamContext {
  onNewConnection(): Action {
    if (firstRelay === null) firstRelay = this;
    return Action.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): Action {
    return this.data(true, String.UTF8.decode(this.downstream.read()));
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): Action {
    return this.data(false, String.UTF8.decode(this.upstream.read()));
  }

  data(downstream: bool, own: string): Action {
    const first = firstRelay;
    if (first === null || first === this) return Action.Pause;
    const held = downstream ? first.downstream : first.upstream;
    log.info("first's " + (downstream ? "downstream " : "upstream ") + String.UTF8.decode(held.read()));
    if (own.startsWith("close-down")) log.info("close downstream " + first.closeDownstream().toString());
    if (own.startsWith("close-up")) log.info("close upstream " + first.closeUpstream().toString());
    if (own == "close-down own") log.info("close own downstream " + this.closeDownstream().toString());
    if (own == "close-up own") log.info("close own upstream " + this.closeUpstream().toString());
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new HandlesRoot(id), "handles");
registerRootContext((id: u32): RootContext => new PlainRoot(id), "plain");
registerRootContext((id: u32): RootContext => new PlainTcpRoot(id), "plain-tcp");
registerRootContext((id: u32): RootContext => new TcpRoot(id), "tcp");
