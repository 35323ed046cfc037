// Base64 and base64url (RFC 4648), strict.
//
// Decoding refuses anything but the one canonical encoding: characters outside the chosen
// alphabet (so `+` in base64url, `-` in base64, whitespace, NUL), `=` anywhere but the end,
// the wrong amount of padding, a length that cannot be base64, and non-zero bits in the last
// character's unused low bits. So one value has one spelling, which matters when tokens or
// keys are compared or cached. Input may be a string or UTF-8 bytes; decoding into a caller's
// buffer allocates nothing.
//
// Pure module: no host imports; legal in any callback.
//
//   base64Decode(token, true, Base64Padding.Forbidden)   // a JWT segment: ArrayBuffer | null
//   base64Error(secret, false, Base64Padding.Required)   // "" or why, for config messages
//   base64Encode(digest, true)                           // base64url without padding

/** What decoding accepts at the end of the text. */
export enum Base64Padding {
  /** `=` must pad the text to a multiple of 4 (standard base64). */
  Required = 0,
  /** No `=` at all (base64url as used in JWTs). */
  Forbidden = 1,
  /** Either correct padding or none. */
  Optional = 2,
}

const STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Decoding tables: byte -> 6-bit value, or -1. Built once, at start (pure work).
const STD_TABLE = buildTable(STD_ALPHABET);
const URL_TABLE = buildTable(URL_ALPHABET);
const STD_CHARS = String.UTF8.encode(STD_ALPHABET);
const URL_CHARS = String.UTF8.encode(URL_ALPHABET);

function buildTable(alphabet: string): StaticArray<i8> {
  const table = new StaticArray<i8>(256);
  for (let i = 0; i < 256; i++) unchecked((table[i] = -1));
  for (let i = 0; i < 64; i++) unchecked((table[alphabet.charCodeAt(i)] = <i8>i));
  return table;
}

// Why the last decode failed, and where (code units or bytes from the start).
const ERR_NONE = 0;
const ERR_CHARACTER = 1;
const ERR_LENGTH = 2;
const ERR_PADDING_MISSING = 3;
const ERR_PADDING_FORBIDDEN = 4;
const ERR_PADDING_PLACE = 5;
const ERR_TRAILING_BITS = 6;
let errorKind = ERR_NONE;
let errorAt = 0;

// The decoder. Reads `len` units at `ptr` (UTF-16 code units when `utf16`, else bytes) and,
// when `out` is not 0, writes the bytes there. Returns the decoded length, or -1 with
// errorKind/errorAt set.
function decodeCore(ptr: usize, len: i32, utf16: bool, url: bool, padding: Base64Padding, out: usize): i32 {
  const table = changetype<usize>(url ? URL_TABLE : STD_TABLE);
  errorKind = ERR_NONE;
  // Find the padding: `=` only as the last one or two units.
  let end = len;
  while (end > 0 && end > len - 2 && unitAt(ptr, end - 1, utf16) == 0x3d) end--;
  const pads = len - end;
  const rest = end & 3;
  let shape = ERR_NONE;
  if (pads > 0 && padding == Base64Padding.Forbidden) shape = ERR_PADDING_FORBIDDEN;
  else if (pads > 0 && (len & 3) != 0) shape = ERR_PADDING_PLACE;
  else if (rest == 1) shape = ERR_LENGTH;
  else if (pads == 0 && rest != 0 && padding == Base64Padding.Required) shape = ERR_PADDING_MISSING;
  else if (pads > 0 && (rest == 0 || pads != 4 - rest)) shape = ERR_PADDING_PLACE;
  if (shape != ERR_NONE) {
    // A foreign character is the more useful thing to report.
    const bad = firstBad(table, ptr, 0, end, utf16);
    return bad < end ? fail(ERR_CHARACTER, bad) : fail(shape, end);
  }
  let o: usize = 0;
  let i = 0;
  const whole = end - rest;
  while (i < whole) {
    const a = value(table, ptr, i, utf16);
    const b = value(table, ptr, i + 1, utf16);
    const c = value(table, ptr, i + 2, utf16);
    const d = value(table, ptr, i + 3, utf16);
    if ((a | b | c | d) < 0) return fail(ERR_CHARACTER, firstBad(table, ptr, i, end, utf16));
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (out != 0) {
      store<u8>(out + o, <u8>(n >> 16));
      store<u8>(out + o + 1, <u8>(n >> 8));
      store<u8>(out + o + 2, <u8>n);
    }
    o += 3;
    i += 4;
  }
  if (rest > 0) {
    const a = value(table, ptr, i, utf16);
    const b = value(table, ptr, i + 1, utf16);
    const c = rest == 3 ? value(table, ptr, i + 2, utf16) : 0;
    if ((a | b | c) < 0) return fail(ERR_CHARACTER, firstBad(table, ptr, i, end, utf16));
    // The unused low bits of the last character must be zero (one spelling per value).
    if (rest == 2 ? (b & 0x0f) != 0 : (c & 0x03) != 0) return fail(ERR_TRAILING_BITS, i + rest - 1);
    if (out != 0) {
      store<u8>(out + o, <u8>((a << 2) | (b >> 4)));
      if (rest == 3) store<u8>(out + o + 1, <u8>((b << 4) | (c >> 2)));
    }
    o += rest - 1;
  }
  return <i32>o;
}

// @ts-ignore: decorator
@inline function unitAt(ptr: usize, i: i32, utf16: bool): i32 {
  return utf16 ? <i32>load<u16>(ptr + (<usize>i << 1)) : <i32>load<u8>(ptr + <usize>i);
}

// @ts-ignore: decorator
@inline function value(table: usize, ptr: usize, i: i32, utf16: bool): i32 {
  const unit = unitAt(ptr, i, utf16);
  return unit > 0xff ? -1 : <i32>load<i8>(table + <usize>unit);
}

function firstBad(table: usize, ptr: usize, from: i32, end: i32, utf16: bool): i32 {
  let i = from;
  while (i < end && value(table, ptr, i, utf16) >= 0) i++;
  return i;
}

function fail(kind: i32, at: i32): i32 {
  errorKind = kind;
  errorAt = at;
  return -1;
}

/** Bytes that `len` units of valid base64 decode to (an upper bound for any input). */
export function base64DecodedLength(len: i32): i32 {
  return (len >> 2) * 3 + max((len & 3) - 1, 0);
}

/**
 * Decodes `len` bytes of base64 at `ptr` into `out` (room for `base64DecodedLength(len)`);
 * returns the decoded length, or -1 if the text is not strictly valid. Allocates nothing.
 */
export function base64DecodeInto(ptr: usize, len: i32, url: bool, padding: Base64Padding, out: usize): i32 {
  return decodeCore(ptr, len, false, url, padding, out);
}

/** Decodes `len` bytes of base64 at `ptr`; null if not strictly valid. */
export function base64DecodeRaw(ptr: usize, len: i32, url: bool, padding: Base64Padding): ArrayBuffer | null {
  const n = decodeCore(ptr, len, false, url, padding, 0);
  if (n < 0) return null;
  const out = new ArrayBuffer(n);
  decodeCore(ptr, len, false, url, padding, changetype<usize>(out));
  return out;
}

/**
 * Decodes `text`; null if it is not strictly valid. `url` picks the base64url alphabet.
 * Example: `base64Decode(segment, true, Base64Padding.Forbidden)`.
 */
export function base64Decode(
  text: string,
  url: bool = false,
  padding: Base64Padding = Base64Padding.Required,
): ArrayBuffer | null {
  const ptr = changetype<usize>(text);
  const n = decodeCore(ptr, text.length, true, url, padding, 0);
  if (n < 0) return null;
  const out = new ArrayBuffer(n);
  decodeCore(ptr, text.length, true, url, padding, changetype<usize>(out));
  return out;
}

/** `base64Decode` over UTF-8 bytes. */
export function base64DecodeBytes(
  bytes: ArrayBuffer,
  url: bool = false,
  padding: Base64Padding = Base64Padding.Required,
): ArrayBuffer | null {
  return base64DecodeRaw(changetype<usize>(bytes), bytes.byteLength, url, padding);
}

/**
 * Why `text` does not decode, for configuration messages; "" when it does. Names the offset
 * and never echoes the text (it may be a secret). Example:
 * `invalid base64url character at offset 5`.
 */
export function base64Error(text: string, url: bool = false, padding: Base64Padding = Base64Padding.Required): string {
  if (decodeCore(changetype<usize>(text), text.length, true, url, padding, 0) >= 0) return "";
  const name = url ? "base64url" : "base64";
  const at = " at offset " + errorAt.toString();
  switch (errorKind) {
    case ERR_CHARACTER:
      return "invalid " + name + " character" + at;
    case ERR_LENGTH:
      return "invalid " + name + " length " + text.length.toString();
    case ERR_PADDING_MISSING:
      return name + " padding (=) missing" + at;
    case ERR_PADDING_FORBIDDEN:
      return name + " padding (=) not allowed" + at;
    case ERR_PADDING_PLACE:
      return "misplaced or wrong " + name + " padding" + at;
    default:
      return "non-canonical " + name + " (unused bits set)" + at;
  }
}

/** Encodes `len` bytes at `ptr`; `url` for base64url, `pad` to add `=` padding. */
export function base64EncodeRaw(ptr: usize, len: i32, url: bool, pad: bool): string {
  const chars = changetype<usize>(url ? URL_CHARS : STD_CHARS);
  const rest = len % 3;
  const whole = len - rest;
  let outLen = (whole / 3) * 4;
  if (rest > 0) outLen += pad ? 4 : rest + 1;
  const out = changetype<usize>(__new(<usize>outLen << 1, idof<string>()));
  let o: usize = 0;
  for (let i = 0; i < whole; i += 3) {
    const n = (<u32>load<u8>(ptr + <usize>i) << 16) | (<u32>load<u8>(ptr + <usize>i + 1) << 8) | <u32>load<u8>(ptr + <usize>i + 2);
    store<u16>(out + o, load<u8>(chars + <usize>(n >> 18)));
    store<u16>(out + o + 2, load<u8>(chars + <usize>((n >> 12) & 63)));
    store<u16>(out + o + 4, load<u8>(chars + <usize>((n >> 6) & 63)));
    store<u16>(out + o + 6, load<u8>(chars + <usize>(n & 63)));
    o += 8;
  }
  if (rest > 0) {
    const a = <u32>load<u8>(ptr + <usize>whole);
    const b = rest == 2 ? <u32>load<u8>(ptr + <usize>whole + 1) : 0;
    store<u16>(out + o, load<u8>(chars + <usize>(a >> 2)));
    store<u16>(out + o + 2, load<u8>(chars + <usize>(((a & 3) << 4) | (b >> 4))));
    o += 4;
    if (rest == 2) {
      store<u16>(out + o, load<u8>(chars + <usize>((b & 15) << 2)));
      o += 2;
    } else if (pad) {
      store<u16>(out + o, 0x3d);
      o += 2;
    }
    if (pad) store<u16>(out + o, 0x3d);
  }
  return changetype<string>(out);
}

/** Encodes `data`. Example: `base64Encode(digest, true)` (base64url, no padding). */
export function base64Encode(data: ArrayBuffer, url: bool = false, pad: bool = !url): string {
  return base64EncodeRaw(changetype<usize>(data), data.byteLength, url, pad);
}
