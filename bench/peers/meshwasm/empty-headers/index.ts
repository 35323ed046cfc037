// Bench module "empty-headers": an HTTP context whose onRequestHeaders does nothing. Next to
// "empty" it measures what one more exported callback (one more VM entry per request) costs:
// every filter that works on request headers pays it.

import { Action, HttpContext, RootContext, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

class EmptyHeaders extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
}

class EmptyHeadersRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new EmptyHeaders(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new EmptyHeadersRoot(id), "empty-headers");
