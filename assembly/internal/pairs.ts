// The header-map "pairs" wire format of proxy-wasm (ABI 0.2.1):
//
//   u32 count                                  little endian
//   count × (u32 nameLength, u32 valueLength)  little endian
//   count × (name bytes, 0x00, value bytes, 0x00)
//
// An empty map is sent as zero bytes or as the single byte 0x00 by some hosts; both decode
// to no pairs. Decoding is defensive: a block that claims more bytes than it has decodes as
// far as it is consistent and stops, instead of reading past its end.

import { decodeUtf8At } from "../utf8";

/** One header (or trailer, or metadata entry) as UTF-8 strings. */
export class Header {
  constructor(public name: string, public value: string) {}
}

/** One header as raw bytes, for values that need not be UTF-8. */
export class HeaderBytes {
  constructor(public name: ArrayBuffer, public value: ArrayBuffer) {}
}

/** Serializes string pairs; names and values are encoded as UTF-8. */
export function serializeHeaders(headers: Header[]): ArrayBuffer {
  const n = headers.length;
  const names = new Array<ArrayBuffer>(n);
  const values = new Array<ArrayBuffer>(n);
  for (let i = 0; i < n; i++) {
    const h = unchecked(headers[i]);
    unchecked((names[i] = String.UTF8.encode(h.name)));
    unchecked((values[i] = String.UTF8.encode(h.value)));
  }
  return writePairs(names, values);
}

/** Serializes byte pairs. */
export function serializeHeaderBytes(headers: HeaderBytes[]): ArrayBuffer {
  const n = headers.length;
  const names = new Array<ArrayBuffer>(n);
  const values = new Array<ArrayBuffer>(n);
  for (let i = 0; i < n; i++) {
    const h = unchecked(headers[i]);
    unchecked((names[i] = h.name));
    unchecked((values[i] = h.value));
  }
  return writePairs(names, values);
}

/** Writes the pairs block for parallel lists of encoded names and values. */
function writePairs(names: ArrayBuffer[], values: ArrayBuffer[]): ArrayBuffer {
  const n = names.length;
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    size += unchecked(names[i]).byteLength + unchecked(values[i]).byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, n);
  let sizes = base + 4;
  let data = base + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const name = unchecked(names[i]);
    const value = unchecked(values[i]);
    store<u32>(sizes, name.byteLength);
    store<u32>(sizes, value.byteLength, 4);
    sizes += 8;
    memory.copy(data, changetype<usize>(name), name.byteLength);
    data += name.byteLength;
    store<u8>(data++, 0);
    memory.copy(data, changetype<usize>(value), value.byteLength);
    data += value.byteLength;
    store<u8>(data++, 0);
  }
  return out;
}

/** How many pairs a block holds, or -1 when the block is inconsistent. */
export function pairCount(ptr: usize, size: usize): i32 {
  return checkedCount(ptr, size);
}

/**
 * Finds the first pair named `name` (matched as Envoy matches a header read: `name` lower-cased
 * in ASCII, then compared byte for byte with the stored name) in a block pairCount accepted.
 * Returns the value's offset from `ptr` in the low 32 bits and its length in the high 32, or -1.
 */
export function findPairValue(ptr: usize, size: usize, name: usize, nameLen: usize): i64 {
  const n = size < 4 ? 0 : <i32>load<u32>(ptr);
  if (n <= 0) return -1;
  let sizes = ptr + 4;
  let data = ptr + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const len = <usize>load<u32>(sizes);
    const valueLen = <usize>load<u32>(sizes, 4);
    sizes += 8;
    if (len == nameLen && sameLowered(data, name, len)) {
      return (<i64>valueLen << 32) | <i64>(data + len + 1 - ptr);
    }
    data += len + valueLen + 2;
  }
  return -1;
}

// @ts-ignore: decorator
@inline const HASH_SEED: u64 = 0xcbf29ce484222325;
// @ts-ignore: decorator
@inline const HASH_PRIME: u64 = 0x100000001b3;

/** A hash of a name's bytes (with `lower`, of the bytes with their ASCII capitals lowered, so
 *  a query hashes as the stored name it matches): eight bytes at a time (the last eight read as
 *  one word, overlapping the one before), then mixed so that a table's low bits depend on
 *  every byte. */
export function hashName(name: usize, nameLen: usize, lower: bool): u32 {
  let h: u64 = HASH_SEED ^ <u64>nameLen;
  if (nameLen >= 8) {
    const last = nameLen - 8;
    for (let i: usize = 0; i < last; i += 8) {
      const w = load<u64>(name + i);
      h = (h ^ (lower ? lowerAscii8(w) : w)) * HASH_PRIME;
    }
    const w = load<u64>(name + last);
    h = (h ^ (lower ? lowerAscii8(w) : w)) * HASH_PRIME;
  } else {
    let w: u64 = 0;
    for (let i: usize = 0; i < nameLen; i++) {
      let c = <u32>load<u8>(name + i);
      if (lower && c - 0x41 < 26) c |= 0x20;
      w = (w << 8) | <u64>c;
    }
    h = (h ^ w) * HASH_PRIME;
  }
  h ^= h >> 32;
  h *= HASH_PRIME;
  return <u32>(h ^ (h >> 29));
}

// Index slot: u32 the name's offset in the block (0: free; no name starts there), u32 name
// length, u32 value length, u32 the name's hash.
// @ts-ignore: decorator
@inline const INDEX_SLOT: usize = 16;

/**
 * A hash table of a pairs block's names, for a map read many times between two changes: each
 * lookup then costs one hash of the query instead of a scan of the block. It answers exactly as
 * findPairValue does (the first pair of the name, matched as Envoy matches); it holds offsets
 * into the block it was built for, so its owner builds it again whenever the block changes.
 * Its table is kept and reused.
 */
export class PairIndex {
  private table: usize = 0;
  private slots: usize = 0;
  private mask: usize = 0;

  /** Indexes the `count` pairs (as pairCount accepted them) of the block at `ptr`. */
  build(ptr: usize, count: i32): void {
    const n = <usize>(count < 0 ? 0 : count);
    let slots: usize = 16;
    while (slots < n * 2) slots <<= 1;
    if (slots > this.slots) {
      if (this.table != 0) heap.free(this.table);
      this.table = heap.alloc(slots * INDEX_SLOT);
      this.slots = slots;
    }
    this.mask = slots - 1;
    const table = this.table;
    const mask = this.mask;
    memory.fill(table, 0, slots * INDEX_SLOT);
    let sizes = ptr + 4;
    let data = ptr + 4 + n * 8;
    for (let i: usize = 0; i < n; i++) {
      const len = <usize>load<u32>(sizes);
      const valueLen = <usize>load<u32>(sizes, 4);
      sizes += 8;
      const h = hashName(data, len, false);
      let j = <usize>h & mask;
      while (true) {
        const s = table + j * INDEX_SLOT;
        const at = <usize>load<u32>(s);
        if (at == 0) {
          store<u32>(s, <u32>(data - ptr));
          store<u32>(s, <u32>len, 4);
          store<u32>(s, <u32>valueLen, 8);
          store<u32>(s, h, 12);
          break;
        }
        // A later pair of a name already held: reads answer with the first.
        if (load<u32>(s, 12) == h && <usize>load<u32>(s, 4) == len && memory.compare(ptr + at, data, len) == 0) break;
        j = (j + 1) & mask;
      }
      data += len + valueLen + 2;
    }
  }

  /** findPairValue's answer for the block the index was last built for (at `ptr`). */
  find(ptr: usize, name: usize, nameLen: usize): i64 {
    const h = hashName(name, nameLen, true);
    const table = this.table;
    const mask = this.mask;
    let j = <usize>h & mask;
    while (true) {
      const s = table + j * INDEX_SLOT;
      const at = <usize>load<u32>(s);
      if (at == 0) return -1;
      if (load<u32>(s, 12) == h && <usize>load<u32>(s, 4) == nameLen && sameLowered(ptr + at, name, nameLen)) {
        return (<i64>load<u32>(s, 8) << 32) | <i64>(at + nameLen + 1);
      }
      j = (j + 1) & mask;
    }
    return -1;
  }
}

/** Every value of `name` in a pairs block that pairCount accepted, matched as findPairValue
 *  matches, decoded as strings in the map's order; nothing else is decoded or copied. */
export function findPairValues(ptr: usize, size: usize, name: usize, nameLen: usize): string[] {
  const out = new Array<string>(0);
  const n = size < 4 ? 0 : <i32>load<u32>(ptr);
  let sizes = ptr + 4;
  let data = ptr + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const len = <usize>load<u32>(sizes);
    const valueLen = <usize>load<u32>(sizes, 4);
    sizes += 8;
    if (len == nameLen && sameLowered(data, name, len)) out.push(decodeUtf8At(data + len + 1, valueLen));
    data += len + valueLen + 2;
  }
  return out;
}

/** Whether `stored` equals `query` with its ASCII upper case letters lowered. Names of eight
 *  bytes or more are compared eight at a time, their last eight first: names in one map often
 *  share a prefix (`x-forwarded-`, `x-envoy-`) and differ at the end. */
function sameLowered(stored: usize, query: usize, len: usize): bool {
  if (len >= 8) {
    const last = len - 8;
    if (load<u64>(stored + last) != lowerAscii8(load<u64>(query + last))) return false;
    for (let i: usize = 0; i < last; i += 8) {
      if (load<u64>(stored + i) != lowerAscii8(load<u64>(query + i))) return false;
    }
    return true;
  }
  for (let i: usize = 0; i < len; i++) {
    let c = <u32>load<u8>(query + i);
    if (c - 0x41 < 26) c |= 0x20;
    if (<u32>load<u8>(stored + i) != c) return false;
  }
  return true;
}

/** Eight bytes with each ASCII upper case letter lowered (other bytes, UTF-8 too, as they
 *  are): a byte below 0x80 is a letter when adding 0x3f carries into its top bit and adding
 *  0x25 does not; the carries stay inside each byte. */
// @ts-ignore: decorator
@inline
export function lowerAscii8(w: u64): u64 {
  const low7 = w & 0x7f7f7f7f7f7f7f7f;
  const fromA = low7 + 0x3f3f3f3f3f3f3f3f;
  const pastZ = low7 + 0x2525252525252525;
  return w | ((((fromA ^ pastZ) & ~w) & 0x8080808080808080) >> 2);
}

function checkedCount(ptr: usize, size: usize): i32 {
  if (size < 4) return 0;
  const n = load<u32>(ptr);
  if (n == 0) return 0;
  // Each pair needs 8 bytes of sizes and two NUL terminators.
  if (<u64>n * 10 + 4 > <u64>size) return -1;
  let need: u64 = 4 + <u64>n * 8;
  for (let i: u32 = 0; i < n; i++) {
    const p = ptr + 4 + <usize>i * 8;
    need += <u64>load<u32>(p) + <u64>load<u32>(p, 4) + 2;
  }
  return need > <u64>size ? -1 : <i32>n;
}

/** Decodes a pairs block in linear memory into strings (invalid UTF-8 becomes U+FFFD). */
export function deserializeHeaders(ptr: usize, size: usize): Header[] {
  const n = checkedCount(ptr, size);
  const out = new Array<Header>(0);
  if (n <= 0) return out;
  let sizes = ptr + 4;
  let data = ptr + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const nameLen = <usize>load<u32>(sizes);
    const valueLen = <usize>load<u32>(sizes, 4);
    sizes += 8;
    const name = decodeUtf8At(data, nameLen);
    data += nameLen + 1;
    const value = decodeUtf8At(data, valueLen);
    data += valueLen + 1;
    out.push(new Header(name, value));
  }
  return out;
}

/** Decodes a pairs block in linear memory into byte pairs. */
export function deserializeHeaderBytes(ptr: usize, size: usize): HeaderBytes[] {
  const n = checkedCount(ptr, size);
  const out = new Array<HeaderBytes>(0);
  if (n <= 0) return out;
  let sizes = ptr + 4;
  let data = ptr + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const nameLen = <usize>load<u32>(sizes);
    const valueLen = <usize>load<u32>(sizes, 4);
    sizes += 8;
    const name = new ArrayBuffer(<i32>nameLen);
    memory.copy(changetype<usize>(name), data, nameLen);
    data += nameLen + 1;
    const value = new ArrayBuffer(<i32>valueLen);
    memory.copy(changetype<usize>(value), data, valueLen);
    data += valueLen + 1;
    out.push(new HeaderBytes(name, value));
  }
  return out;
}

/** Decodes a pairs block held in a managed ArrayBuffer. */
export function deserializeHeadersFrom(block: ArrayBuffer): Header[] {
  return deserializeHeaders(changetype<usize>(block), block.byteLength);
}
