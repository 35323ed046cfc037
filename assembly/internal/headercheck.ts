// What a header write may contain. Shared by the header setters, local replies and the
// configuration helpers, so a name refused at start is refused per request the same way.
//
// Envoy writes header values it is given to the wire as they are: a CR LF in a value starts a
// new header on HTTP/1.1, and a filter that sets content-length, transfer-encoding, host or a
// pseudo-header (":status", ":path") changes how the message is framed or routed. So:
//   - a name must be an RFC 9110 token (a pseudo-header is ":" and a token), lower or upper
//     case; a value must hold no CR, LF or NUL;
//   - pseudo-headers, content-length, transfer-encoding and host are "protected": refused
//     unless the caller passes Protected.Allow.
//
// Pure module: no host imports.

/** Whether a header write may touch the protected names (pseudo-headers, content-length,
 *  transfer-encoding, host). */
export enum Protected {
  /** Refuse them (the default). */
  Refuse = 0,
  /** Allow them: the filter means to reroute or reframe the message. */
  Allow = 1,
}

/** tchar of RFC 9110 (ALPHA DIGIT and !#$%&'*+-.^_`|~) as two 64-bit masks: bit c of the
 *  first for bytes below 0x40, bit c - 0x40 of the second for 0x40 to 0x7f. */
// @ts-ignore: decorator
@inline const TOKEN_LOW: u64 = 0x03ff6cfa00000000;
// @ts-ignore: decorator
@inline const TOKEN_HIGH: u64 = 0x57ffffffc7fffffe;

// @ts-ignore: decorator
@inline
function isTokenChar(c: u32): bool {
  const mask = c < 0x40 ? TOKEN_LOW : TOKEN_HIGH;
  return c < 0x80 && ((mask >> <u64>(c & 63)) & 1) != 0;
}

function lowerAt(p: usize, i: usize): u32 {
  const c = <u32>load<u8>(p + i);
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Whether `len` bytes at `p` equal the lower-case ASCII `word`, ignoring case. */
function equalsLower(p: usize, len: usize, word: string): bool {
  if (len != <usize>word.length) return false;
  for (let i: usize = 0; i < len; i++) {
    if (lowerAt(p, i) != <u32>word.charCodeAt(<i32>i)) return false;
  }
  return true;
}

/** Why the name at `p` cannot be written, or null when it can. */
export function headerNameProblemAt(p: usize, len: usize, allow: Protected): string | null {
  if (len == 0) return "is empty";
  let start: usize = 0;
  if (load<u8>(p) == 0x3a) {
    if (allow != Protected.Allow) return "is a pseudo-header";
    start = 1;
    if (len == 1) return "is not a token";
  }
  // Eight bytes at a time while each is a letter, a digit or '-' (the last eight read as one
  // word, overlapping the one before); from a word that holds another byte, one by one, so the
  // problem named is the first bad byte's.
  let i = start;
  while (i + 8 <= len && commonTokenBytes(load<u64>(p + i))) i += 8;
  if (i < len && i + 8 > len && len - start >= 8 && commonTokenBytes(load<u64>(p + len - 8))) i = len;
  for (; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (!isTokenChar(c)) {
      if (c == 0x0d || c == 0x0a) return "contains CR or LF";
      return c == 0 ? "contains NUL" : "is not a token";
    }
  }
  if (allow != Protected.Allow) {
    if (
      equalsLower(p, len, "content-length") ||
      equalsLower(p, len, "transfer-encoding") ||
      equalsLower(p, len, "host")
    ) {
      return "is protected (the proxy frames and routes with it)";
    }
  }
  return null;
}

/** Whether each of the eight bytes of `w` is an ASCII letter, a digit or '-' (what most
 *  names are made of; every one a tchar). For a byte x below 0x80, x + (0x80 - lo) has its top
 *  bit set when x >= lo and x + (0x7f - hi) when x > hi, with no carry out of the byte; a
 *  letter is a byte whose value with 0x20 set is in 'a' to 'z'. */
// @ts-ignore: decorator
@inline
function commonTokenBytes(w: u64): bool {
  if ((w & 0x8080808080808080) != 0) return false;
  const folded = w | 0x2020202020202020;
  const letter = (folded + 0x1f1f1f1f1f1f1f1f) & ~(folded + 0x0505050505050505);
  const digit = (w + 0x5050505050505050) & ~(w + 0x4646464646464646);
  const dash = (w + 0x5353535353535353) & ~(w + 0x5252525252525252);
  return ((letter | digit | dash) & 0x8080808080808080) == 0x8080808080808080;
}

/** Why the value at `p` cannot be written, or null when it can. */
export function headerValueProblemAt(p: usize, len: usize): string | null {
  // Eight bytes at a time while none of them is CR, LF or NUL; the bytes from the first word
  // that holds one are looked at one by one.
  let i: usize = 0;
  while (i + 8 <= len) {
    const w = load<u64>(p + i);
    if (hasZeroByte(w) || hasZeroByte(w ^ 0x0d0d0d0d0d0d0d0d) || hasZeroByte(w ^ 0x0a0a0a0a0a0a0a0a)) break;
    i += 8;
  }
  for (; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == 0x0d || c == 0x0a) return "contains CR or LF";
    if (c == 0) return "contains NUL";
  }
  return null;
}

/** Whether one of the eight bytes of `w` is zero. */
// @ts-ignore: decorator
@inline
function hasZeroByte(w: u64): bool {
  return ((w - 0x0101010101010101) & ~w & 0x8080808080808080) != 0;
}

/** Why `name` (as UTF-8) cannot be written as a header name, or null. */
export function headerNameProblem(name: string, allow: Protected = Protected.Refuse): string | null {
  const bytes = String.UTF8.encode(name);
  return headerNameProblemAt(changetype<usize>(bytes), <usize>bytes.byteLength, allow);
}

/** Why `value` (as UTF-8) cannot be written as a header value, or null. */
export function headerValueProblem(value: string): string | null {
  const bytes = String.UTF8.encode(value);
  return headerValueProblemAt(changetype<usize>(bytes), <usize>bytes.byteLength);
}

const HEX = "0123456789abcdef";

/** `text` for a log line: control bytes and quotes escaped, cut at 80 characters. */
export function escapeForLog(text: string): string {
  let out = "";
  const n = min(text.length, 80);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x0d) out += "\\r";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20 || c == 0x7f) out += "\\x" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else out += String.fromCharCode(c);
  }
  return text.length > n ? out + "..." : out;
}
