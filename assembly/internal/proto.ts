// The few protobuf encodings Envoy's foreign functions take and return: varints and
// length-delimited fields. Hand-written because three tiny messages do not justify a
// protobuf runtime in every module.

import { decodeUtf8At } from "../utf8";

/** Appends protobuf fields to a growing buffer (values are copied in bulk, not byte by byte:
 *  verify_signature's arguments are hundreds of bytes per call). */
export class ProtoWriter {
  private buf: ArrayBuffer = new ArrayBuffer(256);
  private length: i32 = 0;

  /** Room for `extra` more bytes. */
  private reserve(extra: i32): void {
    const need = this.length + extra;
    if (need <= this.buf.byteLength) return;
    const grown = new ArrayBuffer(max(need, this.buf.byteLength << 1));
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>this.length);
    this.buf = grown;
  }

  private varint(value: u64): void {
    this.reserve(10);
    const base = changetype<usize>(this.buf);
    let v = value;
    while (v >= 0x80) {
      store<u8>(base + <usize>(this.length++), <u8>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    store<u8>(base + <usize>(this.length++), <u8>v);
  }

  /** A length-delimited field (string, bytes, message). Empty values are skipped (proto3). */
  bytesField(field: u32, data: ArrayBuffer): ProtoWriter {
    const n = data.byteLength;
    if (n == 0) return this;
    this.varint((<u64>field << 3) | 2);
    this.varint(<u64>n);
    this.reserve(n);
    memory.copy(changetype<usize>(this.buf) + <usize>this.length, changetype<usize>(data), <usize>n);
    this.length += n;
    return this;
  }

  /** A string field as UTF-8. */
  stringField(field: u32, value: string): ProtoWriter {
    return this.bytesField(field, String.UTF8.encode(value));
  }

  /** A varint field (int32, enum, bool). Zero is skipped (proto3). */
  varintField(field: u32, value: u64): ProtoWriter {
    if (value == 0) return this;
    this.varint(<u64>field << 3);
    this.varint(value);
    return this;
  }

  finish(): ArrayBuffer {
    return this.buf.slice(0, this.length);
  }
}

/** Reads protobuf fields; stops (ok = false) at the first malformed byte, never traps. */
export class ProtoReader {
  private pos: i32 = 0;
  ok: bool = true;
  field: u32 = 0;
  wireType: u32 = 0;
  varintValue: u64 = 0;
  start: i32 = 0;
  length: i32 = 0;

  constructor(private data: ArrayBuffer) {}

  private readVarint(): u64 {
    let result: u64 = 0;
    let shift: u64 = 0;
    while (this.pos < this.data.byteLength && shift < 64) {
      const b = load<u8>(changetype<usize>(this.data) + this.pos++);
      result |= (<u64>(b & 0x7f)) << shift;
      if ((b & 0x80) == 0) return result;
      shift += 7;
    }
    this.ok = false;
    return 0;
  }

  /** Advances to the next field; false at the end or on malformed input. */
  next(): bool {
    if (!this.ok || this.pos >= this.data.byteLength) return false;
    const key = this.readVarint();
    if (!this.ok) return false;
    this.field = <u32>(key >> 3);
    this.wireType = <u32>(key & 7);
    if (this.wireType == 0) {
      this.varintValue = this.readVarint();
    } else if (this.wireType == 2) {
      const len = this.readVarint();
      if (!this.ok || len > <u64>(this.data.byteLength - this.pos)) {
        this.ok = false;
        return false;
      }
      this.start = this.pos;
      this.length = <i32>len;
      this.pos += <i32>len;
    } else if (this.wireType == 1) {
      this.pos += 8;
    } else if (this.wireType == 5) {
      this.pos += 4;
    } else {
      this.ok = false;
    }
    if (this.pos > this.data.byteLength) this.ok = false;
    return this.ok;
  }

  /** The current length-delimited field as a string. */
  stringValue(): string {
    return decodeUtf8At(changetype<usize>(this.data) + this.start, this.length);
  }
}
