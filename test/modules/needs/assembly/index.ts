// needs: one root whose neededCallbacks follows its configuration, for
// test/sdk/callback-needs.test.ts (what CallbackNeeds records, and how a configuration that
// needs a callback the module was built without is refused).
//
// Configuration: steps separated by ";", each a list of fields separated by "|":
//   need|<names>|<reason>             needs.need(<names>, <reason>)
//   state                             needs.noStreamState()
//   add|<names>|<prefix>|<reason>     a CallbackNeeds of its own that needs <names> for
//                                     <reason>, added with needs.add(own, <prefix>)
//   default                           RootContext's own neededCallbacks
// <names>: StreamCallbacks' names joined by "+", e.g. "RequestHeaders+Log" ("" for none).
// After the steps it logs "mask <bits>" and, for each bit 0 to 9, "reason <bit>: <reason>".

import { CallbackNeeds, RootContext, StreamCallbacks, log, registerRootContext } from "../../../../assembly";

export * from "../../../../assembly/exports";

function bitOf(name: string): u32 {
  if (name == "RequestHeaders") return StreamCallbacks.RequestHeaders;
  if (name == "RequestBody") return StreamCallbacks.RequestBody;
  if (name == "RequestTrailers") return StreamCallbacks.RequestTrailers;
  if (name == "ResponseHeaders") return StreamCallbacks.ResponseHeaders;
  if (name == "ResponseBody") return StreamCallbacks.ResponseBody;
  if (name == "ResponseTrailers") return StreamCallbacks.ResponseTrailers;
  if (name == "Log") return StreamCallbacks.Log;
  if (name == "Done") return StreamCallbacks.Done;
  if (name == "Delete") return StreamCallbacks.Delete;
  if (name == "Request") return StreamCallbacks.Request;
  if (name == "Response") return StreamCallbacks.Response;
  if (name == "All") return StreamCallbacks.All;
  return 0;
}

function bitsOf(names: string): u32 {
  let bits: u32 = 0;
  const parts = names.split("+");
  for (let i = 0; i < parts.length; i++) bits |= bitOf(parts[i]);
  return bits;
}

class NeedsRoot extends RootContext {
  steps: string = "";

  onConfigure(configurationSize: u32): bool {
    this.steps = String.UTF8.decode(this.pluginConfiguration());
    return true;
  }

  neededCallbacks(needs: CallbackNeeds): void {
    const steps = this.steps.split(";");
    for (let i = 0; i < steps.length; i++) {
      const f = steps[i].split("|");
      const kind = f[0];
      if (kind == "need") needs.need(bitsOf(f[1]), f[2]);
      else if (kind == "state") needs.noStreamState();
      else if (kind == "add") {
        const own = new CallbackNeeds();
        own.need(bitsOf(f[1]), f[3]);
        needs.add(own, f[2]);
      } else if (kind == "default") super.neededCallbacks(needs);
    }
    log.info("mask " + needs.mask.toString());
    for (let bit = 0; bit < 10; bit++) log.info("reason " + bit.toString() + ": " + needs.reason(<u32>1 << bit));
  }
}

registerRootContext((id: u32): RootContext => new NeedsRoot(id), "needs");
