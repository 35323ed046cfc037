// Wire-format fixtures for header-map pairs (proxy-wasm ABI 0.2.1), both directions.
import {
  Header,
  HeaderBytes,
  PairIndex,
  deserializeHeaderBytes,
  deserializeHeaders,
  findPairValue,
  findPairValues,
  pairCount,
  serializeHeaderBytes,
  serializeHeaders,
} from "../internal/pairs";

function bytesOf(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + i, values[i]);
  return out;
}

function listOf(buf: ArrayBuffer): u8[] {
  const out = new Array<u8>(buf.byteLength);
  for (let i = 0; i < buf.byteLength; i++) out[i] = load<u8>(changetype<usize>(buf) + i);
  return out;
}

// Two pairs: ":path" = "/a", "x" = "" (an empty value is legal and keeps its NUL).
const TWO_PAIRS: u8[] = [
  0x02, 0x00, 0x00, 0x00, // count = 2
  0x05, 0x00, 0x00, 0x00, // name length 5 (":path")
  0x02, 0x00, 0x00, 0x00, // value length 2 ("/a")
  0x01, 0x00, 0x00, 0x00, // name length 1 ("x")
  0x00, 0x00, 0x00, 0x00, // value length 0
  0x3a, 0x70, 0x61, 0x74, 0x68, 0x00, // ":path\0"
  0x2f, 0x61, 0x00, // "/a\0"
  0x78, 0x00, // "x\0"
  0x00, // "\0" (empty value)
];

describe("header-map pairs", () => {
  it("serializes names and values with lengths first and NUL after each", () => {
    const block = serializeHeaders([new Header(":path", "/a"), new Header("x", "")]);
    expect(listOf(block)).toStrictEqual(TWO_PAIRS);
  });

  it("serializes an empty map as a zero count", () => {
    expect(listOf(serializeHeaders([]))).toStrictEqual([0x00, 0x00, 0x00, 0x00] as u8[]);
  });

  it("decodes the fixture back to the same pairs", () => {
    const block = bytesOf(TWO_PAIRS);
    const pairs = deserializeHeaders(changetype<usize>(block), block.byteLength);
    expect(pairs.length).toBe(2);
    expect(pairs[0].name).toBe(":path");
    expect(pairs[0].value).toBe("/a");
    expect(pairs[1].name).toBe("x");
    expect(pairs[1].value).toBe("");
  });

  it("round-trips UTF-8 values byte for byte", () => {
    const block = serializeHeaders([new Header("x-name", "grüße ☃")]);
    // 4 (count) + 8 (sizes) + 6 + 1 + 11 + 1: "grüße ☃" is 11 bytes of UTF-8.
    expect(block.byteLength).toBe(31);
    const back = deserializeHeaders(changetype<usize>(block), block.byteLength);
    expect(back[0].value).toBe("grüße ☃");
  });

  it("keeps non-UTF-8 bytes intact in the bytes form", () => {
    const value = bytesOf([0xff, 0x00, 0xfe]);
    const block = serializeHeaderBytes([new HeaderBytes(bytesOf([0x6b]), value)]);
    const back = deserializeHeaderBytes(changetype<usize>(block), block.byteLength);
    expect(back.length).toBe(1);
    expect(listOf(back[0].value)).toStrictEqual([0xff, 0x00, 0xfe] as u8[]);
  });

  it("decodes a zero-length block and the single-NUL empty map as no pairs", () => {
    const nul = bytesOf([0x00]);
    expect(deserializeHeaders(changetype<usize>(nul), 1).length).toBe(0);
    expect(deserializeHeaders(0, 0).length).toBe(0);
  });

  it("refuses a block whose sizes claim more bytes than it has", () => {
    const truncated = bytesOf(TWO_PAIRS.slice(0, 30));
    expect(deserializeHeaders(changetype<usize>(truncated), truncated.byteLength).length).toBe(0);
    // A count of 0xffffffff with a tiny block must not be trusted either.
    const huge = bytesOf([0xff, 0xff, 0xff, 0xff, 0x00]);
    expect(deserializeHeaders(changetype<usize>(huge), huge.byteLength).length).toBe(0);
  });

  it("finds a name as Envoy matches it at every length, case and shared prefix", () => {
    // Stored names are lower case (as Envoy keeps them); the queries come in any case. A query
    // matches a stored name when it equals it with its ASCII capitals lowered, byte for byte:
    // bytes from 0x80 up are never changed (0xc1 is not 0xe1's capital).
    const prefix = "x-forwarded-client-certificate-";
    const stored = new Array<HeaderBytes>(0);
    for (let len = 1; len <= prefix.length; len++) {
      stored.push(new HeaderBytes(String.UTF8.encode(prefix.substring(0, len)), String.UTF8.encode(len.toString())));
    }
    stored.push(new HeaderBytes(bytesOf([0x78, 0x2d, 0xe1, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67]), bytesOf([0x31])));
    const block = serializeHeaderBytes(stored);
    const base = changetype<usize>(block);
    const size = <usize>block.byteLength;
    const index = new PairIndex();
    index.build(base, stored.length);
    let checked = 0;
    let wrong = "";
    for (let len = 1; len <= prefix.length; len++) {
      const name = prefix.substring(0, len);
      for (let variant = 0; variant < 4; variant++) {
        // 0: as stored; 1: all capitals; 2: one capital at each position in turn; 3: the last
        // byte changed (a name that shares all but its end).
        let query = name;
        if (variant == 1) query = name.toUpperCase();
        if (variant == 3) query = name.substring(0, len - 1) + (name.charCodeAt(len - 1) == 0x7a ? "y" : "z");
        const positions = variant == 2 ? len : 1;
        for (let at = 0; at < positions; at++) {
          let q = query;
          if (variant == 2) q = name.substring(0, at) + name.charAt(at).toUpperCase() + name.substring(at + 1);
          const key = String.UTF8.encode(q);
          const found = findPairValue(base, size, changetype<usize>(key), <usize>key.byteLength);
          if (index.find(base, changetype<usize>(key), <usize>key.byteLength) != found && wrong.length == 0) {
            wrong = "index: " + q;
          }
          const expected = slowFind(stored, key);
          let right = expected < 0 ? found == -1 : found >= 0;
          if (right && expected >= 0) {
            const value = String.UTF8.decodeUnsafe(base + <usize>(found & 0xffffffff), <usize>(found >>> 32));
            right = value == String.UTF8.decode(stored[expected].value);
          }
          const all = findPairValues(base, size, changetype<usize>(key), <usize>key.byteLength).length;
          if ((!right || all != (expected < 0 ? 0 : 1)) && wrong.length == 0) wrong = q;
          checked++;
        }
      }
    }
    expect(wrong).toBe("");
    expect(checked).toBeGreaterThan(prefix.length * 3);
    // A byte from 0x80 up is compared as it is: "x-\xc1bcdefg" does not find "x-\xe1bcdefg".
    const high = bytesOf([0x78, 0x2d, 0xc1, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67]);
    expect(findPairValue(base, size, changetype<usize>(high), 9)).toBe(-1);
    expect(index.find(base, changetype<usize>(high), 9)).toBe(-1);
    const same = bytesOf([0x58, 0x2d, 0xe1, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47]);
    expect(findPairValue(base, size, changetype<usize>(same), 9)).toBeGreaterThanOrEqual(0);
    expect(index.find(base, changetype<usize>(same), 9)).toBe(findPairValue(base, size, changetype<usize>(same), 9));
  });

  it("answers from its name index as the scan does: first pair of a name, repeats, capitals, many names", () => {
    // Maps of 0 to 300 pairs: names of 3 to 40 bytes sharing prefixes, with every letter, each name stored up to
    // three times (the first pair answers), some stored with capitals or bytes from 0x80 up
    // (which no lowered query matches unless byte for byte); queries in any case, present and
    // absent. One index, built again for each map, as HeaderMap reuses it.
    const index = new PairIndex();
    let wrong = "";
    let checked = 0;
    let found = 0;
    for (let count = 0; count <= 300; count += count < 20 ? 1 : 31) {
      const stored = new Array<HeaderBytes>(0);
      for (let i = 0; i < count; i++) {
        const k = (i * 7) % (count / 3 + 1);
        let name = nameOf(k);
        if (i % 11 == 5) name = name.toUpperCase();
        const bytes = String.UTF8.encode(i % 13 == 7 ? name + "\u00e9" : name);
        stored.push(new HeaderBytes(bytes, String.UTF8.encode("v" + i.toString())));
      }
      const block = serializeHeaderBytes(stored);
      const base = changetype<usize>(block);
      const size = <usize>block.byteLength;
      index.build(base, pairCount(base, size));
      for (let k = 0; k < count / 3 + 3; k++) {
        const name = nameOf(k);
        const queries = [name, name.toUpperCase(), name + "\u00e9", name.substring(0, name.length - 1)];
        for (let v = 0; v < queries.length; v++) {
          const key = String.UTF8.encode(queries[v]);
          const scan = findPairValue(base, size, changetype<usize>(key), <usize>key.byteLength);
          const got = index.find(base, changetype<usize>(key), <usize>key.byteLength);
          if (scan >= 0) found++;
          if (got != scan && wrong.length == 0) wrong = queries[v] + " in " + count.toString() + " pairs";
          checked++;
        }
      }
    }
    expect(wrong).toBe("");
    expect(checked).toBeGreaterThan(1000);
    expect(found).toBeGreaterThan(checked / 4);
  });
});

/** The k-th name of the index test: 3 to 40 bytes, every letter a to z at some place. */
function nameOf(k: i32): string {
  const letters = k % 2 == 0 ? "abcdefghijklmnopqrstuvwxyz" : "zyxwvutsrqponmlkjihgfedcba";
  const from = (k >> 1) % 20;
  const take = (k % 4) * 3 + (k % 7 == 0 ? 20 : 0);
  return letters.substring(from, from + take) + "-" + k.toString();
}

/** The index of the first stored pair whose name equals `query` lowered byte by byte, or -1. */
function slowFind(stored: HeaderBytes[], query: ArrayBuffer): i32 {
  for (let i = 0; i < stored.length; i++) {
    const name = stored[i].name;
    if (name.byteLength != query.byteLength) continue;
    let same = true;
    for (let j = 0; j < name.byteLength; j++) {
      let c = load<u8>(changetype<usize>(query) + j);
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c != load<u8>(changetype<usize>(name) + j)) {
        same = false;
        break;
      }
    }
    if (same) return i;
  }
  return -1;
}
