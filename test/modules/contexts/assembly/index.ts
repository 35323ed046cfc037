// Contexts made at their first callback (the build leaves proxy_on_context_create out): two
// roots, "alpha" and "beta", that can serve plugins sharing one VM. Each stream context
// overrides only onResponseHeaders, onLog and onDelete, so Envoy's first VM entry for a stream
// is its response headers, or proxy_on_log for a stream that never got a response. Each
// root counts the contexts it made, logged and deleted (`contexts_<root_id>_created`, ...),
// and a response says which root served it, with that root's configuration and its live
// contexts (a missed delete would show as a growing count) and how many roots its VM has.
// Every configuration needs the response's headers and the log, so the module built without
// proxy_on_delete (test/modules/build.ts, "contexts-until-log") ends each stream at its log.

import {
  Action,
  CallbackNeeds,
  Counter,
  Header,
  HttpContext,
  RootContext,
  registerRootContext,
  registerSharedQueue,
  StreamCallbacks,
} from "../../../../assembly";

export * from "../../../../assembly/exports";

/** Roots made in this VM: 2 when two plugins share it. */
let rootsInVm = 0;

class CountingRoot extends RootContext {
  config: string = "";
  live: i32 = 0;
  created: Counter;
  logged: Counter;
  deleted: Counter;

  constructor(contextId: u32, public readonly name: string) {
    super(contextId);
    rootsInVm++;
    this.created = new Counter("contexts_" + name + "_created");
    this.logged = new Counter("contexts_" + name + "_logged");
    this.deleted = new Counter("contexts_" + name + "_deleted");
  }

  onConfigure(configurationSize: u32): bool {
    this.config = String.UTF8.decode(this.pluginConfiguration());
    // Never configured so, but compiled in: a module that can set a tick, register a queue and
    // make a callout keeps the root's answers to them exported (the build leaves them out of a
    // module that cannot), and test/sdk/contexts.test.ts calls those as a broken host would.
    if (this.config == "make every call") {
      this.setTickPeriod(1000);
      registerSharedQueue("contexts");
      this.dispatchHttpCall("none", [new Header(":path", "/")], null, [], 1000);
    }
    return true;
  }

  neededCallbacks(needs: CallbackNeeds): void {
    needs.need(StreamCallbacks.ResponseHeaders | StreamCallbacks.Log, "every stream");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    this.live++;
    this.created.increment();
    return new Counted(contextId, this);
  }
}

class Counted extends HttpContext {
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = changetype<CountingRoot>(this.root);
    this.response.headers.set("x-root", root.name);
    this.response.headers.set("x-config", root.config);
    this.response.headers.set("x-live", root.live.toString());
    this.response.headers.set("x-roots-in-vm", rootsInVm.toString());
    return Action.Continue;
  }

  onLog(): void {
    changetype<CountingRoot>(this.root).logged.increment();
  }

  onDelete(): void {
    const root = changetype<CountingRoot>(this.root);
    root.live--;
    root.deleted.increment();
  }
}

registerRootContext((id: u32): RootContext => new CountingRoot(id, "alpha"), "alpha");
registerRootContext((id: u32): RootContext => new CountingRoot(id, "beta"), "beta");
