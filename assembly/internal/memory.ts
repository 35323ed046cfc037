// Memory shared with the host.
//
// Ownership: the host allocates every buffer it returns to us (through `**ptr` outputs) by
// calling our exported `malloc`, which takes raw, unmanaged memory that the GC never sees, so
// nothing needs pinning; whoever reads a host buffer copies what it needs and releases the
// block exactly once (`takeBytes`, `freeHostBuffer`). Buffers we pass *to* the host are
// managed objects held by a local for the duration of the call; the host copies them before
// returning.
//
// The landing block: the SDK's hot reads (a header value, a header map, a body, a property)
// arm it just before their host call and disarm it right after, and the host's malloc in
// between gets one reused block instead of a fresh TLSF allocation; the reader copies out of
// it before its next host call, and releasing it is a no-op. One malloc per arming: a host
// that allocates twice in one call gets a heap block the second time. Code that calls the raw
// imports itself never sees the landing block (it is never armed outside those reads).

import { logCritical } from "./panic";

/** Eight-byte-aligned scratch slots for host-call outputs. Host calls never re-enter us
 *  except through `malloc`, which does not touch these, so static slots are safe. */
const SCRATCH: usize = memory.data(32, 8);

/** Output slot for a pointer (`**data`). */
export const OUT_PTR: usize = SCRATCH;
/** Output slot for a size (`*size`). */
export const OUT_SIZE: usize = SCRATCH + 4;
/** Output slot for a third 32-bit value (CAS, flags, ids). */
export const OUT_EXTRA: usize = SCRATCH + 8;
/** Output slot for a 64-bit value (time, metric values). */
export const OUT_U64: usize = SCRATCH + 16;

// Out of memory. AssemblyScript's allocator traps with a bare `unreachable` when linear memory
// cannot grow, which names nothing. Envoy gives a VM at most 1 GiB (proxy-wasm's V8 limit), so
// the SDK checks its large allocations (what the host hands over, body copies and rewrites)
// against a limit first: one that would take linear memory past it logs a critical line naming
// what needed how much, then stops the VM. Linear memory never shrinks, so the check counts its
// high-water mark: it may stop a VM whose allocator still had that much free, never later than
// the host would.
let memoryLimit: u64 = 1 << 30;

/**
 * Sets the most linear memory this VM may use (default 1 GiB, Envoy's limit per VM). Lower it
 * to stop a VM with a named cause before it takes more than its share. Legal anywhere.
 * Example: `setMemoryLimit(64 << 20)` in onVmStart.
 */
export function setMemoryLimit(bytes: u64): void {
  memoryLimit = bytes;
}

/** Stops the VM with a critical log line when `size` more bytes would take linear memory past
 *  the limit; `what` names the allocation. */
export function ensureRoom(size: u64, what: string): void {
  const used = <u64>memory.size() << 16;
  if (used + size <= memoryLimit) return;
  logCritical(
    "meshwasm: out of memory: " + what + " needs " + size.toString() + " bytes; linear memory is " +
      used.toString() + " bytes of a " + memoryLimit.toString() + " byte limit",
  );
  unreachable();
}

let landing: usize = 0;
let landingSize: usize = 0;
let landingArmed = false;

/** Allocates `size` bytes for the host. Exported as both `malloc` and `proxy_on_memory_allocate`. */
export function hostAlloc(size: usize): usize {
  if (size > 0x10000) ensureRoom(<u64>size, "a buffer the host hands over (malloc)");
  // Up to 64 KiB: a larger block (a big body) is not worth keeping between reads.
  if (landingArmed && size <= 0x10000) {
    landingArmed = false;
    if (landing == 0 || size > landingSize) {
      // Grow to the next power of two (at least 256 bytes) so a run of growing reads settles.
      let grown: usize = landingSize < 256 ? 256 : landingSize;
      while (grown < size) grown <<= 1;
      if (landing != 0) heap.free(landing);
      landing = heap.alloc(grown);
      landingSize = grown;
    }
    return landing;
  }
  // heap.alloc never returns 0 for size 0 in TLSF; keep the host's "0 = failure" meaning intact.
  return heap.alloc(size);
}

/** Releases a block the host handed us (the landing block stays for the next read). */
// @ts-ignore: decorator
@inline
export function freeHostBuffer(ptr: usize): void {
  if (ptr != 0 && ptr != landing) heap.free(ptr);
}

/** Hands `ptr` (what the host just wrote) to a reader that keeps it past its next host call:
 *  when it is the landing block, the next armed malloc gets a fresh one. Either way the
 *  keeper frees it with heap.free when done. */
export function keepHostBuffer(ptr: usize): void {
  if (ptr != 0 && ptr == landing) {
    landing = 0;
    landingSize = 0;
  }
}

/** Copies a host-returned block into a managed ArrayBuffer and frees the block. */
export function takeBytes(ptr: usize, size: usize): ArrayBuffer {
  if (size > 0x10000) ensureRoom(<u64>size, "copying host data");
  const out = new ArrayBuffer(<i32>size);
  if (size > 0) memory.copy(changetype<usize>(out), ptr, size);
  freeHostBuffer(ptr);
  return out;
}

/** Reads the pointer and size that a host call just wrote to OUT_PTR/OUT_SIZE and takes them. */
export function takeOutBytes(): ArrayBuffer {
  return takeBytes(load<usize>(OUT_PTR), load<u32>(OUT_SIZE));
}

/** Arms the landing block for the one buffer the next host call may hand over; call
 *  disarmLanding() right after that call. */
// @ts-ignore: decorator
@inline
export function armLanding(): void {
  landingArmed = true;
}

/** Ends an armLanding(), whether or not the host allocated. */
// @ts-ignore: decorator
@inline
export function disarmLanding(): void {
  landingArmed = false;
}

/** Clears the output slots before a call so a host that writes nothing reads as empty. */
// @ts-ignore: decorator
@inline
export function clearOut(): void {
  store<u64>(SCRATCH, 0);
  store<u64>(SCRATCH + 8, 0);
  store<u64>(SCRATCH + 16, 0);
}

/** Copies `len` bytes from `src` to `dst` (two blocks apart). Up to 16 bytes (a header name or
 *  value, most often) by two loads and two stores, which V8 runs in the module's code, where a
 *  memory.copy is a call out to the engine; longer copies with memory.copy. */
// @ts-ignore: decorator
@inline
export function copyBytes(dst: usize, src: usize, len: usize): void {
  if (len > 16) {
    memory.copy(dst, src, len);
  } else if (len >= 8) {
    const head = load<u64>(src);
    const tail = load<u64>(src + len - 8);
    store<u64>(dst, head);
    store<u64>(dst + len - 8, tail);
  } else if (len >= 4) {
    const head = load<u32>(src);
    const tail = load<u32>(src + len - 4);
    store<u32>(dst, head);
    store<u32>(dst + len - 4, tail);
  } else if (len != 0) {
    const head = load<u8>(src);
    const middle = load<u8>(src + (len >> 1));
    const tail = load<u8>(src + len - 1);
    store<u8>(dst, head);
    store<u8>(dst + (len >> 1), middle);
    store<u8>(dst + len - 1, tail);
  }
}

/** The address of a managed ArrayBuffer's bytes. */
// @ts-ignore: decorator
@inline
export function ptrOf(buf: ArrayBuffer): usize {
  return changetype<usize>(buf);
}

/** UTF-8 bytes of a string, without a terminating NUL. */
// @ts-ignore: decorator
@inline
export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}
