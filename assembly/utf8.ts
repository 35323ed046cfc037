// UTF-8 to string, validating.
//
// The host hands the SDK bytes: header values, bodies, properties, configuration. Envoy does
// not promise they are UTF-8 (a header value may hold any byte but CR, LF and NUL). Every
// string form in the SDK decodes through `decodeUtf8`, which never drops or truncates: each
// ill-formed sequence becomes one U+FFFD REPLACEMENT CHARACTER per maximal subpart (the
// WHATWG Encoding Standard's rule, the same result as TextDecoder in browsers and Node), and
// decoding goes on. Such a string cannot give the host's bytes back; when that matters use
// the bytes form (`getBytes`, `read`, `readProperty`), which is always exact, or
// `decodeUtf8Strict`, which returns null instead of replacing.
//
// Written here because AssemblyScript's String.UTF8.decode does not validate: it reads an
// invalid lead byte as the start of a sequence and stops at a truncated one, so "A\xE9B"
// decoded as "A".
//
// Pure module: no host imports; legal in any callback.

const REPLACEMENT: u32 = 0xfffd;

/** Four ASCII bytes (the low 32 bits of `v`) as four UTF-16 units. */
// @ts-ignore: decorator
@inline
function widenAscii(v: u64): u64 {
  v = (v | (v << 16)) & 0x0000ffff0000ffff;
  return (v | (v << 8)) & 0x00ff00ff00ff00ff;
}

/** Decodes `len` bytes at `ptr`; with `strict`, returns null at the first ill-formed byte. */
function decode(ptr: usize, len: usize, strict: bool): string | null {
  // Every input byte yields at most one UTF-16 unit (a 4-byte sequence yields two).
  const out = changetype<usize>(__new(len << 1, idof<string>()));
  let o = out;
  let i: usize = 0;
  while (i < len) {
    // A run of ASCII, eight bytes at a time (each byte widened to one UTF-16 unit): header
    // values and tokens are mostly ASCII.
    if (i + 8 <= len) {
      const v = load<u64>(ptr + i);
      if ((v & 0x8080808080808080) == 0) {
        store<u64>(o, widenAscii(v & 0xffffffff));
        store<u64>(o, widenAscii(v >> 32), 8);
        o += 16;
        i += 8;
        continue;
      }
    }
    const b0 = <u32>load<u8>(ptr + i);
    if (b0 < 0x80) {
      store<u16>(o, <u16>b0);
      o += 2;
      i++;
      continue;
    }
    let need = 0;
    let cp: u32 = 0;
    let lower: u32 = 0x80;
    let upper: u32 = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 == 0xe0) lower = 0xa0; // overlong
      if (b0 == 0xed) upper = 0x9f; // surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 == 0xf0) lower = 0x90; // overlong
      if (b0 == 0xf4) upper = 0x8f; // above U+10FFFF
    }
    let j = i + 1;
    let ok = need > 0;
    for (let k = 0; k < need; k++) {
      if (j >= len) {
        ok = false;
        break;
      }
      const b = <u32>load<u8>(ptr + j);
      if (b < lower || b > upper) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (b & 0x3f);
      lower = 0x80;
      upper = 0xbf;
      j++;
    }
    if (!ok) {
      if (strict) return null;
      // The maximal subpart (the lead and the continuation bytes that fit) becomes one
      // U+FFFD; the byte that broke the sequence is read again as a new start.
      store<u16>(o, <u16>REPLACEMENT);
      o += 2;
      i = j;
      continue;
    }
    if (cp < 0x10000) {
      store<u16>(o, <u16>cp);
      o += 2;
    } else {
      cp -= 0x10000;
      store<u16>(o, <u16>(0xd800 | (cp >> 10)));
      store<u16>(o, <u16>(0xdc00 | (cp & 0x3ff)), 2);
      o += 4;
    }
    i = j;
  }
  return changetype<string>(__renew(out, o - out));
}

/** Decodes UTF-8 bytes, each ill-formed sequence replaced with U+FFFD; never shorter than
 *  the input says. Legal anywhere. Example: `decodeUtf8(this.request.body.read())` */
export function decodeUtf8(bytes: ArrayBuffer): string {
  return decode(changetype<usize>(bytes), <usize>bytes.byteLength, false)!;
}

/** Decodes UTF-8 bytes, or returns null when they are not well-formed UTF-8 (so the string
 *  would not give the same bytes back). Legal anywhere. */
export function decodeUtf8Strict(bytes: ArrayBuffer): string | null {
  return decode(changetype<usize>(bytes), <usize>bytes.byteLength, true);
}

/** Whether the bytes are well-formed UTF-8. Legal anywhere. */
export function isValidUtf8(bytes: ArrayBuffer): bool {
  return decode(changetype<usize>(bytes), <usize>bytes.byteLength, true) !== null;
}

/** decodeUtf8 over linear memory, for SDK code reading host blocks in place. */
export function decodeUtf8At(ptr: usize, len: usize): string {
  return decode(ptr, len, false)!;
}
