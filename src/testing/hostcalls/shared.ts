// Shared data and shared queues, both keyed by vm_id: proxy_get/set_shared_data,
// proxy_register/resolve/enqueue/dequeue_shared_queue.

import { Status } from "../status.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

export function sharedCalls({ vm, need }: HostCallScope): HostCalls {
  const { shared, queues } = vm.world;
  const vmId = vm.plugin.vmId;
  return {
    proxy_get_shared_data: (kp: number, ks: number, vpp: number, vsp: number, casp: number) => {
      const key = vm.readString(kp, ks);
      if (key === null) return Status.InvalidMemoryAccess;
      const entry = shared.guestRead(vmId, key);
      if (!entry) return Status.NotFound;
      const status = vm.copyOut(entry.value, vpp, vsp);
      if (status !== Status.Ok) return status;
      return vm.setU32(casp, entry.cas) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_set_shared_data: (kp: number, ks: number, vp: number, vs: number, cas: number) => {
      const key = vm.readString(kp, ks);
      const value = vm.read(vp, vs);
      if (key === null || !value) return Status.InvalidMemoryAccess;
      return shared.set(vmId, key, value, cas >>> 0);
    },
    proxy_register_shared_queue: (np: number, ns: number, tokenPtr: number) => {
      const name = vm.readString(np, ns);
      if (name === null) return Status.InvalidMemoryAccess;
      const token = queues.register(need().root, name);
      return vm.setU32(tokenPtr, token) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue: (
      vp: number,
      vs: number,
      np: number,
      ns: number,
      tokenPtr: number,
    ) => {
      const otherVmId = vm.readString(vp, vs);
      const name = vm.readString(np, ns);
      if (otherVmId === null || name === null) return Status.InvalidMemoryAccess;
      const token = queues.resolve(otherVmId, name);
      if (token === undefined) return Status.NotFound;
      return vm.setU32(tokenPtr, token) ? Status.Ok : Status.InvalidMemoryAccess;
    },
    proxy_enqueue_shared_queue: (token: number, vp: number, vs: number) => {
      const value = vm.read(vp, vs);
      if (!value) return Status.InvalidMemoryAccess;
      return queues.enqueue(token, value);
    },
    proxy_dequeue_shared_queue: (token: number, vpp: number, vsp: number) => {
      const result = queues.dequeue(vmId, token);
      if (typeof result === "number") return result;
      return vm.copyOut(result, vpp, vsp);
    },
  };
}
