// A module without malloc or proxy_on_memory_allocate: Envoy refuses it ("missing malloc").
import "../../../../assembly/internal/panic";

export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(contextId: u32, parentId: u32): void {}
