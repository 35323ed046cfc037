// Bench module "header1": the smallest useful filter, one request header added per request.

import { Action, CallbackNeeds, HttpContext, RootContext, registerRootContext, StreamCallbacks } from "../../../../assembly";

export * from "../../../../assembly/exports";

const NAME = String.UTF8.encode("x-bench-one");
const VALUE = String.UTF8.encode("1");

class Header1 extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.request.headers.addBytes(NAME, VALUE);
    return Action.Continue;
  }
}

class Header1Root extends RootContext {
  // Each request is done in its headers and nothing stays in its context: a build for the
  // configuration (`meshwasm build --for-config`) leaves out proxy_on_delete too.
  neededCallbacks(needs: CallbackNeeds): void {
    needs.noStreamState();
    needs.need(StreamCallbacks.RequestHeaders, "every request");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Header1(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new Header1Root(id), "header1");
