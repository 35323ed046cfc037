// The wire formats of the test host on their own: UTF-8 with escaped bytes (short and long
// strings take different paths), the pairs block (and each way one fails to parse, at Envoy's
// limits), property paths and the 8-byte and boolean encodings. test/testing/bytes.test.ts
// checks the escaped bytes through a module.

import { describe, expect, it } from "vitest";
import {
  boolBytes,
  byteLength,
  byteString,
  decodePairs,
  decodePath,
  encodePairs,
  hostPairs,
  int64Bytes,
  text,
  utf8,
} from "../../src/testing/wire.ts";

const u8 = (...b: number[]) => Uint8Array.from(b);
const esc = (b: number) => String.fromCharCode(0xdc00 + b);
/** `s` as it is when it must take the long (over 64 characters) path. */
const long = (s: string) => "x".repeat(65) + s;
const longBytes = (...b: number[]) => [...new Array(65).fill(0x78), ...b];

describe("utf8", () => {
  it("encodes ASCII, U+0080 and beyond as UTF-8, short and long", () => {
    expect([...utf8("")]).toEqual([]);
    expect([...utf8("az~\x7f")]).toEqual([0x61, 0x7a, 0x7e, 0x7f]);
    expect([...utf8("\x80")]).toEqual([0xc2, 0x80]);
    expect([...utf8("é🙂")]).toEqual([0xc3, 0xa9, 0xf0, 0x9f, 0x99, 0x82]);
    expect([...utf8(long("\x80"))]).toEqual(longBytes(0xc2, 0x80));
    expect([...utf8("x".repeat(64))]).toEqual(new Array(64).fill(0x78));
  });

  it("writes an escaped byte back as that byte, short and long, at both ends of the range", () => {
    expect([...utf8(esc(0x80))]).toEqual([0x80]);
    expect([...utf8(`a${esc(0xff)}b`)]).toEqual([0x61, 0xff, 0x62]);
    expect([...utf8(long(`${esc(0x80)}é${esc(0xff)}`))]).toEqual(longBytes(0x80, 0xc3, 0xa9, 0xff));
  });

  it("keeps a low surrogate after a high one as part of its character", () => {
    // U+1F480 is D83D DC80: its low half lies in the escape range.
    expect([...utf8("\u{1f480}")]).toEqual([0xf0, 0x9f, 0x92, 0x80]);
    expect([...utf8(`${esc(0x80)}\u{1f480}`)]).toEqual([0x80, 0xf0, 0x9f, 0x92, 0x80]);
    expect([...utf8(`\u{1f480}${esc(0x81)}`)]).toEqual([0xf0, 0x9f, 0x92, 0x80, 0x81]);
    // High surrogates at both ends of their range: D800 DC80 and DBFF DC80.
    expect([...utf8(`${esc(0x80)}\u{10080}`)]).toEqual([0x80, 0xf0, 0x90, 0x82, 0x80]);
    expect([...utf8(`${esc(0x80)}\u{10fc80}`)]).toEqual([0x80, 0xf4, 0x8f, 0xb2, 0x80]);
    // Just outside the escape range: U+DC7F and U+DD00 stay characters (lone surrogates
    // encode as U+FFFD).
    expect([...utf8(`${esc(0x80)}\udc7f`)]).toEqual([0x80, 0xef, 0xbf, 0xbd]);
    expect([...utf8(`${esc(0x80)}\udd00`)]).toEqual([0x80, 0xef, 0xbf, 0xbd]);
    // A high surrogate just past its range does not shield the escape after it.
    expect([...utf8(`\udc00${esc(0x90)}`)]).toEqual([0xef, 0xbf, 0xbd, 0x90]);
    expect([...utf8(`\ud7ff${esc(0x90)}`)]).toEqual([0xed, 0x9f, 0xbf, 0x90]);
  });
});

describe("byteString", () => {
  it("decodes valid UTF-8 (U+FFFD itself too) as text", () => {
    expect(byteString(u8(0x61, 0xc3, 0xa9))).toBe("aé");
    expect(byteString(u8(0xef, 0xbf, 0xbd))).toBe("\ufffd");
    expect(byteString(u8())).toBe("");
  });

  it("escapes each byte that starts no valid sequence, and keeps the valid ones around it", () => {
    expect(byteString(u8(0x80))).toBe(esc(0x80));
    expect(byteString(u8(0xef, 0xbf, 0xbd, 0xff))).toBe(`\ufffd${esc(0xff)}`);
    expect(byteString(u8(0x61, 0xe9, 0x62, 0xc3, 0xa9))).toBe(`a${esc(0xe9)}bé`);
  });

  // Each lead byte's range of second bytes, at its edges: a sequence inside decodes to one
  // character, one just outside escapes every byte.
  const cases: Array<[string, number[], string | null]> = [
    ["0x7f is ASCII", [0x7f], "\x7f"],
    ["0xc1 leads nothing", [0xc1, 0x80], null],
    ["0xc1 leads nothing, before three continuation bytes", [0xc1, 0x80, 0x80, 0x80], null],
    ["0x80 leads nothing, before three continuation bytes", [0x80, 0x80, 0x80, 0x80], null],
    ["0xc2 80", [0xc2, 0x80], "\x80"],
    ["0xdf bf", [0xdf, 0xbf], "\u07ff"],
    ["0xc2 7f", [0xc2, 0x7f], null],
    ["0xc2 c0", [0xc2, 0xc0], null],
    ["0xc2 at the end", [0xc2], null],
    ["0xe0 a0 80", [0xe0, 0xa0, 0x80], "\u0800"],
    ["0xe0 9f 80 (overlong)", [0xe0, 0x9f, 0x80], null],
    ["0xe0 a0 7f", [0xe0, 0xa0, 0x7f], null],
    ["0xe1 80 80", [0xe1, 0x80, 0x80], "\u1000"],
    ["0xec bf bf", [0xec, 0xbf, 0xbf], "\ucfff"],
    ["0xe1 7f 80", [0xe1, 0x7f, 0x80], null],
    ["0xe1 80 c0", [0xe1, 0x80, 0xc0], null],
    ["0xed 80 80", [0xed, 0x80, 0x80], "\ud000"],
    ["0xed 9f bf", [0xed, 0x9f, 0xbf], "\ud7ff"],
    ["0xed a0 80 (a surrogate)", [0xed, 0xa0, 0x80], null],
    ["0xed 7f 80", [0xed, 0x7f, 0x80], null],
    ["0xee 80 80", [0xee, 0x80, 0x80], "\ue000"],
    ["0xef bf bf", [0xef, 0xbf, 0xbf], "\uffff"],
    ["0xee 7f 80", [0xee, 0x7f, 0x80], null],
    ["0xf0 90 80 80", [0xf0, 0x90, 0x80, 0x80], "\u{10000}"],
    ["0xf0 8f bf bf (overlong)", [0xf0, 0x8f, 0xbf, 0xbf], null],
    ["0xf0 90 80 7f", [0xf0, 0x90, 0x80, 0x7f], null],
    ["0xf0 90 7f 80", [0xf0, 0x90, 0x7f, 0x80], null],
    ["0xf1 80 80 80", [0xf1, 0x80, 0x80, 0x80], "\u{40000}"],
    ["0xf3 bf bf bf", [0xf3, 0xbf, 0xbf, 0xbf], "\u{fffff}"],
    ["0xf1 7f 80 80", [0xf1, 0x7f, 0x80, 0x80], null],
    ["0xf1 80 7f 80", [0xf1, 0x80, 0x7f, 0x80], null],
    ["0xf1 80 80 7f", [0xf1, 0x80, 0x80, 0x7f], null],
    ["0xf4 80 80 80", [0xf4, 0x80, 0x80, 0x80], "\u{100000}"],
    ["0xf4 8f bf bf", [0xf4, 0x8f, 0xbf, 0xbf], "\u{10ffff}"],
    ["0xf4 90 80 80 (past U+10FFFF)", [0xf4, 0x90, 0x80, 0x80], null],
    ["0xf4 7f 80 80", [0xf4, 0x7f, 0x80, 0x80], null],
    ["0xf4 80 7f 80", [0xf4, 0x80, 0x7f, 0x80], null],
    ["0xf4 80 80 7f", [0xf4, 0x80, 0x80, 0x7f], null],
    ["0xf5 leads nothing", [0xf5, 0x80, 0x80, 0x80], null],
  ];
  for (const [name, bytes, decoded] of cases) {
    it(`${name}: ${decoded === null ? "escaped" : "decoded"} next to an invalid byte`, () => {
      // A stray 0xff first, so the string takes the byte-by-byte path.
      const got = byteString(u8(0xff, ...bytes));
      if (decoded !== null) {
        expect(got).toBe(`${esc(0xff)}${decoded}`);
      } else {
        // The lead byte is escaped; what follows is read again from the next byte on.
        expect(got.slice(0, 2)).toBe(`${esc(0xff)}${esc(bytes[0] as number)}`);
        expect(got.slice(2)).toBe(byteString(u8(0xff, ...bytes.slice(1))).slice(1));
      }
      expect([...utf8(got)]).toEqual([0xff, ...bytes]);
    });
  }
});

describe("text and byteLength", () => {
  it("decode short ASCII directly and anything else as UTF-8 with replacements", () => {
    expect(text(u8(0x61, 0x7f))).toBe("a\x7f");
    expect(text(u8(0x80))).toBe("\ufffd");
    expect(text(u8(0xc3, 0xa9))).toBe("é");
    expect(text(Uint8Array.from(longBytes(0xc3, 0xa9)))).toBe(long("é"));
    expect(text(u8())).toBe("");
  });

  it("count bytes on the wire, an escaped byte as one", () => {
    expect(byteLength("abc")).toBe(3);
    expect(byteLength("é")).toBe(2);
    expect(byteLength("🙂")).toBe(4);
    expect(byteLength(esc(0xe9))).toBe(1);
    expect(byteLength(`é${esc(0xe9)}a`)).toBe(4);
    expect(byteLength("\u{1f480}")).toBe(4);
  });
});

describe("the pairs block", () => {
  it("lays pairs out as count, sizes, then each name and value with its NUL", () => {
    // biome-ignore format: one line per part of the block
    expect([...encodePairs([["ab", "c"], ["", "é"]])]).toEqual([
      2, 0, 0, 0,
      2, 0, 0, 0, 1, 0, 0, 0,
      0, 0, 0, 0, 2, 0, 0, 0,
      0x61, 0x62, 0, 0x63, 0,
      0, 0xc3, 0xa9, 0,
    ]);
    expect([...encodePairs([])]).toEqual([]);
  });

  it("decodes what it encodes, empty names and values and escaped bytes included", () => {
    const pairs: Array<[string, string]> = [
      ["a", ""],
      ["", "b"],
      ["x", `é${esc(0xff)}`],
    ];
    expect(decodePairs(encodePairs(pairs))).toEqual(pairs);
  });

  it("reads no bytes and a lone zero byte as no pairs, and a zero count as none", () => {
    expect(decodePairs(u8())).toEqual([]);
    expect(decodePairs(u8(0))).toEqual([]);
    expect(decodePairs(u8(0, 0, 0, 0))).toEqual([]);
    expect(decodePairs(u8(1))).toBeNull();
    expect(decodePairs(u8(0, 0))).toBeNull();
    expect(decodePairs(u8(0, 0, 0))).toBeNull();
  });

  it("refuses a block shorter than its count and sizes say", () => {
    const good = [...encodePairs([["k", "v"]])];
    expect(decodePairs(Uint8Array.from(good))).toEqual([["k", "v"]]);
    // count 1 but no room for its sizes
    expect(decodePairs(u8(1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0))).toBeNull();
    // count 1, sizes present, data one byte short
    expect(decodePairs(Uint8Array.from(good.slice(0, -1)))).toBeNull();
    // count 2 with one pair's sizes and data
    expect(decodePairs(Uint8Array.from([2, ...good.slice(1)]))).toBeNull();
  });

  it("refuses a name or a value not followed by its NUL, and bytes after the last pair", () => {
    const good = [...encodePairs([["k", "v"]])];
    const at = (i: number, b: number) => Uint8Array.from(good.map((x, j) => (j === i ? b : x)));
    expect(decodePairs(at(13, 0x21))).toBeNull(); // after the name
    expect(decodePairs(at(15, 0x21))).toBeNull(); // after the value
    expect(decodePairs(Uint8Array.from([...good, 0]))).toBeNull();
  });

  it("takes Envoy's limits, 1024 pairs and 1 MiB, and refuses one past", () => {
    const count = (n: number) => {
      const b = new Uint8Array(4 + n * 10);
      // n pairs of an empty name and value: the sizes and the NULs are all zero bytes.
      new DataView(b.buffer).setUint32(0, n, true);
      return b;
    };
    expect(decodePairs(count(1024))).toHaveLength(1024);
    expect(decodePairs(count(1025))).toBeNull();
    // One pair whose value fills the block to exactly 1 MiB, then one byte more.
    const sized = (total: number) => {
      const valueLength = total - 4 - 8 - 1 - 1 - 1;
      return encodePairs([["k", "v".repeat(valueLength)]]);
    };
    expect(sized(1024 * 1024)).toHaveLength(1024 * 1024);
    expect(decodePairs(sized(1024 * 1024))?.[0]?.[1]).toHaveLength(1024 * 1024 - 15);
    expect(decodePairs(sized(1024 * 1024 + 1))).toBeNull();
  });

  it("hostPairs reads a block that does not parse as no pairs", () => {
    expect(hostPairs(u8(1, 0, 0))).toEqual([]);
    expect(hostPairs(encodePairs([["a", "b"]]))).toEqual([["a", "b"]]);
  });

  it("reads a block at an offset of a larger buffer", () => {
    const inner = encodePairs([["k", "v"]]);
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    expect(decodePairs(outer.subarray(3))).toEqual([["k", "v"]]);
  });
});

describe("decodePath", () => {
  it("splits on NUL, with or without a NUL after the last segment", () => {
    const p = (s: string) => decodePath(Uint8Array.from(utf8(s)));
    expect(p("request\0path")).toEqual(["request", "path"]);
    expect(p("request\0path\0")).toEqual(["request", "path"]);
    expect(p("a\0\0b")).toEqual(["a", "", "b"]);
    expect(p("\0")).toEqual([""]);
    expect(p("")).toEqual([]);
    expect(p("one")).toEqual(["one"]);
  });

  it("decodes a segment with non-ASCII bytes as UTF-8, wherever they are in it", () => {
    const p = (s: string) => decodePath(Uint8Array.from(utf8(s)));
    expect(p("ab\0cé\0d")).toEqual(["ab", "cé", "d"]);
    expect(p("éa\0b")).toEqual(["éa", "b"]);
    expect(p("a\0xé")).toEqual(["a", "xé"]);
    expect(p("a\0xé\0")).toEqual(["a", "xé"]);
    expect(p("é")).toEqual(["é"]);
    expect(p("a\0é\0b")).toEqual(["a", "é", "b"]);
    // a byte that is not UTF-8 reads as U+FFFD, as TextDecoder gives it
    expect(decodePath(Uint8Array.of(0x61, 0x80))).toEqual(["a\ufffd"]);
    expect(decodePath(Uint8Array.of(0x80, 0, 0x62))).toEqual(["\ufffd", "b"]);
  });
});

describe("8-byte and boolean values", () => {
  it("encode int64 little endian, negative as two's complement", () => {
    expect([...int64Bytes(1)]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect([...int64Bytes(0x0102030405060708n)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect([...int64Bytes(-1)]).toEqual(new Array(8).fill(0xff));
  });

  it("encode a boolean as one byte", () => {
    expect([...boolBytes(true)]).toEqual([1]);
    expect([...boolBytes(false)]).toEqual([0]);
  });
});
