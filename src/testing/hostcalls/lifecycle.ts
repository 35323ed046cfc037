// Contexts, logging, time and ticks: proxy_done, proxy_set_effective_context, proxy_log,
// proxy_get_log_level, proxy_get_current_time_nanoseconds, proxy_set_tick_period_milliseconds.

import { RootContextState } from "../contexts.ts";
import { Status } from "../status.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

export function lifecycleCalls({ vm, need }: HostCallScope): HostCalls {
  const world = vm.world;
  return {
    proxy_done: () => {
      const c = need();
      if (!(c instanceof RootContextState) || !vm.pendingDone.delete(c.id)) {
        return Status.NotFound;
      }
      c.delete();
      return Status.Ok;
    },
    proxy_set_effective_context: (id: number) => {
      const c = vm.contexts.get(id);
      if (!c) return Status.BadArgument;
      vm.effective = c;
      return Status.Ok;
    },
    proxy_log: (level: number, ptr: number, size: number) => {
      const msg = vm.readString(ptr, size);
      if (msg === null) return Status.InvalidMemoryAccess;
      if (level > 5) return Status.BadArgument;
      world.log(vm.worker, level, msg, "wasm");
      return Status.Ok;
    },
    proxy_get_log_level: (ptr: number) =>
      vm.setU32(ptr, world.logLevel) ? Status.Ok : Status.InvalidMemoryAccess,
    proxy_get_current_time_nanoseconds: (ptr: number) =>
      vm.setU64(ptr, world.clock.nowNanos()) ? Status.Ok : Status.InvalidMemoryAccess,
    proxy_set_tick_period_milliseconds: (period: number) => {
      world.setTickPeriod(need().root, period >>> 0);
      return Status.Ok;
    },
  };
}
