// The protobuf writer behind the foreign-function calls: exact bytes for varints and
// length-delimited fields, values copied whole across the buffer's growth, and what it
// writes read back by ProtoReader.
import { ProtoReader, ProtoWriter } from "../internal/proto";

function filled(n: i32, seed: u8): ArrayBuffer {
  const out = new ArrayBuffer(n);
  for (let i = 0; i < n; i++) store<u8>(changetype<usize>(out) + i, <u8>(seed + <u8>i * 7));
  return out;
}

function listOf(buf: ArrayBuffer): u8[] {
  const out = new Array<u8>(buf.byteLength);
  for (let i = 0; i < buf.byteLength; i++) out[i] = load<u8>(changetype<usize>(buf) + i);
  return out;
}

function sameBytes(a: ArrayBuffer, ptr: usize, len: i32): bool {
  if (a.byteLength != len) return false;
  return memory.compare(changetype<usize>(a), ptr, len) == 0;
}

describe("ProtoWriter", () => {
  it("writes the exact bytes of varint and length-delimited fields, skipping empty ones", () => {
    const out = new ProtoWriter()
      .varintField(1, 1)
      .varintField(2, 0)
      .stringField(3, "ab")
      .bytesField(4, new ArrayBuffer(0))
      .varintField(5, 300)
      .finish();
    expect<u8[]>(listOf(out)).toStrictEqual([0x08, 0x01, 0x1a, 0x02, 0x61, 0x62, 0x28, 0xac, 0x02]);
  });

  it("copies values larger than its buffer whole, and ProtoReader reads them back", () => {
    const key = filled(294, 3);
    const sig = filled(512, 11);
    const text = filled(70000, 29);
    const out = new ProtoWriter().stringField(1, "sha256").bytesField(2, key).bytesField(3, sig).bytesField(4, text).finish();
    const r = new ProtoReader(out);
    const want: ArrayBuffer[] = [String.UTF8.encode("sha256"), key, sig, text];
    for (let i = 0; i < 4; i++) {
      expect<bool>(r.next()).toBe(true);
      expect<u32>(r.field).toBe(<u32>(i + 1));
      expect<u32>(r.wireType).toBe(2);
      expect<bool>(sameBytes(want[i], changetype<usize>(out) + r.start, r.length)).toBe(true);
    }
    expect<bool>(r.next()).toBe(false);
    expect<bool>(r.ok).toBe(true);
  });
});
