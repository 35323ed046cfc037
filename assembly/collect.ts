// When the garbage collector runs, with AssemblyScript's minimal runtime (the default build).
//
// The minimal runtime collects only when asked, and a collection visits every live object, so
// its cost grows with what a filter keeps (routes, caches, keys). The dispatcher asks here at
// the end of every callback, where no managed reference is left on the stack, and a
// collection runs only when one of these says enough garbage may have piled up:
//
// - the heap grew past its goal: the bytes in the allocator's blocks (managed objects, the
//   buffers the host hands over through `malloc`, the SDK's own blocks) went up, since the
//   last collection, by as much as that collection left live, or by MIN_GARBAGE when that is
//   more (by half the free memory when that is less than MIN_GARBAGE: a small filter's memory
//   does not grow for its garbage);
// - linear memory grew since the last collection (the allocator ran out of free blocks).
//
// The heap's bytes are counted where the allocator hands out and takes back blocks: the SDK's
// build settings (asconfig.json) alias the runtime's `__alloc`, `__realloc` and `__free` to
// counting functions that call the allocator's own (internal/heapcount.ts). A block freed by
// hand (a header map the SDK reads whole and releases at the next read) takes its bytes back,
// as a collection does.
// So a collection costs what the filter kept once per at least as many bytes of garbage,
// whatever its callbacks allocate (a filter that makes no garbage is not collected at all), and
// linear memory grows for garbage only when twice the live heap, plus one callback's garbage,
// no longer fits.
//
// A build without those aliases (another build configuration) cannot count the heap: it falls
// back to collecting also when the host handed over more bytes (through `malloc`) than 1/32 of
// linear memory, and after COLLECT_EVERY callbacks without a collection. With the incremental
// runtime (`--runtime incremental`) none of this is compiled: that runtime collects by itself.

import { writeBatches } from "./internal/current";
import { heapBytes, heapCounted } from "./internal/heapcount";

/** Garbage allowed between two collections however little the filter keeps, when half the free
 *  memory is at least that much. */
// @ts-ignore: decorator
@inline const MIN_GARBAGE: usize = 64 << 10;

/** Without the counting aliases: callbacks between two collections at most. */
// @ts-ignore: decorator
@inline const COLLECT_EVERY: u32 = 64;

/** Collect when heapBytes reaches this. */
let heapGoal: usize = MIN_GARBAGE;
let pagesAtCollection: i32 = 0;
// Without the counting aliases only.
let callbacks: u32 = 0;
let hostBytes: usize = 0;

/** Counts a buffer the host asked us to allocate (only without the counting aliases, which
 *  count it as any other block). */
// @ts-ignore: decorator
@inline
export function noteHostBytes(size: usize): void {
  if (ASC_RUNTIME == 1 && !heapCounted()) hostBytes += size;
}

/** Takes back bytes noteHostBytes counted that the SDK keeps and frees itself (a header map
 *  read whole): they make no garbage; what a filter decodes from them is counted again. */
// @ts-ignore: decorator
@inline
export function forgetHostBytes(size: usize): void {
  if (ASC_RUNTIME == 1 && !heapCounted()) hostBytes = hostBytes > size ? hostBytes - size : 0;
}

/** Ends a callback: writes the header edits still batched, collects when due (see the top
 *  of this file). */
// @ts-ignore: decorator
@inline
export function endOfCallback(): void {
  writeBatches();
  if (ASC_RUNTIME == 1) {
    if (heapCounted()) collectIfGrown();
    else collectIfDue();
  }
}

function collectIfGrown(): void {
  if (heapBytes < heapGoal && memory.size() == pagesAtCollection) return;
  __collect();
  const live = heapBytes;
  const pages = memory.size();
  // Half the free memory when that is less than MIN_GARBAGE, so a small filter's memory does
  // not grow for garbage alone; never less than the live heap, so marking it costs a bounded
  // amount per byte of garbage.
  const free = (<usize>pages << 16) - min(live, <usize>pages << 16);
  heapGoal = live + max(live, min(MIN_GARBAGE, free >> 1));
  pagesAtCollection = pages;
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
