// A reusable text builder: appends into one UTF-16 buffer and makes one string at the end, so
// per-request text (an access-log line, ids, timestamps) costs one allocation instead of one
// per `+`. Written here rather than taken from a package: AssemblyScript's standard library has
// no string builder, and the JSON escaping must match the SDK's `quoteJsonString` exactly.
//
//   const b = new TextBuilder();
//   b.reset().str("id=").int(42).char(0x2c).quoted("a\"b");
//   const text = b.toString();   // id=42,"a\"b"

const HEX_DIGITS = "0123456789abcdef";
/** A buffer grown past this many characters is given back at the next reset. */
const KEEP_CAPACITY: i32 = 16384;

export class TextBuilder {
  private buf: StaticArray<u16>;
  private len: i32 = 0;

  constructor(private readonly initial: i32 = 256) {
    this.buf = new StaticArray<u16>(initial);
  }

  /** Empties the builder (keeping its buffer unless it grew very large). */
  reset(): TextBuilder {
    this.len = 0;
    if (this.buf.length > KEEP_CAPACITY) this.buf = new StaticArray<u16>(this.initial);
    return this;
  }

  /** Characters written so far. */
  get length(): i32 {
    return this.len;
  }

  /** Drops what was written after the first `length` characters. */
  truncate(length: i32): TextBuilder {
    if (length >= 0 && length < this.len) this.len = length;
    return this;
  }

  /** The code unit at `index` (0 past the end). */
  codeAt(index: i32): i32 {
    return index >= 0 && index < this.len ? <i32>unchecked(this.buf[index]) : 0;
  }

  /** Characters [from, to) of another builder. */
  range(other: TextBuilder, from: i32, to: i32): TextBuilder {
    const n = to - from;
    if (n <= 0 || from < 0 || to > other.len) return this;
    this.reserve(n);
    memory.copy(
      changetype<usize>(this.buf) + (<usize>this.len << 1),
      changetype<usize>(other.buf) + (<usize>from << 1),
      <usize>n << 1,
    );
    this.len += n;
    return this;
  }

  private reserve(n: i32): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    if (cap < need) cap = need;
    const next = new StaticArray<u16>(cap);
    memory.copy(changetype<usize>(next), changetype<usize>(this.buf), <usize>this.len << 1);
    this.buf = next;
  }

  /** One UTF-16 code unit. */
  char(c: i32): TextBuilder {
    this.reserve(1);
    unchecked((this.buf[this.len++] = <u16>c));
    return this;
  }

  /** A string as it is. */
  str(s: string): TextBuilder {
    const n = s.length;
    this.reserve(n);
    memory.copy(changetype<usize>(this.buf) + (<usize>this.len << 1), changetype<usize>(s), <usize>n << 1);
    this.len += n;
    return this;
  }

  /** `value` in decimal (as `value.toString()` writes it). */
  int(value: i64): TextBuilder {
    return this.padded(value, 1);
  }

  /** `value` in decimal, left-padded with zeros to `width` (as
   *  `value.toString().padStart(width, "0")` writes it). */
  padded(value: i64, width: i32): TextBuilder {
    if (value < 0) return this.str(value.toString().padStart(width, "0"));
    let digits = 1;
    for (let v = value / 10; v > 0; v /= 10) digits++;
    const n = digits > width ? digits : width;
    this.reserve(n);
    let at = this.len + n - 1;
    let v = value;
    for (let i = 0; i < n; i++) {
      unchecked((this.buf[at--] = <u16>(0x30 + <i32>(v % 10))));
      v /= 10;
    }
    this.len += n;
    return this;
  }

  /** The low `digits` hex digits of `value`, lower case, most significant first. */
  hex(value: u32, digits: i32): TextBuilder {
    this.reserve(digits);
    for (let shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
      unchecked((this.buf[this.len++] = <u16>HEX_DIGITS.charCodeAt(<i32>((value >>> shift) & 0xf))));
    }
    return this;
  }

  /** `text` as a JSON string literal, escaped as the SDK's `quoteJsonString` escapes it
   *  (quote, backslash, control characters, unpaired surrogates as \u escapes). */
  quoted(text: string): TextBuilder {
    this.char(0x22);
    const n = text.length;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x20 && c != 0x22 && c != 0x5c && (c & 0xf800) != 0xd800) continue;
      // charCodeAt past the end is -1, never a low surrogate: a high one last is escaped.
      if ((c & 0xfc00) == 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) == 0xdc00) {
        i++;
        continue;
      }
      this.slice(text, start, i);
      start = i + 1;
      this.char(0x5c);
      if (c == 0x22) this.char(0x22);
      else if (c == 0x5c) this.char(0x5c);
      else if (c == 0x0a) this.char(0x6e);
      else if (c == 0x0d) this.char(0x72);
      else if (c == 0x09) this.char(0x74);
      else if (c == 0x08) this.char(0x62);
      else if (c == 0x0c) this.char(0x66);
      else this.char(0x75).hex(<u32>c, 4);
    }
    this.slice(text, start, n);
    return this.char(0x22);
  }

  // Characters [from, to) of `s` (none when to == from).
  private slice(s: string, from: i32, to: i32): void {
    const n = to - from;
    this.reserve(n);
    memory.copy(
      changetype<usize>(this.buf) + (<usize>this.len << 1),
      changetype<usize>(s) + (<usize>from << 1),
      <usize>n << 1,
    );
    this.len += n;
  }

  /** What was written, as UTF-8 in one new buffer: `String.UTF8.encode(b.toString())`
   *  without the string between (a surrogate pair as 4 bytes, a lone surrogate as 3). */
  utf8(): ArrayBuffer {
    const ptr = changetype<usize>(this.buf);
    const len = this.len;
    let size = 0;
    for (let i = 0; i < len; i++) {
      const c = <u32>load<u16>(ptr + (<usize>i << 1));
      if (c < 0x80) {
        size += 1;
      } else if (c < 0x800) {
        size += 2;
      } else if ((c & 0xfc00) == 0xd800 && i + 1 < len && (<u32>load<u16>(ptr + (<usize>(i + 1) << 1)) & 0xfc00) == 0xdc00) {
        size += 4;
        i++;
      } else {
        size += 3;
      }
    }
    const out = new ArrayBuffer(size);
    String.UTF8.encodeUnsafe(ptr, len, changetype<usize>(out));
    return out;
  }

  /** What was written, as one new string. */
  toString(): string {
    return String.UTF16.decodeUnsafe(changetype<usize>(this.buf), <usize>this.len << 1);
  }
}
