// Bench module "empty": an HTTP context that overrides nothing. Measures what a Wasm filter
// costs per request before it does any work (VM entries for each callback, context objects).
//
// It keeps nothing in a stream's context, and says so (needs.noStreamState()), as a stateless
// filter would: built for its configuration (`meshwasm build --for-config`, bench/lib/peers.ts)
// the module then exports no per-stream callback at all, not even proxy_on_delete, and Envoy
// never enters the VM for a request. `empty-all` is the same source with every callback
// exported.

import {
  CallbackNeeds,
  HttpContext,
  RootContext,
  registerRootContext,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

class Empty extends HttpContext {}

class EmptyRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new Empty(contextId, this);
  }

  neededCallbacks(needs: CallbackNeeds): void {
    needs.noStreamState();
  }
}

registerRootContext((id: u32): RootContext => new EmptyRoot(id), "empty");
