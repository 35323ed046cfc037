// The continue probe: which proxy_continue_stream calls Envoy survives. The `x-probe` request
// header picks where the filter continues which direction of its stream, and `x-via` whether
// through the raw host call ("raw", the default) or the SDK (`continueRequest` /
// `continueResponse`, "sdk"). Each continue logs `probe <mode> <direction> <status>`.

import { Action, Header, HttpContext, RootContext, log, registerRootContext } from "../../../../assembly";
import { proxy_continue_stream, proxy_set_effective_context } from "../../../../assembly/abi/imports";

export * from "../../../../assembly/exports";

const REQUEST: u32 = 0;
const RESPONSE: u32 = 1;

class Probe extends HttpContext {
  mode: string = "";
  viaSdk: bool = false;
  /** What the next ticks do, in order: "request" or "response" (a continue of it). */
  ticks: string[] = [];

  /** Continues `direction`, from the stream's own callback or (`fromRoot`) from any other. */
  resume(direction: u32, fromRoot: bool): void {
    let status: u32;
    if (this.viaSdk) {
      status = direction == REQUEST ? this.continueRequest() : this.continueResponse();
    } else {
      if (fromRoot) proxy_set_effective_context(this.contextId);
      status = proxy_continue_stream(direction);
    }
    log.info("probe " + this.mode + " " + (direction == REQUEST ? "request" : "response") + " " + status.toString());
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const mode = this.request.headers.get("x-probe");
    this.mode = mode === null ? "" : mode;
    const via = this.request.headers.get("x-via");
    this.viaSdk = via !== null && via == "sdk";
    const root = this.root as ProbeRoot;
    const m = this.mode;
    if (m == "tick-response-paused") {
      // The request held, the response not started: a tick continues the response, the next
      // one the request.
      this.ticks = ["response", "request"];
      root.held.push(this);
      return Action.Pause;
    }
    if (m == "tick-response-unpaused") {
      // The request went on (the upstream answers late): a tick continues the response.
      this.ticks = ["response"];
      root.held.push(this);
      return Action.Continue;
    }
    if (m == "tick-request-unpaused") {
      this.ticks = ["request"];
      root.held.push(this);
      return Action.Continue;
    }
    if (m == "headers-response-paused") {
      this.resume(RESPONSE, false);
      this.ticks = ["request"];
      root.held.push(this);
      return Action.Pause;
    }
    if (m == "headers-response-unpaused") {
      this.resume(RESPONSE, false);
      return Action.Continue;
    }
    if (m == "callout-response-paused" || m == "callout-response-unpaused") {
      const d = this.dispatchHttpCall(
        "callout",
        [new Header(":method", "GET"), new Header(":path", "/from-callout"), new Header(":authority", "callout.local")],
        null,
        [],
        5000,
      );
      if (m == "callout-response-unpaused") return Action.Continue;
      return d.ok ? Action.Pause : Action.Continue;
    }
    if (m == "log-response-unstarted") return Action.Pause;
    if (m == "local-then-response") {
      this.sendLocalResponse(403, "denied\n");
      this.resume(RESPONSE, false);
      return Action.Pause;
    }
    if (m == "local-then-request") {
      this.sendLocalResponse(403, "denied\n");
      this.ticks = ["request"];
      root.held.push(this);
      return Action.Pause;
    }
    if (m == "tick-response-after-end") {
      // Continued after the stream ended: the SDK's handle is dead, the host's context gone.
      this.ticks = ["wait", "wait", "wait", "wait", "wait", "response"];
      root.held.push(this);
    }
    return Action.Continue;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    this.resume(RESPONSE, true);
    if (this.mode == "callout-response-paused") {
      this.ticks = ["request"];
      (this.root as ProbeRoot).held.push(this);
    }
  }

  // No onResponseHeaders: the build leaves its export out, and the SDK learns that the response
  // came from its body or trailers.

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    if (!endOfStream) return Action.Continue;
    if (this.mode == "response-body-request") this.resume(REQUEST, false);
    if (this.mode == "response-body-end") this.resume(RESPONSE, false);
    if (this.mode == "response-body-paused") return this.holdResponse();
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    if (this.mode == "response-trailers-paused") return this.holdResponse();
    return Action.Continue;
  }

  /** Pauses the response until the next tick continues it. */
  holdResponse(): Action {
    this.ticks = ["response"];
    (this.root as ProbeRoot).held.push(this);
    return Action.Pause;
  }

  onLog(): void {
    if (this.mode == "log-response" || this.mode == "log-response-unstarted") this.resume(RESPONSE, false);
    if (this.mode == "log-request") this.resume(REQUEST, false);
  }
}

class ProbeRoot extends RootContext {
  held: Probe[] = [];

  onConfigure(configurationSize: u32): bool {
    this.setTickPeriod(100);
    return true;
  }

  onTick(): void {
    const still: Probe[] = [];
    for (let i = 0; i < this.held.length; i++) {
      const p = this.held[i];
      if (p.ticks.length == 0) continue;
      const next = p.ticks.shift();
      if (next == "request") p.resume(REQUEST, true);
      else if (next == "response") p.resume(RESPONSE, true);
      if (p.ticks.length > 0) still.push(p);
    }
    this.held = still;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Probe(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new ProbeRoot(id));
