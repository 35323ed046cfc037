// decodeUtf8: every class of ill-formed UTF-8 becomes U+FFFD per maximal subpart (as
// TextDecoder does), nothing is dropped, and the strict forms refuse.
import { decodeUtf8, decodeUtf8Strict, isValidUtf8 } from "../utf8";

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
