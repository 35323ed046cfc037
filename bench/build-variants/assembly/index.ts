// The probe behind the build's -O3 / runtime choice: typical per-request work
// (a property read, the whole header map, a header write each way, a debug log that is off)
// plus a gauge reporting the module's linear memory in 64 KiB pages.

import { Action, Gauge, HttpContext, RootContext, log, properties, registerRootContext } from "../../../assembly";

export * from "../../../assembly/exports";

const pages = new Gauge("build_probe_memory_pages");

class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null {
    return new Probe(id, this);
  }
}

class Probe extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    pages.set(<u64>memory.size());
    const path = properties.requestPath();
    log.debug("probe {}", path === null ? "" : path);
    const all = this.request.headers.pairs();
    this.request.headers.set("x-probe-count", all.length.toString());
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.response.headers.set("x-probe", "1");
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new Root(id));
