// Bench module "headers20": the published cross-SDK header test. On request headers it
// reads 20 headers the client sent (x-bench-in-0..19), adds 20 new ones
// (x-bench-out-0..19) and removes the 20 it read. Header names are encoded once, at start.
// The edits are batched (HeaderMap.batch): the map is read whole once, the reads and the 40
// edits work on the SDK's copy, and the commit writes the result in one host call. Each value
// read is copied into one buffer the module reuses (HeaderMap.getBytesInto), as a filter that
// reads many headers per request would.

import { Action, CallbackNeeds, HttpContext, RootContext, registerRootContext, StreamCallbacks } from "../../../../assembly";

export * from "../../../../assembly/exports";

const COUNT = 20;
const inNames = new Array<ArrayBuffer>(COUNT);
const outNames = new Array<ArrayBuffer>(COUNT);
const outValues = new Array<ArrayBuffer>(COUNT);
const value = new ArrayBuffer(64);
for (let i = 0; i < COUNT; i++) {
  inNames[i] = String.UTF8.encode("x-bench-in-" + i.toString());
  outNames[i] = String.UTF8.encode("x-bench-out-" + i.toString());
  outValues[i] = String.UTF8.encode("value-" + i.toString());
}

class Headers20 extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const headers = this.request.headers;
    headers.batch();
    let seen = 0;
    for (let i = 0; i < COUNT; i++) {
      if (headers.getBytesInto(unchecked(inNames[i]), value) >= 0) seen++;
    }
    for (let i = 0; i < COUNT; i++) headers.addBytes(unchecked(outNames[i]), unchecked(outValues[i]));
    for (let i = 0; i < COUNT; i++) headers.removeBytes(unchecked(inNames[i]));
    headers.commit();
    return seen == COUNT ? Action.Continue : Action.Continue;
  }
}

class Headers20Root extends RootContext {
  // Each request is done in its headers and nothing stays in its context: a build for the
  // configuration (`meshwasm build --for-config`) leaves out proxy_on_delete too.
  neededCallbacks(needs: CallbackNeeds): void {
    needs.noStreamState();
    needs.need(StreamCallbacks.RequestHeaders, "every request");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Headers20(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new Headers20Root(id), "headers20");
