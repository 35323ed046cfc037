// The protobuf wire format, as much of it as the rate limit service protocol needs: varints,
// length-delimited fields, and skipping the fields we do not read.
//
// Written here rather than taken from npm: the AssemblyScript protobuf library there (as-proto)
// aborts the VM on a truncated message or an unknown wire type (its reader asserts), and a
// filter must survive any reply a service, or something pretending to be one, sends. This
// reader never traps: every read is checked against the end of its message, and the first
// bad byte clears `ok`, after which every read returns zero.

/** Wire types. */
export const WIRE_VARINT: u32 = 0;
export const WIRE_FIXED64: u32 = 1;
export const WIRE_LEN: u32 = 2;
export const WIRE_FIXED32: u32 = 5;

/** Reads one message (or a nested one) from `[pos, end)` of a buffer. */
export class ProtoReader {
  ok: bool = true;

  constructor(
    private readonly base: usize,
    public pos: i32,
    public readonly end: i32,
  ) {}

  static of(buf: ArrayBuffer): ProtoReader {
    return new ProtoReader(changetype<usize>(buf), 0, buf.byteLength);
  }

  /** True once the message is read to its end or found malformed. */
  get done(): bool {
    return !this.ok || this.pos >= this.end;
  }

  private fail(): u64 {
    this.ok = false;
    this.pos = this.end;
    return 0;
  }

  /** A varint of up to ten bytes; a truncated or longer one fails the reader. */
  varint(): u64 {
    let value: u64 = 0;
    for (let shift: u64 = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) return this.fail();
      const b = <u64>load<u8>(this.base + <usize>this.pos);
      this.pos++;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return value;
    }
    return this.fail();
  }

  /** The next field's key: (number << 3) | wire type; 0 when done or malformed (field 0 does
   *  not exist, so a key of 0 is malformed too). */
  key(): u32 {
    if (this.done) return 0;
    const k = this.varint();
    if (k == 0 || k > 0xffff_ffff || (k >> 3) == 0) return <u32>this.fail();
    return <u32>k;
  }

  /** A length-delimited field's payload as a reader of its own (checked against our end). */
  nested(): ProtoReader {
    const n = this.varint();
    if (!this.ok || n > <u64>(this.end - this.pos)) {
      this.fail();
      return new ProtoReader(this.base, 0, 0);
    }
    const start = this.pos;
    this.pos += <i32>n;
    return new ProtoReader(this.base, start, this.pos);
  }

  /** A length-delimited field as a string (ill-formed UTF-8 becomes U+FFFD). */
  string(): string {
    const r = this.nested();
    if (!this.ok) return "";
    return String.UTF8.decodeUnsafe(this.base + <usize>r.pos, <usize>(r.end - r.pos));
  }

  /** Skips a field of `wireType`; groups (3, 4) and unknown types fail the reader. */
  skip(wireType: u32): void {
    if (wireType == WIRE_VARINT) {
      this.varint();
    } else if (wireType == WIRE_FIXED64) {
      this.advance(8);
    } else if (wireType == WIRE_LEN) {
      this.nested();
    } else if (wireType == WIRE_FIXED32) {
      this.advance(4);
    } else {
      this.fail();
    }
  }

  private advance(n: i32): void {
    if (this.end - this.pos < n) this.fail();
    else this.pos += n;
  }
}

/** The size of `v` as a varint. */
export function varintSize(v: u64): i32 {
  let n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/** Writes into a buffer sized beforehand (the encoder computes every length first). */
export class ProtoWriter {
  pos: usize = 0;
  readonly buf: ArrayBuffer;
  private readonly base: usize;

  constructor(size: i32) {
    this.buf = new ArrayBuffer(size);
    this.base = changetype<usize>(this.buf);
  }

  varint(v: u64): void {
    while (v >= 0x80) {
      store<u8>(this.base + this.pos, <u8>((v & 0x7f) | 0x80));
      this.pos++;
      v >>= 7;
    }
    store<u8>(this.base + this.pos, <u8>v);
    this.pos++;
  }

  key(field: u32, wireType: u32): void {
    this.varint(<u64>((field << 3) | wireType));
  }

  /** A length-delimited field holding `bytes`. */
  bytes(field: u32, bytes: ArrayBuffer): void {
    this.key(field, WIRE_LEN);
    this.varint(<u64>bytes.byteLength);
    memory.copy(this.base + this.pos, changetype<usize>(bytes), <usize>bytes.byteLength);
    this.pos += <usize>bytes.byteLength;
  }
}

/** The size of a length-delimited field `field` with a payload of `n` bytes. */
export function lenFieldSize(field: u32, n: i32): i32 {
  return varintSize(<u64>(field << 3)) + varintSize(<u64>n) + n;
}
