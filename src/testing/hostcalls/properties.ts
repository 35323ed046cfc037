// Attributes and foreign functions: proxy_get_property, proxy_set_property,
// proxy_call_foreign_function.

import { Status } from "../status.ts";
import { decodePath, text } from "../wire.ts";
import { callForeign } from "./foreign.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

export function propertyCalls({ vm, need }: HostCallScope): HostCalls {
  return {
    proxy_get_property: (pp: number, ps: number, vpp: number, vsp: number) => {
      const raw = vm.read(pp, ps);
      if (!raw) return Status.InvalidMemoryAccess;
      const value = need().property(decodePath(raw));
      if (value === undefined) return Status.NotFound;
      if (typeof value === "number") return value;
      return vm.copyOut(value, vpp, vsp);
    },
    proxy_set_property: (pp: number, ps: number, vp: number, vs: number) => {
      const raw = vm.read(pp, ps);
      const value = vm.read(vp, vs);
      if (!raw || !value) return Status.InvalidMemoryAccess;
      return need().setProperty(text(raw), value);
    },
    proxy_call_foreign_function: (
      np: number,
      ns: number,
      ap: number,
      as: number,
      rpp: number,
      rsp: number,
    ) => {
      const name = vm.readString(np, ns);
      const args = vm.read(ap, as);
      if (name === null || !args) return Status.InvalidMemoryAccess;
      const result = callForeign(vm.world, name, args, need());
      if (typeof result === "number") return result;
      return vm.copyOut(result, rpp, rsp);
    },
  };
}
