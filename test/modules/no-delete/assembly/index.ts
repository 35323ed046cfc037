// The dispatcher of a module built without proxy_on_delete (test/modules/build.ts builds it so,
// as `meshwasm build --for-config` does), for test/sdk/no-delete.test.ts. Two ways to run:
//
// - No configured root needs the log ("s", "s2", "pass", "tcp" say noStreamState): a
//   stream's context lives only while the callback that made it runs. Each HTTP root counts
//   the contexts it made (`x-made`), so a context kept to the next callback shows.
// - A configured root needs the log ("log", "tlog"): each stream's context lives until its
//   log, which calls onDelete and forgets it.
//
// Every stream context keeps itself in a module-level handle (`lastHttp`, `lastTcp`) at each
// callback; the path "/resume-last" (or any new connection) acts on the previous one through
// it, so a context the SDK should have let go that is still alive shows as a host call.
// The HTTP roots tick (logging "tick <configuration>") and, configured with "... callout", make
// a callout at their start (answered when the test says), so a root a configuration update
// retired shows when it still does its work.

import {
  Action,
  CallbackNeeds,
  Header,
  HttpContext,
  PeerType,
  RootContext,
  StreamCallbacks,
  StreamContext,
  log,
  registerRootContext,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

let lastHttp: HttpContext | null = null;
let lastTcp: StreamContext | null = null;

/** Acts on the previous HTTP context through its handle; logs the status (or "none"). */
function resumeLast(): void {
  const last = lastHttp;
  log.info("resume last: " + (last === null ? "none" : last.continueRequest().toString()));
}

/** "s" and "s2": no stream state; every stream context made is counted. */
class SlotRoot extends RootContext {
  config: string = "";
  made: i32 = 0;

  onConfigure(configurationSize: u32): bool {
    this.config = String.UTF8.decode(this.pluginConfiguration());
    this.setTickPeriod(1000);
    if (this.config.endsWith(" callout")) {
      this.dispatchHttpCall("slow", [new Header(":method", "GET"), new Header(":path", "/"), new Header(":authority", "slow")], null, [], 60_000);
    }
    return true;
  }

  neededCallbacks(needs: CallbackNeeds): void {
    needs.noStreamState();
    needs.need(StreamCallbacks.RequestHeaders | StreamCallbacks.ResponseHeaders, "every stream");
  }

  onTick(): void {
    log.info("tick " + this.config);
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    log.info("callout answered to " + this.config);
  }

  createHttpContext(contextId: u32): HttpContext | null {
    this.made++;
    return new Slotted(contextId, this);
  }
}

class Slotted extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.request.headers.get(":path") == "/resume-last") resumeLast();
    const root = changetype<SlotRoot>(this.root);
    this.request.headers.set("x-config", root.config);
    this.request.headers.set("x-made", root.made.toString());
    lastHttp = this;
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = changetype<SlotRoot>(this.root);
    this.response.headers.set("x-config", root.config);
    this.response.headers.set("x-made", root.made.toString());
    lastHttp = this;
    return Action.Continue;
  }

  onLog(): void {
    lastHttp = this;
  }
}

/** "log": the configuration needs the log, so the log ends each stream. */
class LogRoot extends RootContext {
  neededCallbacks(needs: CallbackNeeds): void {
    needs.need(StreamCallbacks.RequestHeaders | StreamCallbacks.ResponseHeaders | StreamCallbacks.Log, "every stream");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Logged(contextId, this);
  }
}

class Logged extends HttpContext {
  path: string = "";

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const path = this.request.headers.get(":path");
    this.path = path === null ? "" : path;
    if (this.path == "/resume-last") resumeLast();
    lastHttp = this;
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    // Kept from the request's callback: the context lives until the log.
    this.response.headers.set("x-path", this.path);
    return Action.Continue;
  }

  onLog(): void {
    log.info("log " + this.path);
  }

  onDelete(): void {
    log.info("delete " + this.path);
  }
}

/** "pass": makes no stream contexts; its streams and connections pass through. */
class PassRoot extends RootContext {
  neededCallbacks(needs: CallbackNeeds): void {
    needs.noStreamState();
  }
}

/** "tcp" (no stream state) and "tlog" (needs the log): network streams. */
class TcpRoot extends RootContext {
  made: i32 = 0;

  constructor(contextId: u32, private readonly needsLog: bool) {
    super(contextId);
  }

  neededCallbacks(needs: CallbackNeeds): void {
    if (this.needsLog) needs.need(StreamCallbacks.Log, "every connection");
    else needs.noStreamState();
  }

  createStreamContext(contextId: u32): StreamContext | null {
    this.made++;
    return new Connection(contextId, this);
  }
}

class Connection extends StreamContext {
  onNewConnection(): Action {
    const last = lastTcp;
    log.info("resume last connection: " + (last === null ? "none" : last.continueDownstream().toString()));
    lastTcp = this;
    return Action.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): Action {
    lastTcp = this;
    return Action.Continue;
  }

  /** Names how many contexts the root has made: one more per callback when none is kept. */
  onUpstreamData(dataSize: u32, endOfStream: bool): Action {
    log.info("upstream data: " + (this.root as TcpRoot).made.toString() + " made");
    return Action.Continue;
  }

  onDownstreamConnectionClose(peerType: PeerType): void {
    log.info("downstream close: " + (this.root as TcpRoot).made.toString() + " made");
  }

  onLog(): void {
    lastTcp = this;
    log.info("log connection");
  }
}

registerRootContext((id: u32): RootContext => new SlotRoot(id), "s");
registerRootContext((id: u32): RootContext => new SlotRoot(id), "s2");
registerRootContext((id: u32): RootContext => new LogRoot(id), "log");
registerRootContext((id: u32): RootContext => new PassRoot(id), "pass");
registerRootContext((id: u32): RootContext => new TcpRoot(id, false), "tcp");
registerRootContext((id: u32): RootContext => new TcpRoot(id, true), "tlog");
