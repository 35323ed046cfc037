// Wire-format fixtures for header-map pairs (proxy-wasm ABI 0.2.1), both directions.
import {
  Header,
  HeaderBytes,
  deserializeHeaderBytes,
  deserializeHeaders,
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
});
