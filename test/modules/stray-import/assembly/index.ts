// A filter importing proxy_get_configuration, an ABI 0.1.0 host call Envoy does not link for
// 0.2.1 modules: loading it must fail and name the import.

import { Action, HttpContext, RootContext, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

@external("env", "proxy_get_configuration")
declare function proxy_get_configuration(ptrPtr: usize, sizePtr: usize): u32;

class Stray extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    proxy_get_configuration(0, 0);
    return Action.Continue;
  }
}

class StrayRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new Stray(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new StrayRoot(id));
