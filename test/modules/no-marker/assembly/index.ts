// A module without the proxy_abi_version_0_2_1 marker: Envoy cannot tell its ABI.
import "../../../../assembly/internal/panic";

export function malloc(size: usize): usize {
  return heap.alloc(size);
}
