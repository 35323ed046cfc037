// Bench module "shared-cas": one shared-data counter (u64, little-endian, key
// "bench_counter") incremented with compare-and-swap on every request.

import {
  Action,
  CallbackNeeds,
  HttpContext,
  RootContext,
  StreamCallbacks,
  addSharedCounter,
  registerRootContext,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

class SharedCas extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    addSharedCounter("bench_counter", 1);
    return Action.Continue;
  }
}

class SharedCasRoot extends RootContext {
  // Each request is done in its headers and nothing stays in its context: a build for the
  // configuration (`meshwasm build --for-config`) leaves out proxy_on_delete too.
  neededCallbacks(needs: CallbackNeeds): void {
    needs.noStreamState();
    needs.need(StreamCallbacks.RequestHeaders, "every request");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new SharedCas(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new SharedCasRoot(id), "shared-cas");
