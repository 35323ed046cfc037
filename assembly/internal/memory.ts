// Memory shared with the host.
//
// Ownership: the host allocates every buffer it returns to us (through `**ptr` outputs) by
// calling our exported `malloc`, which takes raw, unmanaged memory from the TLSF heap
// (`heap.alloc`). The GC never sees those blocks, so nothing needs pinning; whoever reads a
// host buffer copies what it needs and frees the block exactly once (`takeBytes`,
// `freeHostBuffer`). Buffers we pass *to* the host are managed objects held by a local for
// the duration of the call; the host copies them before returning.

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

/** Allocates `size` bytes for the host. Exported as both `malloc` and `proxy_on_memory_allocate`. */
export function hostAlloc(size: usize): usize {
  // heap.alloc never returns 0 for size 0 in TLSF; keep the host's "0 = failure" meaning intact.
  return heap.alloc(size);
}

/** Releases a block the host handed us. */
// @ts-ignore: decorator
@inline
export function freeHostBuffer(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

/** Copies a host-returned block into a managed ArrayBuffer and frees the block. */
export function takeBytes(ptr: usize, size: usize): ArrayBuffer {
  const out = new ArrayBuffer(<i32>size);
  if (size > 0) memory.copy(changetype<usize>(out), ptr, size);
  freeHostBuffer(ptr);
  return out;
}

/** Reads the pointer and size that a host call just wrote to OUT_PTR/OUT_SIZE and takes them. */
export function takeOutBytes(): ArrayBuffer {
  return takeBytes(load<usize>(OUT_PTR), load<u32>(OUT_SIZE));
}

/** Clears the output slots before a call so a host that writes nothing reads as empty. */
// @ts-ignore: decorator
@inline
export function clearOut(): void {
  store<u64>(SCRATCH, 0);
  store<u64>(SCRATCH + 8, 0);
  store<u64>(SCRATCH + 16, 0);
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
