// Bench module "body4k": the whole request body (4 KiB in the bench) read once and
// replaced with the same number of bytes. The replacement keeps the body's length, so the
// request goes upstream with its Content-Length (BodyLength.Kept), as the Rust peer's does.

import {
  Action,
  BodyLength,
  DEFAULT_BODY_LIMIT,
  HttpContext,
  Overflow,
  RootContext,
  registerRootContext,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

class Body4k extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (!endOfStream) this.bufferRequestBody(DEFAULT_BODY_LIMIT, Overflow.Reject, BodyLength.Kept);
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    const body = this.request.body.read();
    const replacement = new ArrayBuffer(body.byteLength);
    memory.fill(changetype<usize>(replacement), 0x62, <usize>body.byteLength);
    this.request.body.replace(replacement);
    return Action.Continue;
  }
}

class Body4kRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new Body4k(contextId, this);
  }
}

registerRootContext((id: u32): RootContext => new Body4kRoot(id), "body4k");
