// require-header: refuses requests that lack a header (401), tags the rest.
// The README's "Your first filter" walks through this file.
//
// Configuration (JSON): {"header": "x-api-key"}; the field is optional.

import { Action, HttpContext, RootContext, log, readConfig, registerRootContext } from "../../../assembly";

export * from "../../../assembly/exports"; // the host's entry points: always re-export them

class Root extends RootContext {
  header: string = "x-api-key";

  // Runs once per (re)configuration; parse here, never per request.
  onConfigure(size: u32): bool {
    const config = readConfig(this.pluginConfiguration());
    // A name that is empty, not a token, or protected (host, a pseudo-header) is refused here.
    this.header = config.headerName("header", "x-api-key");
    config.unknownKeys(["header"]);
    if (!config.ok) {
      log.error(config.firstError); // names the field and the value
      return false; // Envoy refuses the configuration
    }
    return true;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new RequireHeader(id, this);
  }
}

class RequireHeader extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const name = (this.root as Root).header;
    if (this.request.headers.get(name) === null) {
      this.sendLocalResponse(401, "missing " + name + "\n");
      return Action.Pause;
    }
    this.request.headers.set("x-checked-by", "meshwasm");
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new Root(id));
