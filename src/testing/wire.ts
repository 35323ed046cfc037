// Wire formats the host and the module exchange: header-map pairs and property paths.
//
// Pairs (proxy-wasm ABI 0.2.1): u32 count, count × (u32 keyLen, u32 valueLen), then each key
// and value followed by a NUL byte, all little endian. Property paths: each segment followed
// by NUL; Envoy splits on NUL (a last segment without NUL is accepted too).

/** Ordered name/value pairs, the shape every map takes in this host. */
export type Pairs = Array<[string, string]>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A lone low surrogate U+DC80..U+DCFF (one not after a high surrogate): how a byte string
 * carries a byte that is not part of valid UTF-8. Real text never holds one.
 */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** UTF-8 of `text`, with each escaped byte (see byteString) written back as that byte; short
 *  ASCII strings (most header names and values) skip TextEncoder. */
export function utf8(text: string): Uint8Array {
  const n = text.length;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a shortcut: encodeWide gives the same bytes for any text, and the loop below hands it anything but ASCII
  if (n > 64) return encodeWide(text);
  const out = new Uint8Array(n);
  // Stryker disable next-line EqualityOperator: equivalent, one step past the end reads NaN, which is not >= 0x80, and a Uint8Array ignores the write past its length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // Stryker disable next-line ConditionalExpression: equivalent, the `true` form: encodeWide gives the same bytes for ASCII too (the loop is a shortcut); the `false` form, which the tests kill, goes with it
    if (c >= 0x80) return encodeWide(text);
    out[i] = c;
  }
  return out;
}

function encodeWide(text: string): Uint8Array {
  if (!ESCAPED_BYTE.test(text)) return encoder.encode(text);
  const parts: number[] = [];
  let run = "";
  const flush = () => {
    // Stryker disable next-line ConditionalExpression: equivalent, the `true` form: an empty run encodes to no bytes; the `false` form, which the tests kill, goes with it
    if (run) parts.push(...encoder.encode(run));
    run = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, `true` and `>=`: charCodeAt(-1) is NaN, which like 0 is no high surrogate; the `false` form, which the tests kill, goes with them
    const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
    if (c >= 0xdc80 && c <= 0xdcff && !(prev >= 0xd800 && prev <= 0xdbff)) {
      flush();
      // Stryker disable next-line ArithmeticOperator: equivalent, 0xdc00 is a multiple of 256 and Uint8Array.from keeps the low byte, so c + 0xdc00 is the same byte
      parts.push(c - 0xdc00);
    } else {
      run += text[i];
    }
  }
  flush();
  return Uint8Array.from(parts);
}

const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Bytes as a string without loss, for header names and values: valid UTF-8 decodes as usual,
 * and each byte that is not part of valid UTF-8 (a raw latin-1 0xE9, say) becomes U+DC80 plus
 * the byte, which `utf8` turns back into the same byte. So a value keeps its exact bytes from
 * the client or the filter to the wire, as in Envoy, where header values are bytes.
 */
export function byteString(bytes: Uint8Array): string {
  const fast = text(bytes);
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, the `false` form and the empty string: valid UTF-8 decodes the same strictly, and only then does the strict decoder not throw; the `true` form, which the tests kill, goes with them
  if (!fast.includes("\uFFFD")) return fast;
  try {
    return strict.decode(bytes);
  } catch {
    let out = "";
    let i = 0;
    while (i < bytes.length) {
      const size = sequenceLength(bytes, i);
      if (size === 0) {
        out += String.fromCharCode(0xdc00 + (bytes[i] as number));
        i += 1;
      } else {
        out += decoder.decode(bytes.subarray(i, i + size));
        i += size;
      }
    }
    return out;
  }
}

/** The length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    // Stryker disable next-line ConditionalExpression: equivalent, the check is for the compiler: undefined compares false with any number
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** The number of bytes `text` takes on the wire (escaped bytes count one). */
export function byteLength(text: string): number {
  const n = Buffer.byteLength(text);
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, the forms that skip the shortcut: utf8(text).length is the byte count in every case, Buffer.byteLength only where no byte is escaped; the `true` forms, which the tests kill, go with them
  return n === text.length || !ESCAPED_BYTE.test(text) ? n : utf8(text).length;
}

/** `bytes` decoded as UTF-8; short ASCII runs skip TextDecoder. */
export function text(bytes: Uint8Array): string {
  const n = bytes.length;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a shortcut: TextDecoder gives the same text for ASCII, and the loop below hands it anything else
  if (n > 64) return decoder.decode(bytes);
  let out = "";
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    // Stryker disable next-line ConditionalExpression: equivalent, the `true` form: TextDecoder gives the same text for ASCII too (the loop is a shortcut); the `false` form, which the tests kill, goes with it
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

/** The most pairs, and bytes, a pairs block handed to the host may hold (Envoy's limits). */
const PAIRS_MAX_COUNT = 1024;
const PAIRS_MAX_BYTES = 1024 * 1024;

/** Parses a pairs block; null when it does not parse: shorter than its count and sizes say,
 *  a name or value not followed by its NUL, bytes left after the last pair, or past Envoy's
 *  limits. */
export function decodePairs(bytes: Uint8Array): Pairs | null {
  if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0)) return [];
  if (bytes.length < 4 || bytes.length > PAIRS_MAX_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  if (count > PAIRS_MAX_COUNT || 4 + count * 8 > bytes.length) return null;
  const out: Pairs = [];
  let data = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const kl = view.getUint32(4 + i * 8, true);
    const vl = view.getUint32(8 + i * 8, true);
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: equivalent, the `false` and arithmetic forms: an early exit; past the end the NUL checks below read undefined, which is not 0, and answer null as well; the `true` form, which the tests kill, goes with them
    if (data + kl + vl + 2 > bytes.length) return null;
    const k = byteString(bytes.subarray(data, data + kl));
    data += kl;
    if (bytes[data++] !== 0) return null;
    const v = byteString(bytes.subarray(data, data + vl));
    data += vl;
    if (bytes[data++] !== 0) return null;
    out.push([k, v]);
  }
  return data === bytes.length ? out : null;
}

/** A pairs block as Envoy reads one a module hands it (headers to set, a callout's headers
 *  and trailers, a local reply's headers, gRPC metadata): a block that does not parse is no
 *  pairs, not an error. */
export function hostPairs(bytes: Uint8Array): Pairs {
  return decodePairs(bytes) ?? [];
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
    } else if (
      // Stryker disable next-line ConditionalExpression: equivalent, the `false` form: the branch below decodes the segment from its start, ASCII too (this one is a shortcut); the `true` form, which the tests kill, goes with it
      c < 0x80
    ) {
      current += String.fromCharCode(c);
    } else {
      // Non-ASCII: decode this segment properly.
      let end = bytes.indexOf(0, i);
      // Stryker disable next-line EqualityOperator: equivalent, a non-ASCII byte is not 0, so indexOf(0, i) finds nothing (-1) or a NUL after i >= 0, never 0
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
