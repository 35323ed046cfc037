// Bench module "headers20-pairs": the headers20 work (read 20 request headers, add 20, remove
// the 20 read) done in two host calls instead of 60: the whole map is read once
// (proxy_get_header_map_pairs), edited in the guest, and written back once
// (proxy_set_header_map_pairs). Same effect on the request; a different shape of host calls.

import { Action, Header, HttpContext, Protected, RootContext, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

const COUNT = 20;
const IN_PREFIX = "x-bench-in-";
const outHeaders = new Array<Header>(COUNT);
for (let i = 0; i < COUNT; i++) {
  outHeaders[i] = new Header("x-bench-out-" + i.toString(), "value-" + i.toString());
}

class Headers20Pairs extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const headers = this.request.headers;
    const all = headers.pairs();
    const kept = new Array<Header>(0);
    let seen = 0;
    for (let i = 0; i < all.length; i++) {
      const h = unchecked(all[i]);
      if (h.name.startsWith(IN_PREFIX)) seen++;
      else kept.push(h);
    }
    for (let i = 0; i < COUNT; i++) kept.push(unchecked(outHeaders[i]));
    // The request map carries its pseudo-headers, which setPairs refuses unless allowed.
    headers.setPairs(kept, Protected.Allow);
    return seen == COUNT ? Action.Continue : Action.Continue;
  }
}

class Headers20PairsRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new Headers20Pairs(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new Headers20PairsRoot(id), "headers20-pairs");
