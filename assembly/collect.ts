// When the garbage collector runs, with AssemblyScript's minimal runtime (the default build).
//
// The minimal runtime collects only when asked, and a collection visits every live object, so
// its cost grows with what a filter keeps (routes, caches, keys). The dispatcher asks here at
// the end of every callback, where no managed reference is left on the stack, and a
// collection runs only when one of these says the garbage may have grown:
//
// - linear memory grew since the last collection (the allocator ran out of free blocks);
// - the host handed over more bytes (through `malloc`) than 1/32 of linear memory: bodies,
//   property values, callout answers, and the copies and strings a filter makes of them
//   (often several times their size); a header map read whole counts when a filter decodes
//   it (pairs, pairsBytes, pairsBlock), not when it is only searched (get), since the SDK frees that
//   block itself;
// - COLLECT_EVERY callbacks ended without one (what the filter's own code allocates).
//
// So a filter's memory stays within its live data plus a bounded amount of garbage, and the
// cost of a collection is spread over many callbacks. With the incremental runtime
// (`--runtime incremental`) none of this is compiled: that runtime collects by itself.

import { writeBatches } from "./internal/current";

/** Callbacks between two collections at most. */
// @ts-ignore: decorator
@inline const COLLECT_EVERY: u32 = 64;

let callbacks: u32 = 0;
let hostBytes: usize = 0;
let pagesAtCollection: i32 = 0;

/** Counts a buffer the host asked us to allocate. */
// @ts-ignore: decorator
@inline
export function noteHostBytes(size: usize): void {
  if (ASC_RUNTIME == 1) hostBytes += size;
}

/** Takes back bytes noteHostBytes counted that the SDK keeps and frees itself (a header map
 *  read whole): they make no garbage; what a filter decodes from them is counted again. */
// @ts-ignore: decorator
@inline
export function forgetHostBytes(size: usize): void {
  if (ASC_RUNTIME == 1) hostBytes = hostBytes > size ? hostBytes - size : 0;
}

/** Ends a callback: writes the header edits still batched, collects when due (see the top
 *  of this file). */
// @ts-ignore: decorator
@inline
export function endOfCallback(): void {
  writeBatches();
  if (ASC_RUNTIME == 1) collectIfDue();
}

function collectIfDue(): void {
  const pages = memory.size();
  if (
    ++callbacks < COLLECT_EVERY &&
    pages == pagesAtCollection &&
    hostBytes < (<usize>pages << 16) >> 5
  ) {
    return;
  }
  __collect();
  callbacks = 0;
  hostBytes = 0;
  pagesAtCollection = memory.size();
}
