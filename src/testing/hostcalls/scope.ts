// What every group of host functions shares: the VM they serve and the context a call acts on.

import type { GuestContext } from "../contexts.ts";
import { WasmTrapError } from "../status.ts";
import type { Vm } from "../vm.ts";

/** Host functions by import name; the VM links each into `env` or the WASI modules. */
export type HostCalls = Record<string, (...args: never[]) => unknown>;

export interface HostCallScope {
  readonly vm: Vm;
  /** The effective (else current) context; a call outside any context breaks the host
   *  contract and traps. */
  need(): GuestContext;
}

export function hostCallScope(vm: Vm): HostCallScope {
  return {
    vm,
    need() {
      const c = vm.ctx();
      if (!c) throw new WasmTrapError("(start)", "host call without a current context");
      return c;
    },
  };
}
