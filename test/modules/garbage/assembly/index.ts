// garbage: a filter that keeps a large live heap and makes as much garbage per request as asked,
// for the collection policy's tests (test/sdk/collect.test.ts).
//
// Configuration: {"keep": N}: N strings kept for the VM's life (the live heap a collection
// marks). Each request makes `x-garbage` bytes of garbage (128-byte blocks dropped at once) in
// its request headers callback; without the header, none of its own. With `x-read-path`, it
// reads the request's path as a property (bytes the host hands over, for the collection
// policy of a build that does not count the heap).

import { Action, HttpContext, RootContext, log, properties, readConfig, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

/** What the filter keeps: reachable from a global, marked by every collection. */
const kept: string[] = [];

class GarbageRoot extends RootContext {
  onConfigure(configurationSize: u32): bool {
    const config = readConfig(this.pluginConfiguration());
    const keep = config.integer("keep", 0, 0, 1_000_000);
    config.unknownKeys(["keep"]);
    if (!config.ok) {
      log.error(config.firstError);
      return false;
    }
    for (let i: i64 = 0; i < keep; i++) kept.push("kept entry " + i.toString());
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Garbage(contextId, this);
  }
}

/** Set by each request, so the optimizer keeps the blocks it allocates. */
let checksum: u32 = 0;

class Garbage extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.request.headers.has("x-read-path")) {
      const path = properties.requestPath();
      if (path !== null && path.length == 0) log.info("never");
    }
    const asked = this.request.headers.get("x-garbage");
    if (asked === null) return Action.Continue;
    const bytes = I32.parseInt(asked);
    for (let made = 0; made < bytes; made += 128) {
      const block = new ArrayBuffer(112);
      store<u8>(changetype<usize>(block), <u8>made);
      checksum += load<u8>(changetype<usize>(block));
    }
    if (checksum == 0xffffffff) log.info("never");
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new GarbageRoot(id), "garbage");
