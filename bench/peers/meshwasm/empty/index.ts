// Bench module "empty": an HTTP context that overrides nothing. Measures what a Wasm filter
// costs per request before it does any work (VM entries for each callback, context objects).

import { HttpContext, RootContext, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

class Empty extends HttpContext {}

class EmptyRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new Empty(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new EmptyRoot(id), "empty");
