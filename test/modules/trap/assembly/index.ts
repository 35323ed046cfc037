// A filter that traps on request: for measuring what Envoy's failure policies do after a VM
// failure. GET /trap traps in onRequestHeaders; any other request is tagged (the upstream sees
// `x-filter-ran: yes`) and counted in `trap_module_requests`.

import { Action, Counter, HttpContext, RootContext, properties, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

const requests = new Counter("trap_module_requests");

class Tagger extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const path = properties.requestPath();
    if (path !== null && path == "/trap") unreachable();
    requests.increment();
    this.request.headers.set("x-filter-ran", "yes");
    return Action.Continue;
  }
}

class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new Tagger(id, this);
  }
}

registerRootContext((id: u32): RootContext => new Root(id));
