// The heap's size, counted where the allocator hands out and takes back blocks, for the
// collection policy (assembly/collect.ts).
//
// The SDK's build settings (asconfig.json `use`) first name the runtime's allocator functions
// `meshwasmRawAlloc`, `meshwasmRawRealloc` and `meshwasmRawFree`, then alias `__alloc`,
// `__realloc` and `__free` to the functions below, which call those and keep `heapBytes`: every
// allocation (managed objects, the buffers the host hands over through `malloc`, the SDK's own
// blocks) goes through them, and so does every block a collection or the SDK frees. They are
// `@global` so the aliases hold wherever the SDK is installed; a build without the aliases
// never calls them, and `heapCounted()` tells it so at compile time.

import { BLOCK, BLOCK_OVERHEAD } from "~lib/rt/common";

/** Bytes in the allocator's blocks in use (their sizes, without the block headers). */
export let heapBytes: usize = 0;

/** Whether this build routes the allocator through the functions below (a constant). */
// @ts-ignore: decorator
@inline
export function heapCounted(): bool {
  return isDefined(meshwasmRawAlloc);
}

// @ts-ignore: decorator
@inline
function blockSize(ptr: usize): usize {
  return changetype<BLOCK>(ptr - BLOCK_OVERHEAD).mmInfo & ~3;
}

/** The runtime's `__alloc`, counted. */
// @ts-ignore: decorator
@global @unsafe
export function meshwasmHeapAlloc(size: usize): usize {
  // @ts-ignore: named by the alias
  const ptr: usize = meshwasmRawAlloc(size);
  heapBytes += blockSize(ptr);
  return ptr;
}

/** The runtime's `__realloc`, counted. */
// @ts-ignore: decorator
@global @unsafe
export function meshwasmHeapRealloc(ptr: usize, size: usize): usize {
  // A block in the static data is not the allocator's: it is copied into a new one.
  const before: usize = ptr < __heap_base ? 0 : blockSize(ptr);
  // @ts-ignore: named by the alias
  const moved: usize = meshwasmRawRealloc(ptr, size);
  heapBytes = heapBytes - before + blockSize(moved);
  return moved;
}

/** The runtime's `__free`, counted. */
// @ts-ignore: decorator
@global @unsafe
export function meshwasmHeapFree(ptr: usize): void {
  // The allocator ignores a block in the static data too.
  if (ptr >= __heap_base) heapBytes -= blockSize(ptr);
  // @ts-ignore: named by the alias
  meshwasmRawFree(ptr);
}
