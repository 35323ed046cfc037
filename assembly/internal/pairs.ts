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
