// WASI preview1 (and the Emscripten/pthread stubs) as Envoy shims them: stdout and stderr go
// to the log, clocks read the virtual clock, the environment comes from the VmConfig, and
// proc_exit is only logged.

import { utf8 } from "../wire.ts";
import type { HostCallScope, HostCalls } from "./scope.ts";

const EBADF = 8;
const EFAULT = 21;
const EINVAL = 28;
const ENOTSUP = 58;

export function wasiCalls({ vm }: HostCallScope): HostCalls {
  const world = vm.world;
  const environ = (): Uint8Array[] =>
    Object.entries(vm.plugin.environment).map(([k, v]) => utf8(`${k}=${v}\0`));
  return {
    pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
    emscripten_notify_memory_growth: () => undefined,
    fd_write: (fd: number, iovs: number, count: number, writtenPtr: number) => {
      if (fd !== 1 && fd !== 2) return EBADF;
      vm.refresh();
      let out = "";
      let written = 0;
      for (let i = 0; i < count; i++) {
        const ptr = vm.dv.getUint32(iovs + i * 8, true);
        const len = vm.dv.getUint32(iovs + i * 8 + 4, true);
        out += vm.readString(ptr, len) ?? "";
        written += len;
      }
      vm.setU32(writtenPtr, written);
      world.log(vm.worker, fd === 1 ? 2 : 4, out.replace(/\n$/, ""), "wasm");
      return 0;
    },
    clock_time_get: (id: number, _precision: bigint, ptr: number) => {
      if (id !== 0 && id !== 1) return ENOTSUP;
      const nanos = id === 0 ? world.clock.nowNanos() : world.clock.monotonicNanos();
      return vm.setU64(ptr, nanos) ? 0 : EFAULT;
    },
    clock_res_get: (_id: number, ptr: number) => (vm.setU64(ptr, 1n) ? 0 : EFAULT),
    random_get: (ptr: number, len: number) => {
      if (len > 65536) return EINVAL;
      vm.refresh();
      globalThis.crypto.getRandomValues(vm.u8.subarray(ptr, ptr + len));
      return 0;
    },
    environ_sizes_get: (countPtr: number, sizePtr: number) => {
      const entries = environ();
      vm.setU32(countPtr, entries.length);
      vm.setU32(
        sizePtr,
        entries.reduce((n, e) => n + e.length, 0),
      );
      return 0;
    },
    environ_get: (ptrs: number, buf: number) => {
      let at = buf;
      environ().forEach((bytes, i) => {
        vm.setU32(ptrs + i * 4, at);
        vm.refresh();
        vm.u8.set(bytes, at);
        at += bytes.length;
      });
      return 0;
    },
    args_sizes_get: (countPtr: number, sizePtr: number) => {
      vm.setU32(countPtr, 0);
      vm.setU32(sizePtr, 0);
      return 0;
    },
    args_get: () => 0,
    proc_exit: (code: number) => {
      world.log(vm.worker, 4, `wasi proc_exit(${code}) called; Envoy only logs it`, "host");
    },
    sched_yield: () => 0,
    poll_oneoff: (_in: number, _out: number, _n: number, neventsPtr: number) => {
      vm.setU32(neventsPtr, 0);
      return 0;
    },
  };
}
