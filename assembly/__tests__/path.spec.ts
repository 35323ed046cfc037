// Wire-format fixtures for property paths: segments separated by NUL bytes, none trailing.
import { serializePath, splitPath } from "../internal/path";

function listOf(buf: ArrayBuffer): u8[] {
  const out = new Array<u8>(buf.byteLength);
  for (let i = 0; i < buf.byteLength; i++) out[i] = load<u8>(changetype<usize>(buf) + i);
  return out;
}

describe("property paths", () => {
  it("separates segments with NUL, without a trailing NUL", () => {
    // "request\0path"
    expect(listOf(serializePath(["request", "path"]))).toStrictEqual([
      0x72, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74, 0x00,
      0x70, 0x61, 0x74, 0x68,
    ] as u8[]);
  });

  it("keeps dots inside a segment", () => {
    // "filter_state\0wasm.k"
    const bytes = listOf(serializePath(["filter_state", "wasm.k"]));
    expect(bytes.length).toBe(19);
    expect(bytes[12]).toBe(0x00);
    expect(bytes[17]).toBe(0x2e);
    expect(bytes[18]).toBe(0x6b);
  });

  it("serializes an empty path as no bytes", () => {
    expect(serializePath([]).byteLength).toBe(0);
  });

  it("splits dotted paths into segments", () => {
    const parts = splitPath("connection.requested_server_name");
    expect(parts.length).toBe(2);
    expect(parts[1]).toBe("requested_server_name");
    expect(splitPath("").length).toBe(0);
  });
});
