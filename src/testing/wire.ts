// Wire formats the host and the module exchange: header-map pairs and property paths.
//
// Pairs (proxy-wasm ABI 0.2.1): u32 count, count × (u32 keyLen, u32 valueLen), then each key
// and value followed by a NUL byte, all little endian. Property paths: each segment followed
// by NUL; Envoy splits on NUL (a last segment without NUL is accepted too).

/** Ordered name/value pairs, the shape every map takes in this host. */
export type Pairs = Array<[string, string]>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 of `text`; short ASCII strings (most header names and values) skip TextEncoder. */
export function utf8(text: string): Uint8Array {
  const n = text.length;
  if (n > 64) return encoder.encode(text);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return encoder.encode(text);
    out[i] = c;
  }
  return out;
}

/** `bytes` decoded as UTF-8; short ASCII runs skip TextDecoder. */
export function text(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n > 64) return decoder.decode(bytes);
  let out = "";
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    if (c >= 0x80) return decoder.decode(bytes);
    out += String.fromCharCode(c);
  }
  return out;
}

/** Serializes pairs; an empty map is zero bytes, as Envoy sends it. */
export function encodePairs(pairs: Pairs): Uint8Array {
  if (pairs.length === 0) return new Uint8Array(0);
  const encoded = pairs.map(([k, v]) => [utf8(k), utf8(v)] as const);
  let size = 4 + pairs.length * 8;
  for (const [k, v] of encoded) size += k.length + v.length + 2;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, pairs.length, true);
  let sizes = 4;
  let data = 4 + pairs.length * 8;
  for (const [k, v] of encoded) {
    view.setUint32(sizes, k.length, true);
    view.setUint32(sizes + 4, v.length, true);
    sizes += 8;
    out.set(k, data);
    data += k.length + 1;
    out.set(v, data);
    data += v.length + 1;
  }
  return out;
}

/** Parses pairs; returns null when the block is inconsistent (Envoy: a parse failure). */
export function decodePairs(bytes: Uint8Array): Pairs | null {
  if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0)) return [];
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  if (count > 1024 || 4 + count * 8 > bytes.length) return null;
  const out: Pairs = [];
  let data = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const kl = view.getUint32(4 + i * 8, true);
    const vl = view.getUint32(8 + i * 8, true);
    if (data + kl + vl + 2 > bytes.length) return null;
    const k = text(bytes.subarray(data, data + kl));
    data += kl + 1;
    const v = text(bytes.subarray(data, data + vl));
    data += vl + 1;
    out.push([k, v]);
  }
  return out;
}

/** Splits a NUL-separated property path into its segments. */
export function decodePath(bytes: Uint8Array): string[] {
  const parts: string[] = [];
  let current = "";
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c === 0) {
      parts.push(current);
      current = "";
      start = i + 1;
    } else if (c < 0x80) {
      current += String.fromCharCode(c);
    } else {
      // Non-ASCII: decode this segment properly.
      let end = bytes.indexOf(0, i);
      if (end < 0) end = bytes.length;
      current = text(bytes.subarray(start, end));
      parts.push(current);
      current = "";
      i = end;
      start = end + 1;
    }
  }
  if (start < bytes.length) parts.push(current);
  return parts;
}

/** Little-endian 8-byte encodings Envoy uses for int64/uint64/double properties. */
export function int64Bytes(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(value), true);
  return out;
}

export function boolBytes(value: boolean): Uint8Array {
  return Uint8Array.of(value ? 1 : 0);
}
