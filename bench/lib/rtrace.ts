// AssemblyScript's runtime hooks (a module built with ASC_RTRACE imports `rtrace`), counted for
// the guest profiles (profile-guest.ts, profile-chain.ts). The test host instantiates through the
// global WebAssembly.Instance, so the hooks go in there, for modules made while `active()`.

import { WA, type WasmImports, type WasmModule } from "../../src/testing/wasm-api.ts";

export interface RuntimeCounts {
  alloc: number;
  free: number;
  interrupt: number;
  visit: number;
  collect: number;
}

/** Installs the hooks; returns the running counts. `onAlloc` runs on every allocation. */
export function hookRuntimeTrace(
  active: () => boolean = () => true,
  onAlloc: () => void = () => {},
): RuntimeCounts {
  const counts: RuntimeCounts = { alloc: 0, free: 0, interrupt: 0, visit: 0, collect: 0 };
  const rtrace = {
    oninit: () => {},
    onalloc: () => {
      counts.alloc++;
      onAlloc();
    },
    onresize: () => {},
    onmove: () => {},
    onfree: () => void counts.free++,
    onvisit: () => {
      counts.visit++;
      return 1;
    },
    oncollect: () => void counts.collect++,
    oninterrupt: () => void counts.interrupt++,
    onyield: () => {},
    // Memory-access checks of the same build: pass the address through unchanged.
    onload: (ptr: number) => ptr,
    onstore: (ptr: number) => ptr,
  };
  const Original = WA.Instance;
  class Hooked extends Original {
    constructor(module: WasmModule, imports: WasmImports) {
      super(module, active() ? { ...imports, rtrace } : imports);
    }
  }
  (WA as { Instance: unknown }).Instance = Hooked;
  return counts;
}
