// decodeUtf8: every class of ill-formed UTF-8 becomes U+FFFD per maximal subpart (as
// TextDecoder does), nothing is dropped, and the strict forms refuse.
import { decodeUtf8, decodeUtf8At, decodeUtf8Strict, isValidUtf8 } from "../utf8";

function bytesOf(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + i, values[i]);
  return out;
}

function units(s: string): i32[] {
  const out = new Array<i32>(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const R = 0xfffd;

describe("decodeUtf8", () => {
  it("decodes well-formed UTF-8 of every length", () => {
    // "A", "é", "€", "😀"
    const text = decodeUtf8(bytesOf([0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]));
    expect<string>(text).toBe("Aé€😀");
    expect<bool>(isValidUtf8(bytesOf([0x41, 0xc3, 0xa9]))).toBe(true);
  });

  it("keeps the bytes after an invalid one (A E9 B reads as A, U+FFFD, B)", () => {
    expect<i32[]>(units(decodeUtf8(bytesOf([0x41, 0xe9, 0x42])))).toStrictEqual([0x41, R, 0x42]);
  });

  it("replaces a lone continuation byte", () => {
    expect<i32[]>(units(decodeUtf8(bytesOf([0x61, 0x80, 0x62])))).toStrictEqual([0x61, R, 0x62]);
  });

  it("replaces overlong forms byte by byte", () => {
    // C0 AF (overlong "/"): C0 is never valid, AF is a lone continuation.
    expect<i32[]>(units(decodeUtf8(bytesOf([0xc0, 0xaf])))).toStrictEqual([R, R]);
    // E0 80 AF: E0 needs A0..BF next.
    expect<i32[]>(units(decodeUtf8(bytesOf([0xe0, 0x80, 0xaf])))).toStrictEqual([R, R, R]);
    // F0 80 80 AF
    expect<i32[]>(units(decodeUtf8(bytesOf([0xf0, 0x80, 0x80, 0xaf])))).toStrictEqual([R, R, R, R]);
  });

  it("replaces encoded surrogates", () => {
    // ED A0 80 is U+D800 encoded: ED needs 80..9F next.
    expect<i32[]>(units(decodeUtf8(bytesOf([0xed, 0xa0, 0x80, 0x78])))).toStrictEqual([R, R, R, 0x78]);
  });

  it("replaces a truncated sequence once, then reads on", () => {
    // E2 82 then "x": one U+FFFD for the maximal subpart E2 82.
    expect<i32[]>(units(decodeUtf8(bytesOf([0xe2, 0x82, 0x78])))).toStrictEqual([R, 0x78]);
    // Cut at the end of the input.
    expect<i32[]>(units(decodeUtf8(bytesOf([0x78, 0xf0, 0x9f, 0x98])))).toStrictEqual([0x78, R]);
  });

  it("replaces FF, FE and code points above U+10FFFF", () => {
    expect<i32[]>(units(decodeUtf8(bytesOf([0xff, 0x20, 0xfe])))).toStrictEqual([R, 0x20, R]);
    expect<i32[]>(units(decodeUtf8(bytesOf([0xf4, 0x90, 0x80, 0x80])))).toStrictEqual([R, R, R, R]);
  });

  it("keeps NUL and the bytes after it", () => {
    expect<i32[]>(units(decodeUtf8(bytesOf([0x73, 0x00, 0x01])))).toStrictEqual([0x73, 0, 1]);
  });

  it("decodes ASCII runs of every length and offset around other sequences", () => {
    // Runs of 0..19 ASCII bytes before and after a two-byte and an ill-formed sequence, so
    // the eight-byte path meets every remainder and every position of the non-ASCII byte.
    for (let a = 0; a < 20; a++) {
      for (let b = 0; b < 20; b++) {
        const bytes: u8[] = [];
        const want: i32[] = [];
        for (let i = 0; i < a; i++) {
          bytes.push(<u8>(0x21 + ((i * 7) % 90)));
          want.push(0x21 + ((i * 7) % 90));
        }
        bytes.push(0xc3);
        bytes.push(0xa9);
        want.push(0xe9);
        for (let i = 0; i < b; i++) {
          bytes.push(<u8>(i % 128));
          want.push(i % 128);
        }
        bytes.push(0xff);
        want.push(R);
        for (let i = 0; i < a; i++) {
          bytes.push(0x7f);
          want.push(0x7f);
        }
        expect<i32[]>(units(decodeUtf8(bytesOf(bytes)))).toStrictEqual(want);
        expect<string | null>(decodeUtf8Strict(bytesOf(bytes))).toBeNull();
      }
    }
  });

  it("strict forms refuse every ill-formed class", () => {
    const bad: u8[][] = [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff]];
    for (let i = 0; i < bad.length; i++) {
      expect<bool>(isValidUtf8(bytesOf(bad[i]))).toBe(false);
      expect<string | null>(decodeUtf8Strict(bytesOf(bad[i]))).toBeNull();
    }
    expect<string | null>(decodeUtf8Strict(bytesOf([0x68, 0x69]))).toBe("hi");
  });
});

// The WHATWG Encoding Standard's UTF-8 decoder, step by step as the standard writes it: the
// oracle for every short input below. `failed` tells whether any byte was ill-formed.
class Reference {
  text: string = "";
  failed: bool = false;
}

function reference(bytes: u8[]): Reference {
  const out = new Reference();
  let cp: u32 = 0;
  let seen = 0;
  let needed = 0;
  let lower: u32 = 0x80;
  let upper: u32 = 0xbf;
  let i = 0;
  while (i < bytes.length) {
    const b = <u32>bytes[i];
    if (needed == 0) {
      i++;
      if (b <= 0x7f) out.text += String.fromCharCode(b);
      else if (b >= 0xc2 && b <= 0xdf) {
        needed = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        if (b == 0xe0) lower = 0xa0;
        if (b == 0xed) upper = 0x9f;
        needed = 2;
        cp = b & 0xf;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b == 0xf0) lower = 0x90;
        if (b == 0xf4) upper = 0x8f;
        needed = 3;
        cp = b & 0x7;
      } else {
        out.text += String.fromCharCode(R);
        out.failed = true;
      }
      continue;
    }
    if (b < lower || b > upper) {
      // The byte is not consumed: it starts again after the U+FFFD.
      cp = 0;
      needed = 0;
      seen = 0;
      lower = 0x80;
      upper = 0xbf;
      out.text += String.fromCharCode(R);
      out.failed = true;
      continue;
    }
    i++;
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    seen++;
    if (seen == needed) {
      out.text += String.fromCodePoint(cp);
      cp = 0;
      needed = 0;
      seen = 0;
    }
  }
  if (needed != 0) {
    out.text += String.fromCharCode(R);
    out.failed = true;
  }
  return out;
}

/** The first input whose decoding differs from the reference's, or "". */
function differs(bytes: u8[]): string {
  const want = reference(bytes);
  const buf = bytesOf(bytes);
  const got = decodeUtf8(buf);
  const strict = decodeUtf8Strict(buf);
  let right = got == want.text && isValidUtf8(buf) == !want.failed;
  if (want.failed) right = right && strict === null;
  else right = right && strict !== null && strict == want.text;
  if (right) return "";
  let shown = "";
  for (let i = 0; i < bytes.length; i++) shown += (i > 0 ? " " : "") + bytes[i].toString(16);
  return shown;
}

// Bytes at the edges of every range the decoder tells apart.
// Every pair of bytes is checked whole; these follow the lead of longer sequences.
const EDGES: u8[] = [0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf0];

describe("decodeUtf8 against the standard's decoder", () => {
  it("decodes every pair of bytes that starts with a non-ASCII byte as the standard does", () => {
    let wrong = "";
    for (let a = 0x80; a < 256 && wrong.length == 0; a++) {
      for (let b = 0; b < 256 && wrong.length == 0; b++) wrong = differs([<u8>a, <u8>b]);
    }
    expect<string>(wrong).toBe("");
  });

  it("decodes three- and four-byte sequences with every edge byte as the standard does", () => {
    let wrong = "";
    let checked = 0;
    for (let a = 0xe0; a <= 0xf5 && wrong.length == 0; a++) {
      for (let x = 0; x < EDGES.length && wrong.length == 0; x++) {
        for (let y = 0; y < EDGES.length && wrong.length == 0; y++) {
          wrong = differs([<u8>a, EDGES[x], EDGES[y]]);
          for (let z = 0; z < EDGES.length && wrong.length == 0; z++) {
            wrong = differs([<u8>a, EDGES[x], EDGES[y], EDGES[z]]);
            checked++;
          }
        }
      }
    }
    expect<string>(wrong).toBe("");
    expect<i32>(checked).toBe(22 * 12 * 12 * 12);
  });

  it("decodes the first and last code point of every length and the surrogate pair edges", () => {
    // U+0080, U+07FF, U+0800, U+FFFF, U+10000, U+10FFFF, U+D7FF, U+E000.
    const cases: u8[][] = [
      [0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xef, 0xbf, 0xbf],
      [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80],
    ];
    const want: i32[][] = [[0x80], [0x7ff], [0x800], [0xffff], [0xd800, 0xdc00], [0xdbff, 0xdfff], [0xd7ff], [0xe000]];
    for (let i = 0; i < cases.length; i++) {
      expect<i32[]>(units(decodeUtf8(bytesOf(cases[i])))).toStrictEqual(want[i]);
      expect<string>(differs(cases[i])).toBe("");
    }
    // A surrogate pair with more after it.
    expect<i32[]>(units(decodeUtf8(bytesOf([0xf0, 0x9f, 0x98, 0x80, 0x41, 0xc3, 0xa9])))).toStrictEqual([0xd83d, 0xde00, 0x41, 0xe9]);
  });

  it("decodes in place with replacements (decodeUtf8At)", () => {
    const block = bytesOf([0x78, 0x41, 0xe9, 0x42, 0x78]);
    expect<i32[]>(units(decodeUtf8At(changetype<usize>(block) + 1, 3))).toStrictEqual([0x41, R, 0x42]);
  });
});
