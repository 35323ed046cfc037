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

function bytesOf(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + i, values[i]);
  return out;
}

describe("ProtoWriter's buffer", () => {
  it("grows for a key and a ten-byte varint that cross its first 256 bytes", () => {
    // 1 (key) + 2 (length 251) + 251 = 254 bytes, then 1 (key) + 10 (2^64 - 1) past 256.
    const out = new ProtoWriter().bytesField(1, filled(251, 5)).varintField(2, 0xffffffffffffffff).finish();
    expect<i32>(out.byteLength).toBe(265);
    const tail = new Array<u8>(0);
    for (let i = 254; i < 265; i++) tail.push(load<u8>(changetype<usize>(out) + i));
    expect<u8[]>(tail).toStrictEqual([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe("ProtoWriter's varints", () => {
  it("writes 128 (key and value) in two bytes", () => {
    const out = new ProtoWriter().varintField(16, 128).finish();
    expect<u8[]>(listOf(out)).toStrictEqual([0x80, 0x01, 0x80, 0x01]);
  });

  it("grows for a first field far larger than its buffer", () => {
    const big = filled(70000, 13);
    const out = new ProtoWriter().bytesField(1, big).finish();
    // 1 (key) + 3 (length 70000) + 70000.
    expect<i32>(out.byteLength).toBe(70004);
    expect<bool>(sameBytes(big, changetype<usize>(out) + 4, 70000)).toBe(true);
  });
});

describe("ProtoReader", () => {
  it("holds no field before the first, and keeps a varint's and a string's values 0 past a fixed field", () => {
    const empty = new ProtoReader(new ArrayBuffer(0));
    expect<u32>(empty.field).toBe(0);
    expect<u32>(empty.wireType).toBe(0);
    expect<bool>(empty.next()).toBe(false);
    expect<u32>(empty.field).toBe(0);
    const r = new ProtoReader(bytesOf([0x09, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect<bool>(r.next()).toBe(true);
    expect<u64>(r.varintValue).toBe(0);
    expect<i32>(r.start).toBe(0);
    expect<i32>(r.length).toBe(0);
  });

  it("reads varint fields, keys of two bytes and the largest value", () => {
    // field 1 = 300; field 16 (key 0x80 0x01) = 1; field 3 = 2^64 - 1 (ten bytes).
    const r = new ProtoReader(
      bytesOf([0x08, 0xac, 0x02, 0x80, 0x01, 0x01, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
    expect<bool>(r.next()).toBe(true);
    expect<u32>(r.field).toBe(1);
    expect<u32>(r.wireType).toBe(0);
    expect<u64>(r.varintValue).toBe(300);
    expect<bool>(r.next()).toBe(true);
    expect<u32>(r.field).toBe(16);
    expect<u64>(r.varintValue).toBe(1);
    expect<bool>(r.next()).toBe(true);
    expect<u32>(r.field).toBe(3);
    expect<u64>(r.varintValue).toBe(0xffffffffffffffff);
    expect<bool>(r.next()).toBe(false);
    expect<bool>(r.ok).toBe(true);
  });

  it("reads nothing from an empty message and stays ok", () => {
    const r = new ProtoReader(new ArrayBuffer(0));
    expect<bool>(r.next()).toBe(false);
    expect<bool>(r.ok).toBe(true);
  });

  it("gives a string field's text and place", () => {
    const r = new ProtoReader(bytesOf([0x08, 0x01, 0x12, 0x03, 0x61, 0xc3, 0xa9, 0x08, 0x02]));
    expect<bool>(r.next()).toBe(true);
    expect<bool>(r.next()).toBe(true);
    expect<u32>(r.field).toBe(2);
    expect<u32>(r.wireType).toBe(2);
    expect<i32>(r.start).toBe(4);
    expect<i32>(r.length).toBe(3);
    expect<string>(r.stringValue()).toBe("aé");
    expect<bool>(r.next()).toBe(true);
    expect<u64>(r.varintValue).toBe(2);
    expect<bool>(r.next()).toBe(false);
    expect<bool>(r.ok).toBe(true);
  });

  it("skips fixed64 and fixed32 fields, up to the last byte", () => {
    const r = new ProtoReader(
      bytesOf([0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 1, 2, 3, 4, 0x18, 0x07, 0x21, 1, 2, 3, 4, 5, 6, 7, 8]),
    );
    expect<bool>(r.next()).toBe(true);
    expect<u32>(r.field).toBe(1);
    expect<u32>(r.wireType).toBe(1);
    expect<bool>(r.next()).toBe(true);
    expect<u32>(r.field).toBe(2);
    expect<u32>(r.wireType).toBe(5);
    expect<bool>(r.next()).toBe(true);
    expect<u32>(r.field).toBe(3);
    expect<u64>(r.varintValue).toBe(7);
    expect<bool>(r.next()).toBe(true);
    expect<u32>(r.field).toBe(4);
    expect<u32>(r.wireType).toBe(1);
    expect<bool>(r.next()).toBe(false);
    expect<bool>(r.ok).toBe(true);
  });

  it("stops, not ok, at each malformed input", () => {
    const bad: u8[][] = [
      [0x08], // a varint field without its value
      [0x08, 0x80], // a varint cut after a continuation byte
      [0x80], // a key cut after a continuation byte
      [0x12, 0x02, 0x61], // a length past the end
      [0x12, 0x80], // a length cut
      [0x09, 1, 2, 3, 4, 5, 6, 7], // fixed64 one byte short
      [0x15, 1, 2, 3], // fixed32 one byte short
      [0x0b], // wire type 3 (group start)
      [0x0c], // wire type 4 (group end)
      [0x0e], // wire type 6
      [0x0f], // wire type 7
      // eleven bytes of continuation: longer than any 64-bit varint
      [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    ];
    for (let i = 0; i < bad.length; i++) {
      const r = new ProtoReader(bytesOf(bad[i]));
      expect<bool>(r.next()).toBe(false);
      expect<bool>(r.ok).toBe(false);
      // Once stopped it stays stopped.
      expect<bool>(r.next()).toBe(false);
    }
  });

  it("stays stopped after a malformed field with good fields after it", () => {
    // field 1 = 1, then a key of wire type 3 (refused), then field 1 = 2 (never read).
    const r = new ProtoReader(bytesOf([0x08, 0x01, 0x0b, 0x08, 0x02]));
    expect<bool>(r.next()).toBe(true);
    expect<bool>(r.next()).toBe(false);
    expect<bool>(r.next()).toBe(false);
    expect<bool>(r.ok).toBe(false);
  });
});
