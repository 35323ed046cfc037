// The host functions of ABI 0.2.1 (and the WASI and foreign functions Envoy provides), one
// module per ABI group, each acting on the VM's current or effective context. Statuses and
// edge cases follow Envoy's context.cc and proxy-wasm-cpp-host's exports.cc.

import type { Vm } from "../vm.ts";
import { bufferCalls } from "./buffers.ts";
import { calloutCalls } from "./callouts.ts";
import { lifecycleCalls } from "./lifecycle.ts";
import { mapCalls } from "./maps.ts";
import { metricCalls } from "./metrics.ts";
import { propertyCalls } from "./properties.ts";
import { type HostCalls, hostCallScope } from "./scope.ts";
import { sharedCalls } from "./shared.ts";
import { streamCalls } from "./stream.ts";
import { wasiCalls } from "./wasi.ts";

export type { HostCalls } from "./scope.ts";

/** Every host function the VM links, bound to `vm`. */
export function hostFunctions(vm: Vm): HostCalls {
  const scope = hostCallScope(vm);
  return {
    ...lifecycleCalls(scope),
    ...bufferCalls(scope),
    ...mapCalls(scope),
    ...streamCalls(scope),
    ...calloutCalls(scope),
    ...sharedCalls(scope),
    ...metricCalls(scope),
    ...propertyCalls(scope),
    ...wasiCalls(scope),
  };
}
