// The SDK's own edits to a header map it holds whole, so the copy stays exact after a write
// without asking the host for the map again (host/headers.ts).
//
// A write the host accepted is logged here (its name lower-cased in ASCII as Envoy stores
// it, its value as given) while the copy is current; the next read brings the copy up to
// date in one pass. The pass does what Envoy's header map does for the three edits:
// - remove: every entry of the name goes (HeaderMapImpl::remove);
// - set: every entry of the name goes, then one entry is added (setCopy is remove + addCopy);
// - add of a name the map does not hold: one entry at the end (addCopy appends to the list).
// Where Envoy's result depends on what the pass cannot see, the pass gives up and the caller
// reads the map again: an add of a name already present (Envoy joins the value into the
// existing entry for its inline headers, a set compiled into the binary, and adds an entry for
// the others), any add or set of a pseudo-header (kept apart at the front of the list), any
// edit of `host` (a request map's other name for `:authority`), and an empty value. Those are rare in filters and cost one host call, not exactness.
//
// Log record: u32 kind, u32 name length, u32 value length, name, 0, value, 0, padded to 4.
// The rebuilt block has the host's pairs layout (internal/pairs.ts) and comes from the heap
// allocator, as the host's blocks do (the caller frees either with heap.free). Host-free, so
// the unit tests (assembly/__tests__/mapedits.spec.ts) run it directly.

// @ts-ignore: decorator
@inline export const EDIT_ADD: u32 = 0;
// @ts-ignore: decorator
@inline export const EDIT_SET: u32 = 1;
// @ts-ignore: decorator
@inline export const EDIT_REMOVE: u32 = 2;

// @ts-ignore: decorator
@inline const RECORD_HEAD: usize = 12;
// Entry of the working list: address of the name (value follows it after a 0), name length,
// value length.
// @ts-ignore: decorator
@inline const SPAN: usize = 12;

/** Edits made since the copy was read or last brought up to date. */
export class EditLog {
  private ptr: usize = 0;
  private cap: usize = 0;
  private len: usize = 0;
  count: u32 = 0;

  /** Bytes the log holds: with the block's size, a bound on what `apply` allocates. */
  get bytes(): usize {
    return this.len;
  }

  /** The first record (walk with recordAfter while below `end`). */
  get start(): usize {
    return this.ptr;
  }

  get end(): usize {
    return this.ptr + this.len;
  }

  clear(): void {
    this.len = 0;
    this.count = 0;
  }

  /** Logs one edit; `name` is lower-cased (ASCII) on the way in, as Envoy stores names. */
  push(kind: u32, name: usize, nameLen: usize, value: usize, valueLen: usize): void {
    const need = (RECORD_HEAD + nameLen + valueLen + 2 + 3) & ~(<usize>3);
    if (this.len + need > this.cap) {
      let cap = this.cap < 256 ? <usize>256 : this.cap << 1;
      while (cap < this.len + need) cap <<= 1;
      this.ptr = this.ptr == 0 ? heap.alloc(cap) : heap.realloc(this.ptr, cap);
      this.cap = cap;
    }
    const at = this.ptr + this.len;
    store<u32>(at, kind);
    store<u32>(at, <u32>nameLen, 4);
    store<u32>(at, <u32>valueLen, 8);
    const n = at + RECORD_HEAD;
    for (let i: usize = 0; i < nameLen; i++) {
      let c = <u32>load<u8>(name + i);
      if (c - 0x41 < 26) c |= 0x20;
      store<u8>(n + i, <u8>c);
    }
    store<u8>(n + nameLen, 0);
    memory.copy(n + nameLen + 1, value, valueLen);
    store<u8>(n + nameLen + 1 + valueLen, 0);
    this.len += need;
    this.count++;
  }

  /**
   * Applies the log to a pairs block (`count` pairs, as pairCount accepted it) and returns a
   * new block with the edits made, its size in `rebuiltSize`; 0 when an edit's outcome in
   * Envoy cannot be told from the copy (see above). The old block is left to the caller.
   */
  apply(block: usize, count: i32): usize {
    const n = <usize>(count < 0 ? 0 : count);
    const max = n + <usize>this.count;
    const spans = heap.alloc(max * SPAN + 4);
    let m: usize = 0;
    let sizes = block + 4;
    let data = block + 4 + n * 8;
    for (let i: usize = 0; i < n; i++) {
      const nameLen = <usize>load<u32>(sizes);
      const valueLen = <usize>load<u32>(sizes, 4);
      sizes += 8;
      putSpan(spans, m++, data, nameLen, valueLen);
      data += nameLen + valueLen + 2;
    }
    let rec = this.ptr;
    const end = this.ptr + this.len;
    let ok = true;
    while (rec < end) {
      const kind = load<u32>(rec);
      const nameLen = <usize>load<u32>(rec, 4);
      const valueLen = <usize>load<u32>(rec, 8);
      const name = rec + RECORD_HEAD;
      rec += (RECORD_HEAD + nameLen + valueLen + 2 + 3) & ~(<usize>3);
      if (isHost(name, nameLen) || (kind != EDIT_REMOVE && (valueLen == 0 || !appendable(name, nameLen)))) {
        ok = false;
        break;
      }
      if (kind == EDIT_ADD) {
        if (holds(spans, m, name, nameLen)) {
          ok = false;
          break;
        }
      } else {
        m = without(spans, m, name, nameLen);
      }
      if (kind != EDIT_REMOVE) putSpan(spans, m++, name, nameLen, valueLen);
    }
    let out: usize = 0;
    if (ok) {
      let size: usize = 4 + m * 8;
      for (let i: usize = 0; i < m; i++) {
        const s = spans + i * SPAN;
        size += <usize>load<u32>(s, 4) + <usize>load<u32>(s, 8) + 2;
      }
      out = heap.alloc(size);
      store<u32>(out, <u32>m);
      let outSizes = out + 4;
      let outData = out + 4 + m * 8;
      for (let i: usize = 0; i < m; i++) {
        const s = spans + i * SPAN;
        const from = <usize>load<u32>(s);
        const nameLen = <usize>load<u32>(s, 4);
        const valueLen = <usize>load<u32>(s, 8);
        store<u32>(outSizes, <u32>nameLen);
        store<u32>(outSizes, <u32>valueLen, 4);
        outSizes += 8;
        const bytes = nameLen + valueLen + 2;
        memory.copy(outData, from, bytes);
        outData += bytes;
      }
      rebuiltSize = size;
    }
    heap.free(spans);
    this.clear();
    return out;
  }
}

// A record's fields, for callers that replay a log (host/headers.ts).
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

// @ts-ignore: decorator
@inline
function putSpan(spans: usize, i: usize, name: usize, nameLen: usize, valueLen: usize): void {
  const s = spans + i * SPAN;
  store<u32>(s, <u32>name);
  store<u32>(s, <u32>nameLen, 4);
  store<u32>(s, <u32>valueLen, 8);
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

/** Whether the list holds an entry named exactly `name`. */
function holds(spans: usize, m: usize, name: usize, nameLen: usize): bool {
  for (let i: usize = 0; i < m; i++) {
    const s = spans + i * SPAN;
    if (<usize>load<u32>(s, 4) == nameLen && memory.compare(<usize>load<u32>(s), name, nameLen) == 0) {
      return true;
    }
  }
  return false;
}

/** Drops every entry named exactly `name`, keeping the order of the rest; the new length. */
function without(spans: usize, m: usize, name: usize, nameLen: usize): usize {
  let kept: usize = 0;
  for (let i: usize = 0; i < m; i++) {
    const s = spans + i * SPAN;
    if (<usize>load<u32>(s, 4) == nameLen && memory.compare(<usize>load<u32>(s), name, nameLen) == 0) {
      continue;
    }
    if (kept != i) memory.copy(spans + kept * SPAN, s, SPAN);
    kept++;
  }
  return kept;
}
