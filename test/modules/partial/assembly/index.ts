// A filter that uses one per-stream callback: its build exports proxy_on_request_headers but
// not the body, trailers, response, log or done callbacks (see transform/exports.mjs), so the
// host skips them. It marks the request, counts its contexts and logs their deletion: a host
// that skips the callbacks must still pass bodies, trailers and responses untouched and delete
// every context.

import { Action, Counter, HttpContext, RootContext, log, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

const created = new Counter("partial_created");
const deleted = new Counter("partial_deleted");

class Partial extends HttpContext {
  constructor(contextId: u32, root: RootContext) {
    super(contextId, root);
    created.increment(1);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.request.headers.add("x-partial", "seen");
    log.info("partial: request headers");
    return Action.Continue;
  }

  onDelete(): void {
    deleted.increment(1);
    log.info("partial: delete");
  }
}

class PartialRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new Partial(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new PartialRoot(id));
