// The SDK's own edits to a header map it holds whole, so the copy stays exact after a write
// without asking the host for the map again (host/headers.ts), and so a batch's edits can be
// sent later, one call each or as one whole map.
//
// One log per map holds every edit the host accepted (or that a batch queued) while the copy
// is current: its name lower-cased in ASCII as Envoy stores it, its value as given. Two marks
// split it: the edits before `applied` are in the copy already, the edits from `queued` on
// are a batch's, not yet sent to the host. The next read applies the rest to the copy in one
// pass; a batch's commit sends the queued ones. The pass does what Envoy's header map does
// for the three edits:
// - remove: every entry of the name goes (HeaderMapImpl::remove);
// - set: every entry of the name goes, then one entry is added (setCopy is remove + addCopy);
// - add of a name the map does not hold: one entry at the end (addCopy appends to the list).
// Where Envoy's result depends on what the pass cannot see, the pass gives up and the caller
// reads the map again: an add of a name already present (Envoy joins the value into the
// existing entry for its inline headers, a set compiled into the binary, and adds an entry for
// the others), any add or set of a pseudo-header (kept apart at the front of the list), any
// edit of `host` (a request map's other name for `:authority`), and an empty value. Those are
// rare in filters and cost one host call, not exactness.
//
// The pass looks each name up once in a hash table of the edits' names instead of scanning the
// list for each edit: it walks the edits (each name's last set or remove), the map (which
// entries stay), the edits again (which added entries stay; the give-ups) and writes the new
// block. The table and the per-entry marks are kept between passes and reused.
//
// Log record: u32 kind, u32 name length, u32 value length, u32 hash of the name, u32 scratch,
// name, 0, value, 0, padded to 4. The rebuilt block has the host's pairs layout
// (internal/pairs.ts) and comes from the heap allocator, as the host's blocks do (the caller
// frees either with heap.free). Host-free, so the unit tests (assembly/__tests__/
// mapedits.spec.ts) run it directly.

import { hashName, lowerAscii8 } from "./pairs";

// @ts-ignore: decorator
@inline export const EDIT_ADD: u32 = 0;
// @ts-ignore: decorator
@inline export const EDIT_SET: u32 = 1;
// @ts-ignore: decorator
@inline export const EDIT_REMOVE: u32 = 2;

// @ts-ignore: decorator
@inline const RECORD_HEAD: usize = 20;
// Name table slot: u32 address of the name (0: free), u32 name length, u32 hash, u32 the last
// set or remove of the name (1 + its index in the pass; 0: none), u32 whether the map holds
// the name at this point of the pass.
// @ts-ignore: decorator
@inline const SLOT: usize = 20;
// Record scratch value of an added entry that stays in the map.
// @ts-ignore: decorator
@inline const STAYS: u32 = 0xffffffff;

/** A map's edits: applied to its copy up to one mark, queued for the host from another. */
export class EditLog {
  private ptr: usize = 0;
  private cap: usize = 0;
  private len: usize = 0;
  /** Records held. */
  count: u32 = 0;
  // Records before `applied` (bytes) are in the copy; `appliedCount` of them.
  private applied: usize = 0;
  private appliedCount: u32 = 0;
  // Records from `queued` (bytes) on are queued for the host; `queuedCount` of them.
  private queued: usize = 0;
  queuedCount: u32 = 0;
  // The pass's name table (`slots` slots) and per-entry marks, reused.
  private table: usize = 0;
  private slots: usize = 0;
  private marks: usize = 0;
  private marksCap: usize = 0;

  /** Bytes of the records not applied yet: with the block's size, a bound on what `apply`
   *  allocates. */
  get bytes(): usize {
    return this.len - this.applied;
  }

  /** Whether some records are not in the copy yet. */
  get pending(): bool {
    return this.applied < this.len;
  }

  /** The first record (walk with recordAfter while below `end`). */
  get start(): usize {
    return this.ptr;
  }

  /** The first queued record. */
  get queuedStart(): usize {
    return this.ptr + this.queued;
  }

  get end(): usize {
    return this.ptr + this.len;
  }

  /** Forgets every record (the copy was read again or dropped, and nothing is queued). */
  clear(): void {
    this.len = 0;
    this.count = 0;
    this.applied = 0;
    this.appliedCount = 0;
    this.queued = 0;
    this.queuedCount = 0;
  }

  /** The queued records were sent to the host. */
  sent(): void {
    this.queued = this.len;
    this.queuedCount = 0;
    if (this.applied == this.len) this.clear();
  }

  /** Logs one edit, queued for the host or not; `name` is lower-cased (ASCII) on the way in,
   *  as Envoy stores names. An unqueued edit follows every queued one: send those first. */
  push(kind: u32, name: usize, nameLen: usize, value: usize, valueLen: usize, queue: bool = false): void {
    const need = (RECORD_HEAD + nameLen + valueLen + 2 + 3) & ~(<usize>3);
    if (this.len + need > this.cap) {
      let cap = this.cap < 256 ? <usize>256 : this.cap << 1;
      while (cap < this.len + need) cap <<= 1;
      this.ptr = this.ptr == 0 ? heap.alloc(cap) : heap.realloc(this.ptr, cap);
      this.cap = cap;
    }
    const at = this.ptr + this.len;
    const n = at + RECORD_HEAD;
    let i: usize = 0;
    for (; i + 8 <= nameLen; i += 8) store<u64>(n + i, lowerAscii8(load<u64>(name + i)));
    for (; i < nameLen; i++) {
      let c = <u32>load<u8>(name + i);
      if (c - 0x41 < 26) c |= 0x20;
      store<u8>(n + i, <u8>c);
    }
    const h = hashName(n, nameLen, false);
    store<u32>(at, kind);
    store<u32>(at, <u32>nameLen, 4);
    store<u32>(at, <u32>valueLen, 8);
    store<u32>(at, h, 12);
    store<u8>(n + nameLen, 0);
    memory.copy(n + nameLen + 1, value, valueLen);
    store<u8>(n + nameLen + 1 + valueLen, 0);
    this.len += need;
    this.count++;
    if (queue) this.queuedCount++;
    else this.queued = this.len;
  }

  /**
   * Applies the records not applied yet to a pairs block (`count` pairs, as pairCount accepted
   * it) and returns a new block with the edits made, its size in `rebuiltSize` and its count
   * in `rebuiltCount`; 0 when an edit's outcome in Envoy cannot be told from the copy (see
   * above), the records then left as they were. The old block is left to the caller.
   */
  apply(block: usize, count: i32): usize {
    const n = <usize>(count < 0 ? 0 : count);
    const from = this.ptr + this.applied;
    const end = this.ptr + this.len;
    const edits = <usize>(this.count - this.appliedCount);
    // The table: a power of two at least twice the edits.
    let slots: usize = 16;
    while (slots < edits * 2) slots <<= 1;
    if (slots > this.slots) {
      if (this.table != 0) heap.free(this.table);
      this.table = heap.alloc(slots * SLOT);
      this.slots = slots;
    }
    const table = this.table;
    const mask = slots - 1;
    memory.fill(table, 0, slots * SLOT);
    // Pass 1, the edits: the give-ups a name alone decides, each name's slot, its last kill.
    let lengths: u32 = 0;
    let rec = from;
    let index: u32 = 0;
    while (rec < end) {
      const kind = load<u32>(rec);
      const nameLen = <usize>load<u32>(rec, 4);
      const valueLen = <usize>load<u32>(rec, 8);
      const name = rec + RECORD_HEAD;
      if (isHost(name, nameLen) || (kind != EDIT_REMOVE && (valueLen == 0 || !appendable(name, nameLen)))) return 0;
      const s = table + slotOf(table, mask, load<u32>(rec, 12), name, nameLen, true) * SLOT;
      store<u32>(rec, <u32>(s - table), 16);
      index++;
      if (kind != EDIT_ADD) store<u32>(s, index, 12);
      lengths |= <u32>1 << <u32>(nameLen & 31);
      rec += (RECORD_HEAD + nameLen + valueLen + 2 + 3) & ~(<usize>3);
    }
    // Pass 2, the map: an entry stays unless an edit sets or removes its name.
    if (n > this.marksCap) {
      if (this.marks != 0) heap.free(this.marks);
      this.marksCap = n < 64 ? 64 : n * 2;
      this.marks = heap.alloc(this.marksCap);
    }
    const marks = this.marks;
    let kept: usize = 0;
    let keptBytes: usize = 0;
    let sizes = block + 4;
    let data = block + 4 + n * 8;
    for (let i: usize = 0; i < n; i++) {
      const nameLen = <usize>load<u32>(sizes);
      const valueLen = <usize>load<u32>(sizes, 4);
      sizes += 8;
      let stays = true;
      if ((lengths & (<u32>1 << <u32>(nameLen & 31))) != 0) {
        const at = slotOf(table, mask, hashName(data, nameLen, false), data, nameLen, false);
        if (at != NO_SLOT) {
          const s = table + at * SLOT;
          store<u32>(s, 1, 16);
          stays = load<u32>(s, 12) == 0;
        }
      }
      store<u8>(marks + i, stays ? 1 : 0);
      if (stays) {
        kept++;
        keptBytes += nameLen + valueLen + 2;
      }
      data += nameLen + valueLen + 2;
    }
    // Pass 3, the edits in order: an add of a name the map holds gives up; an added entry
    // stays unless a later set or remove of its name takes it.
    let added: usize = 0;
    let addedBytes: usize = 0;
    rec = from;
    index = 0;
    while (rec < end) {
      const kind = load<u32>(rec);
      const nameLen = <usize>load<u32>(rec, 4);
      const valueLen = <usize>load<u32>(rec, 8);
      const s = table + <usize>load<u32>(rec, 16);
      index++;
      if (kind == EDIT_REMOVE) {
        store<u32>(s, 0, 16);
      } else {
        if (kind == EDIT_ADD && load<u32>(s, 16) != 0) return 0;
        store<u32>(s, 1, 16);
        if (load<u32>(s, 12) <= index) {
          store<u32>(rec, STAYS, 16);
          added++;
          addedBytes += nameLen + valueLen + 2;
        }
      }
      rec += (RECORD_HEAD + nameLen + valueLen + 2 + 3) & ~(<usize>3);
    }
    // The new block: the entries that stay, then the added ones, in order.
    const m = kept + added;
    const size: usize = 4 + m * 8 + keptBytes + addedBytes;
    const out = heap.alloc(size);
    store<u32>(out, <u32>m);
    let outSizes = out + 4;
    let outData = out + 4 + m * 8;
    sizes = block + 4;
    data = block + 4 + n * 8;
    for (let i: usize = 0; i < n; i++) {
      const nameLen = <usize>load<u32>(sizes);
      const valueLen = <usize>load<u32>(sizes, 4);
      sizes += 8;
      const bytes = nameLen + valueLen + 2;
      if (load<u8>(marks + i) != 0) {
        store<u64>(outSizes, load<u64>(sizes - 8));
        outSizes += 8;
        memory.copy(outData, data, bytes);
        outData += bytes;
      }
      data += bytes;
    }
    rec = from;
    while (rec < end) {
      const nameLen = <usize>load<u32>(rec, 4);
      const valueLen = <usize>load<u32>(rec, 8);
      if (load<u32>(rec, 16) == STAYS) {
        store<u32>(outSizes, <u32>nameLen);
        store<u32>(outSizes, <u32>valueLen, 4);
        outSizes += 8;
        const bytes = nameLen + valueLen + 2;
        memory.copy(outData, rec + RECORD_HEAD, bytes);
        outData += bytes;
      }
      rec += (RECORD_HEAD + nameLen + valueLen + 2 + 3) & ~(<usize>3);
    }
    rebuiltSize = size;
    rebuiltCount = <i32>m;
    this.applied = this.len;
    this.appliedCount = this.count;
    if (this.queued == this.len) this.clear();
    return out;
  }
}

// A record's fields, for callers that replay a log (host/headerbatch.ts).
// @ts-ignore: decorator
@inline export function recordKind(rec: usize): u32 {
  return load<u32>(rec);
}
// @ts-ignore: decorator
@inline export function recordNameLen(rec: usize): usize {
  return <usize>load<u32>(rec, 4);
}
// @ts-ignore: decorator
@inline export function recordValueLen(rec: usize): usize {
  return <usize>load<u32>(rec, 8);
}
// @ts-ignore: decorator
@inline export function recordName(rec: usize): usize {
  return rec + RECORD_HEAD;
}
// @ts-ignore: decorator
@inline export function recordValue(rec: usize): usize {
  return rec + RECORD_HEAD + <usize>load<u32>(rec, 4) + 1;
}
// @ts-ignore: decorator
@inline export function recordAfter(rec: usize): usize {
  return rec + ((RECORD_HEAD + <usize>load<u32>(rec, 4) + <usize>load<u32>(rec, 8) + 2 + 3) & ~(<usize>3));
}

/** Size of the block the last successful `apply` returned. */
export let rebuiltSize: usize = 0;
/** Pairs in the block the last successful `apply` returned. */
export let rebuiltCount: i32 = 0;

// @ts-ignore: decorator
@inline const NO_SLOT: usize = <usize>-1;

/** The slot of `name` in the table (found by its hash, length and bytes); a free slot taken
 *  for it when `insert`, else NO_SLOT when absent. The table is never full (twice the names). */
function slotOf(table: usize, mask: usize, hash: u32, name: usize, nameLen: usize, insert: bool): usize {
  let i = <usize>hash & mask;
  while (true) {
    const s = table + i * SLOT;
    const at = <usize>load<u32>(s);
    if (at == 0) {
      if (!insert) return NO_SLOT;
      store<u32>(s, <u32>name);
      store<u32>(s, <u32>nameLen, 4);
      store<u32>(s, hash, 8);
      return i;
    }
    if (load<u32>(s, 8) == hash && <usize>load<u32>(s, 4) == nameLen && sameBytes(at, name, nameLen)) return i;
    i = (i + 1) & mask;
  }
  return NO_SLOT;
}

/** Whether `len` bytes at `a` and `b` are equal: eight at a time, the last eight first. */
function sameBytes(a: usize, b: usize, len: usize): bool {
  if (len < 8) return memory.compare(a, b, len) == 0;
  const last = len - 8;
  if (load<u64>(a + last) != load<u64>(b + last)) return false;
  for (let i: usize = 0; i < last; i += 8) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
  }
  return true;
}

/** Whether an add or set of this (lower-cased) name lands at the end of Envoy's list. */
function appendable(name: usize, nameLen: usize): bool {
  if (nameLen == 0 || load<u8>(name) == 0x3a) return false; // ':' pseudo-header
  // "host" (Envoy keeps the authority as ":authority"; leave the name to the host).
  return !isHost(name, nameLen);
}

/** Whether the (lower-cased) name is `host`. */
function isHost(name: usize, nameLen: usize): bool {
  return nameLen == 4 && load<u32>(name) == 0x74736f68;
}
