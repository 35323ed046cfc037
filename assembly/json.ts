// A strict JSON (RFC 8259) parser and serializer for plugin configuration.
//
// Why our own instead of assemblyscript-json or json-as: configuration errors must name the
// exact byte offset, line and column; we want no compiler transforms in users' builds; and a
// filter VM must survive any input. AssemblyScript cannot catch exceptions and a trap kills
// the VM, so nothing here traps on any input: every failure is a returned `JsonError`.
// Parsing is iterative (an explicit stack of open containers, bounded by `maxDepth`), so
// hostile nesting costs memory proportional to the limit, never stack.
//
// Pure module: no host imports, so it compiles and tests anywhere, and every function here is
// legal in any callback.

import { decodeUtf8At } from "./utf8";

/** The six JSON value kinds. */
export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** Default limit of nested arrays and objects accepted by `parseJson`. */
// @ts-ignore: decorator
@inline export const JSON_MAX_DEPTH: i32 = 64;

/** Default length of values echoed by `describeJson` (in error messages). */
// @ts-ignore: decorator
@inline export const JSON_ECHO_LIMIT: i32 = 60;

/**
 * A parsed JSON value; look at `kind`, or use the `as*` accessors, which return null on a
 * kind mismatch instead of trapping. Example: `const port = value.asNumber()`.
 */
export class JsonValue {
  constructor(public readonly kind: JsonKind) {}

  /** True for the JSON literal `null`. */
  get isNull(): bool {
    return this.kind == JsonKind.Null;
  }
  /** This value as a boolean node, or null. Example: `v.asBool()!.value`. */
  asBool(): JsonBool | null {
    return this.kind == JsonKind.Bool ? changetype<JsonBool>(this) : null;
  }
  /** This value as a number node, or null. */
  asNumber(): JsonNumber | null {
    return this.kind == JsonKind.Number ? changetype<JsonNumber>(this) : null;
  }
  /** This value as a string node, or null. */
  asString(): JsonString | null {
    return this.kind == JsonKind.String ? changetype<JsonString>(this) : null;
  }
  /** This value as an array node, or null. */
  asArray(): JsonArray | null {
    return this.kind == JsonKind.Array ? changetype<JsonArray>(this) : null;
  }
  /** This value as an object node, or null. */
  asObject(): JsonObject | null {
    return this.kind == JsonKind.Object ? changetype<JsonObject>(this) : null;
  }
  /** Compact JSON text of this value; same as `stringifyJson(this)`. */
  toString(): string {
    return stringifyJson(this);
  }
}

/** The literal `null`. Example: `new JsonNull()`. */
export class JsonNull extends JsonValue {
  constructor() {
    super(JsonKind.Null);
  }
}

/** `true` or `false`. Example: `new JsonBool(true)`. */
export class JsonBool extends JsonValue {
  constructor(public value: bool) {
    super(JsonKind.Bool);
  }
}

/**
 * A number. `value` is the nearest f64 (correctly rounded, worked out on first read, so a
 * filter that never reads a fractional value carries no decimal-to-binary code). `isInteger`
 * is true when the literal denotes a whole number that fits in i64; `integer` then holds it
 * exactly (even beyond 2^53), else 0. `text` is its JSON text: the shortest form for a built
 * number, and for a parsed one the digits as written, without redundant zeros, laid out the
 * way JavaScript prints numbers (`1.50e1` reads back as `15`, `1e21` as `1e+21`).
 * Example: `JsonNumber.fromI64(8080)`.
 */
export class JsonNumber extends JsonValue {
  private number: f64;
  // False for a parsed fraction until `value` is first read.
  private converted: bool = true;

  constructor(
    value: f64,
    public isInteger: bool,
    public integer: i64,
    public readonly text: string,
  ) {
    super(JsonKind.Number);
    this.number = value;
  }
  /** A number node from a float; `isInteger` is set when it is whole and fits in i64. */
  static fromF64(value: f64): JsonNumber {
    const whole = isFinite(value) && Math.trunc(value) == value;
    // 2^63 itself is not representable in i64, -2^63 is.
    const fits = whole && value >= -9223372036854775808.0 && value < 9223372036854775808.0;
    return new JsonNumber(value, fits, fits ? <i64>value : 0, formatJsonNumber(value));
  }
  /** A number node from an exact integer. */
  static fromI64(value: i64): JsonNumber {
    return new JsonNumber(<f64>value, true, value, value.toString());
  }
  // A parsed number whose f64 is worked out from `text` when first read.
  static parsed(isInteger: bool, integer: i64, text: string): JsonNumber {
    const n = new JsonNumber(0, isInteger, integer, text);
    n.converted = false;
    return n;
  }
  /** The nearest f64. */
  get value(): f64 {
    if (!this.converted) {
      const text = this.text;
      const negative = text.charCodeAt(0) == 0x2d;
      // An integer converts exactly rounded by itself; -0 keeps its sign.
      this.number = this.isInteger
        ? this.integer == 0 && negative
          ? -0.0
          : <f64>this.integer
        : literalToF64(text);
      this.converted = true;
    }
    return this.number;
  }
  /** True when the number has no fractional part (an integer, perhaps beyond i64). */
  get isWhole(): bool {
    if (this.isInteger) return true;
    // `text` is laid out as JavaScript prints numbers: `-?digits`, `-?digits.digits`, or
    // `-?d[.digits]e(+|-)digits`, whose point the exponent moves right (or left, below 1).
    const text = this.text;
    const e = text.indexOf("e");
    const point = text.indexOf(".");
    if (e < 0) return point < 0 && text != "null";
    if (text.charCodeAt(e + 1) == 0x2d) return false;
    let exponent = 0;
    for (let i = e + 2; i < text.length; i++) exponent = exponent * 10 + text.charCodeAt(i) - 0x30;
    return point < 0 || e - point - 1 <= exponent;
  }
}

/** A string, escapes decoded. Example: `new JsonString("x-request-id")`. */
export class JsonString extends JsonValue {
  constructor(public value: string) {
    super(JsonKind.String);
  }
}

/** An array. Example: `const a = new JsonArray(); a.items.push(new JsonNull())`. */
export class JsonArray extends JsonValue {
  constructor(public items: JsonValue[] = []) {
    super(JsonKind.Array);
  }
  /** Number of items. */
  get length(): i32 {
    return this.items.length;
  }
  /** Item `index`, or null when out of range. */
  at(index: i32): JsonValue | null {
    return index >= 0 && index < this.items.length ? unchecked(this.items[index]) : null;
  }
}

/**
 * An object: members in document order (`keys`) plus a map for lookup. Parsed objects never
 * hold duplicate keys (the parser rejects them). Example: `obj.get("port")`.
 */
export class JsonObject extends JsonValue {
  /** Member names in the order they appeared (or were first set). */
  readonly keys: string[] = [];
  private readonly members: Map<string, JsonValue> = new Map();

  constructor() {
    super(JsonKind.Object);
  }
  /** Number of members. */
  get size(): i32 {
    return this.keys.length;
  }
  /** Whether member `key` exists. */
  has(key: string): bool {
    return this.members.has(key);
  }
  /** Member `key`, or null when absent (never traps, unlike `Map.get`). */
  get(key: string): JsonValue | null {
    return this.members.has(key) ? this.members.get(key) : null;
  }
  /** Sets member `key`; a new key goes last, an existing one keeps its place. */
  set(key: string, value: JsonValue): void {
    if (!this.members.has(key)) this.keys.push(key);
    this.members.set(key, value);
  }
}

/** Why parsing failed: a message, the byte offset, and the 1-based line and column. */
export class JsonError {
  constructor(
    public readonly message: string,
    public readonly offset: i32,
    public readonly line: i32,
    public readonly column: i32,
  ) {}
  /** For example `unexpected character '}' at line 3, column 5`. */
  toString(): string {
    return this.message + " at line " + this.line.toString() + ", column " + this.column.toString();
  }
}

/** Either `value` (success) or `error`; exactly one is non-null. */
export class JsonParseResult {
  constructor(
    public readonly value: JsonValue | null,
    public readonly error: JsonError | null,
  ) {}
  /** True when parsing succeeded. */
  get ok(): bool {
    return this.error === null;
  }
}

/**
 * Parses UTF-8 JSON text. Never traps: bad input gives a result with `error` set.
 * Legal in any callback (pure). Example: `const r = parseJson(configBytes); if (!r.ok) ...`.
 */
export function parseJson(bytes: ArrayBuffer, maxDepth: i32 = JSON_MAX_DEPTH): JsonParseResult {
  return new Parser(bytes, maxDepth).parse();
}

/**
 * Parses JSON from a string (encoded to UTF-8 first, so offsets are UTF-8 byte offsets; a
 * lone surrogate in `text` is reported as invalid UTF-8). Example: `parseJsonString('{"a":1}')`.
 */
export function parseJsonString(text: string, maxDepth: i32 = JSON_MAX_DEPTH): JsonParseResult {
  return parseJson(String.UTF8.encode(text), maxDepth);
}

/**
 * Compact JSON text of `value` (no spaces). Non-finite numbers become `null`; strings escape
 * `"`, `\`, control characters and lone surrogates. Example: `stringifyJson(obj)`.
 */
export function stringifyJson(value: JsonValue): string {
  const writer = new Writer(0);
  writer.write(value);
  return writer.parts.join("");
}

/**
 * Short JSON text of `value` for error messages: at most `limit` characters, then `...`.
 * Stops serializing once the limit is passed, so echoing a huge value is cheap.
 * Example: `"got " + describeJson(v)`.
 */
export function describeJson(value: JsonValue, limit: i32 = JSON_ECHO_LIMIT): string {
  const writer = new Writer(limit);
  writer.write(value);
  const text = writer.parts.join("");
  if (limit <= 0 || text.length <= limit) return text;
  let cut = limit;
  // Do not split a surrogate pair.
  if (cut > 0 && (text.charCodeAt(cut - 1) & 0xfc00) == 0xd800) cut--;
  return text.substring(0, cut) + "...";
}

/** JSON text of a float: whole numbers without `.0`, non-finite as `null`. */
export function formatJsonNumber(value: f64): string {
  if (!isFinite(value)) return "null";
  if (value == 0) return Math.signbit(value) ? "-0" : "0";
  if (Math.trunc(value) == value && Math.abs(value) < 9007199254740992.0) {
    return (<i64>value).toString();
  }
  // AssemblyScript writes a whole number below 1e21 with ".0" (2^53 as "9007199254740992.0");
  // JavaScript writes its digits alone.
  const text = value.toString();
  return text.endsWith(".0") ? text.substring(0, text.length - 2) : text;
}

// ---------------------------------------------------------------------------------------------
// Serializer

// Iterative like the parser, so depth costs heap, not stack. The limit is far beyond any
// parsed tree and only stops hand-built cycles, which would otherwise never end.
// @ts-ignore: decorator
@inline const WRITE_DEPTH_LIMIT: i32 = 10000;

class Writer {
  parts: string[] = [];
  length: i32 = 0;
  constructor(public limit: i32) {}

  get full(): bool {
    return this.limit > 0 && this.length > this.limit;
  }

  put(text: string): void {
    this.parts.push(text);
    this.length += text.length;
  }

  write(root: JsonValue): void {
    // Open containers and the index of the next member of each.
    const open: JsonValue[] = [];
    const nextIndex: i32[] = [];
    let pending: JsonValue | null = root;
    while (!this.full) {
      if (pending !== null) {
        const value: JsonValue = pending;
        pending = null;
        const kind = value.kind;
        if (kind == JsonKind.Array || kind == JsonKind.Object) {
          if (open.length >= WRITE_DEPTH_LIMIT) {
            this.put("...");
          } else {
            this.put(kind == JsonKind.Array ? "[" : "{");
            open.push(value);
            nextIndex.push(0);
          }
        } else {
          this.scalar(value);
        }
      }
      const depth = open.length;
      if (depth == 0) return;
      const top = unchecked(open[depth - 1]);
      const index = unchecked(nextIndex[depth - 1]);
      if (top.kind == JsonKind.Array) {
        const items = changetype<JsonArray>(top).items;
        if (index < items.length) {
          if (index > 0) this.put(",");
          pending = unchecked(items[index]);
          nextIndex[depth - 1] = index + 1;
        } else {
          this.put("]");
          open.pop();
          nextIndex.pop();
        }
      } else {
        const obj = changetype<JsonObject>(top);
        if (index < obj.keys.length) {
          if (index > 0) this.put(",");
          const key = unchecked(obj.keys[index]);
          this.put(this.quoted(key));
          this.put(":");
          const member = obj.get(key);
          pending = member !== null ? member : new JsonNull();
          nextIndex[depth - 1] = index + 1;
        } else {
          this.put("}");
          open.pop();
          nextIndex.pop();
        }
      }
    }
  }

  // With a limit, only the part of a long string that can show is escaped: its first `limit`
  // characters (substring returns a shorter string itself), which quoted are longer than it.
  private quoted(text: string): string {
    const limit = this.limit;
    if (limit <= 0) return quoteJsonString(text);
    return quoteJsonString(text.substring(0, limit));
  }

  private scalar(value: JsonValue): void {
    const kind = value.kind;
    if (kind == JsonKind.Bool) {
      this.put(changetype<JsonBool>(value).value ? "true" : "false");
    } else if (kind == JsonKind.Number) {
      this.put(changetype<JsonNumber>(value).text);
    } else if (kind == JsonKind.String) {
      this.put(this.quoted(changetype<JsonString>(value).value));
    } else {
      this.put("null");
    }
  }
}

/** `text` as a quoted JSON string literal. Example: `quoteJsonString("a\"b")` is `"a\"b"`. */
export function quoteJsonString(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c == 0x22 || c == 0x5c || (c & 0xf800) == 0xd800) {
      plain = false;
      break;
    }
  }
  if (plain) return '"' + text + '"';
  const parts: string[] = ['"'];
  let start = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let escape: string | null = null;
    if (c == 0x22) escape = '\\"';
    else if (c == 0x5c) escape = "\\\\";
    else if (c == 0x0a) escape = "\\n";
    else if (c == 0x0d) escape = "\\r";
    else if (c == 0x09) escape = "\\t";
    else if (c == 0x08) escape = "\\b";
    else if (c == 0x0c) escape = "\\f";
    else if (c < 0x20) escape = "\\u" + hex(c, 4);
    else if ((c & 0xfc00) == 0xd800) {
      // A high surrogate is fine only when a low one follows; then keep the pair as is (past
      // the end charCodeAt gives -1, no low surrogate).
      if ((text.charCodeAt(i + 1) & 0xfc00) == 0xdc00) {
        i++;
        continue;
      }
      escape = "\\u" + hex(c, 4);
    } else if ((c & 0xfc00) == 0xdc00) escape = "\\u" + hex(c, 4);
    if (escape !== null) {
      if (i > start) parts.push(text.substring(start, i));
      parts.push(escape);
      start = i + 1;
    }
  }
  if (n > start) parts.push(text.substring(start, n));
  parts.push('"');
  return parts.join("");
}

/** Hex of `value`, zero-padded to `width` digits; lower case for escapes, upper for messages. */
function hex(value: u32, width: i32, upper: bool = false): string {
  const digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  let out = "";
  for (let shift = (width - 1) * 4; shift >= 0; shift -= 4) {
    out += digits.charAt(<i32>((value >>> shift) & 0xf));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

// @ts-ignore: decorator
@inline const QUOTE: u32 = 0x22;
// @ts-ignore: decorator
@inline const BACKSLASH: u32 = 0x5c;
// @ts-ignore: decorator
@inline const END: i32 = -1;

class Parser {
  private readonly ptr: usize;
  private readonly len: i32;
  private pos: i32 = 0;
  // Decoded UTF-16 of the string being read; reused across strings, grown by doubling.
  private scratch: ArrayBuffer = new ArrayBuffer(128);
  private scratchLen: i32 = 0;
  private errorMessage: string | null = null;
  private errorOffset: i32 = 0;

  // `bytes` stays referenced by the caller for the whole parse, so `ptr` stays valid
  // (AssemblyScript's collector never moves objects).
  constructor(private readonly bytes: ArrayBuffer, private readonly maxDepth: i32) {
    this.ptr = changetype<usize>(bytes);
    this.len = bytes.byteLength;
  }

  parse(): JsonParseResult {
    const value = this.document();
    if (value !== null) return new JsonParseResult(value, null);
    const offset = this.errorOffset;
    let line = 1;
    let column = 1;
    // Columns count characters (UTF-8 lead bytes), not bytes. Errors lie at most at the end.
    for (let i = 0; i < offset; i++) {
      const b = this.byteAt(i);
      if (b == 0x0a) {
        line++;
        column = 1;
      } else if ((b & 0xc0) != 0x80) {
        column++;
      }
    }
    const message = this.errorMessage;
    return new JsonParseResult(
      null,
      new JsonError(message !== null ? message : "invalid JSON", offset, line, column),
    );
  }

  // The whole document, or null with the error recorded.
  private document(): JsonValue | null {
    // Open containers, innermost last; `pendingKeys` holds one key per open object.
    const open: JsonValue[] = [];
    const pendingKeys: string[] = [];
    while (true) {
      // Read one value; an opened non-empty container loops back here for its first member.
      this.skipSpace();
      const c = this.peek();
      let value: JsonValue | null = null;
      if (c == 0x7b || c == 0x5b) {
        if (open.length >= this.maxDepth) {
          this.fail("nesting deeper than " + this.maxDepth.toString() + " levels", this.pos);
          return null;
        }
        this.pos++;
        this.skipSpace();
        if (c == 0x7b) {
          const obj = new JsonObject();
          if (this.peek() == 0x7d) {
            this.pos++;
            value = obj;
          } else {
            open.push(obj);
            if (!this.memberKey(obj, pendingKeys)) return null;
            continue;
          }
        } else {
          const arr = new JsonArray();
          if (this.peek() == 0x5d) {
            this.pos++;
            value = arr;
          } else {
            open.push(arr);
            continue;
          }
        }
      } else {
        value = this.scalar(c);
        if (value === null) return null;
      }

      // Attach the value to its container; closing brackets complete containers in turn.
      while (true) {
        if (open.length == 0) {
          this.skipSpace();
          if (this.pos < this.len) {
            this.unexpected(this.pos);
            return null;
          }
          return value;
        }
        const top = unchecked(open[open.length - 1]);
        if (top.kind == JsonKind.Array) changetype<JsonArray>(top).items.push(value);
        else changetype<JsonObject>(top).set(pendingKeys.pop(), value);
        this.skipSpace();
        const next = this.peek();
        const closer = top.kind == JsonKind.Array ? 0x5d : 0x7d;
        if (next == 0x2c) {
          this.pos++;
          if (top.kind == JsonKind.Object) {
            this.skipSpace();
            if (!this.memberKey(changetype<JsonObject>(top), pendingKeys)) return null;
          }
          break;
        }
        if (next == closer) {
          this.pos++;
          value = open.pop();
          continue;
        }
        this.unexpected(this.pos);
        return null;
      }
    }
  }

  // Reads `"key" :` and pushes the key; false with the error recorded.
  private memberKey(obj: JsonObject, pendingKeys: string[]): bool {
    const start = this.pos;
    if (this.peek() != QUOTE) {
      this.unexpected(start);
      return false;
    }
    const key = this.string();
    if (key === null) return false;
    if (obj.has(key)) {
      this.fail("duplicate key " + describeJson(new JsonString(key)), start);
      return false;
    }
    this.skipSpace();
    if (this.peek() != 0x3a) {
      this.unexpected(this.pos);
      return false;
    }
    this.pos++;
    pendingKeys.push(key);
    return true;
  }

  private scalar(c: i32): JsonValue | null {
    if (c == QUOTE) {
      const text = this.string();
      return text !== null ? new JsonString(text) : null;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c == 0x74) return this.literal("true") ? new JsonBool(true) : null;
    if (c == 0x66) return this.literal("false") ? new JsonBool(false) : null;
    if (c == 0x6e) return this.literal("null") ? new JsonNull() : null;
    this.unexpected(this.pos);
    return null;
  }

  private literal(word: string): bool {
    for (let i = 0; i < word.length; i++) {
      if (this.peek() != word.charCodeAt(i)) {
        this.unexpected(this.pos);
        return false;
      }
      this.pos++;
    }
    return true;
  }

  private number(): JsonNumber | null {
    const start = this.pos;
    const negative = this.peek() == 0x2d;
    if (negative) this.pos++;
    const intStart = this.pos;
    let c = this.peek();
    if (c == 0x30) {
      this.pos++;
      if (isDigit(this.peek())) {
        this.fail("leading zero in number", intStart);
        return null;
      }
    } else if (c >= 0x31 && c <= 0x39) {
      while (isDigit(this.peek())) this.pos++;
    } else {
      this.unexpected(this.pos);
      return null;
    }
    const intEnd = this.pos;
    let fracStart = this.pos;
    let fracEnd = this.pos;
    if (this.peek() == 0x2e) {
      this.pos++;
      fracStart = this.pos;
      if (!isDigit(this.peek())) {
        this.unexpected(this.pos);
        return null;
      }
      while (isDigit(this.peek())) this.pos++;
      fracEnd = this.pos;
    }
    let exponent: i64 = 0;
    c = this.peek();
    if (c == 0x65 || c == 0x45) {
      this.pos++;
      c = this.peek();
      const negativeExponent = c == 0x2d;
      if (c == 0x2d || c == 0x2b) this.pos++;
      if (!isDigit(this.peek())) {
        this.unexpected(this.pos);
        return null;
      }
      while (isDigit((c = this.peek()))) {
        // Saturate: anything past a billion is out of range either way.
        if (exponent < 1000000000) exponent = exponent * 10 + <i64>(c - 0x30);
        this.pos++;
      }
      if (negativeExponent) exponent = -exponent;
    }
    const number = this.numberValue(negative, intStart, intEnd, fracStart, fracEnd, exponent);
    if (number === null) {
      const length = this.pos - start;
      const shown = this.rawText(start, min(length, 24)) + (length > 24 ? "..." : "");
      this.fail("number " + shown + " is out of range", start);
    }
    return number;
  }

  // The number of digits intStart..intEnd, then fracStart..fracEnd, times 10^exponent; null
  // when too large for f64. `integer` and the range are decided from the digits; the f64
  // itself is worked out from `text` only when read.
  private numberValue(
    negative: bool,
    intStart: i32,
    intEnd: i32,
    fracStart: i32,
    fracEnd: i32,
    exponent: i64,
  ): JsonNumber | null {
    let first = -1;
    let last = -1;
    for (let i = intStart; i < fracEnd; i++) {
      if (i == intEnd) i = fracStart;
      if (i >= fracEnd) break;
      if (this.byteAt(i) != 0x30) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) return JsonNumber.parsed(true, 0, negative ? "-0" : "0");
    // The number is (digits first..last) * 10^scale, with `count` digits.
    const lastPower = last < intEnd ? <i64>(intEnd - 1 - last) : <i64>(fracStart - 1 - last);
    const scale: i64 = lastPower + exponent;
    const count: i64 =
      first >= intEnd || last < intEnd ? <i64>(last - first + 1) : <i64>(last - first);

    // The power of the leading digit settles overflow before any arithmetic.
    const leading = count - 1 + scale;
    if (leading > 308 || (leading == 308 && !this.belowOverflow(first, last, intEnd, fracStart))) {
      return null;
    }
    if (scale >= 0 && count + scale <= 19) {
      const limit: u64 = negative ? 0x8000000000000000 : 0x7fffffffffffffff;
      let magnitude: u64 = 0;
      let fits = true;
      for (let i = first; i <= last && fits; i++) {
        if (i == intEnd) i = fracStart;
        const digit = <u64>(this.byteAt(i) - 0x30);
        fits = magnitude <= (limit - digit) / 10;
        magnitude = magnitude * 10 + digit;
      }
      for (let k: i64 = 0; k < scale && fits; k++) {
        fits = magnitude <= limit / 10;
        magnitude *= 10;
      }
      if (fits) {
        const integer = negative ? <i64>(0 - magnitude) : <i64>magnitude;
        return JsonNumber.parsed(true, integer, integer.toString());
      }
    }
    // The significant digits laid out as JavaScript prints a number with them.
    const digits =
      first < intEnd && last >= intEnd
        ? this.rawText(first, intEnd - first) + this.rawText(fracStart, last - fracStart + 1)
        : this.rawText(first, last - first + 1);
    const k = <i64>digits.length;
    const point = leading + 1; // digits before the decimal point
    let text: string;
    if (point >= k && point <= 21) text = digits + "0".repeat(<i32>(point - k));
    else if (point > 0 && point <= 21) {
      text = digits.substring(0, <i32>point) + "." + digits.substring(<i32>point);
    } else if (point > -6 && point <= 0) text = "0." + "0".repeat(<i32>-point) + digits;
    else {
      const mantissa = k > 1 ? digits.charAt(0) + "." + digits.substring(1) : digits;
      text = mantissa + (leading >= 0 ? "e+" : "e-") + (leading >= 0 ? leading : -leading).toString();
    }
    return JsonNumber.parsed(false, 0, negative ? "-" + text : text);
  }

  // Whether digits first..last, the first of them worth 10^308, lie below the midpoint between
  // f64's largest value and the next power of two (from there on they round to infinity).
  private belowOverflow(first: i32, last: i32, intEnd: i32, fracStart: i32): bool {
    const bound = F64_OVERFLOW_DIGITS;
    let at = 0;
    for (let i = first; i <= last; i++) {
      if (i == intEnd) i = fracStart;
      if (at >= bound.length) return false; // equal so far, and non-zero digits follow
      const digit = <i32>this.byteAt(i);
      const limit = bound.charCodeAt(at++);
      if (digit != limit) return digit < limit;
    }
    return at < bound.length; // a prefix of the bound, whose remaining digits are not all 0
  }

  // Reads a string literal at the opening quote; null with the error recorded.
  private string(): string | null {
    const open = this.pos;
    this.pos++;
    this.scratchLen = 0;
    while (true) {
      const at = this.pos;
      if (at >= this.len) {
        this.fail("unterminated string", open);
        return null;
      }
      const b = this.byteAt(at);
      if (b == QUOTE) {
        this.pos++;
        const units = changetype<usize>(this.scratch);
        return String.UTF16.decodeUnsafe(units, <usize>this.scratchLen << 1);
      }
      if (b == BACKSLASH) {
        if (!this.escape()) return null;
      } else if (b < 0x20) {
        this.fail("unescaped control character U+" + hex(b, 4, true) + " in string", at);
        return null;
      } else if (b < 0x80) {
        this.push(<u16>b);
        this.pos++;
      } else {
        const cp = this.decodeUtf8(at);
        if (cp < 0) {
          this.fail("invalid UTF-8 byte 0x" + hex(b, 2, true), at);
          return null;
        }
        this.pushCodePoint(<u32>cp);
      }
    }
  }

  private escape(): bool {
    const at = this.pos;
    if (at + 1 >= this.len) {
      this.fail("unterminated string", at);
      return false;
    }
    const e = this.byteAt(at + 1);
    let unit: i32 = -1;
    if (e == QUOTE || e == BACKSLASH || e == 0x2f) unit = e;
    else if (e == 0x62) unit = 0x08;
    else if (e == 0x66) unit = 0x0c;
    else if (e == 0x6e) unit = 0x0a;
    else if (e == 0x72) unit = 0x0d;
    else if (e == 0x74) unit = 0x09;
    if (unit >= 0) {
      this.push(<u16>unit);
      this.pos += 2;
      return true;
    }
    if (e != 0x75) {
      this.fail("invalid escape " + this.describeEscape(at), at);
      return false;
    }
    const high = this.hex4(at + 2);
    if (high < 0) {
      this.fail("invalid \\u escape", at);
      return false;
    }
    this.pos = at + 6;
    if ((high & 0xfc00) == 0xdc00) {
      this.fail("lone surrogate \\u" + this.rawText(at + 2, 4) + " in string", at);
      return false;
    }
    if ((high & 0xfc00) == 0xd800) {
      const low =
        this.byteAt(at + 6) == BACKSLASH && this.byteAt(at + 7) == 0x75 ? this.hex4(at + 8) : -1;
      if (low < 0 || (low & 0xfc00) != 0xdc00) {
        this.fail("lone surrogate \\u" + this.rawText(at + 2, 4) + " in string", at);
        return false;
      }
      this.push(<u16>high);
      this.push(<u16>low);
      this.pos = at + 12;
      return true;
    }
    this.push(<u16>high);
    return true;
  }

  // Four hex digits at `at` as a number, or -1.
  private hex4(at: i32): i32 {
    if (at + 4 > this.len) return -1;
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.byteAt(at + i);
      let digit = -1;
      if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) digit = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) digit = c - 0x41 + 10;
      if (digit < 0) return -1;
      value = (value << 4) | digit;
    }
    return value;
  }

  // Decodes one strict UTF-8 sequence at `at` and advances; -1 (not advancing) when invalid:
  // overlong forms, encoded surrogates, values past U+10FFFF, truncation.
  private decodeUtf8(at: i32): i32 {
    const b0 = this.byteAt(at);
    let need = 0;
    let cp = 0;
    let min = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    } else {
      return -1;
    }
    if (at + need >= this.len) return -1;
    for (let i = 1; i <= need; i++) {
      const b = this.byteAt(at + i);
      if ((b & 0xc0) != 0x80) return -1;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    this.pos = at + need + 1;
    return cp;
  }

  private push(unit: u16): void {
    const capacity = this.scratch.byteLength >> 1;
    if (this.scratchLen == capacity) {
      const grown = new ArrayBuffer(capacity << 2);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.scratch), <usize>capacity << 1);
      this.scratch = grown;
    }
    store<u16>(changetype<usize>(this.scratch) + (<usize>this.scratchLen << 1), unit);
    this.scratchLen++;
  }

  private pushCodePoint(cp: u32): void {
    if (cp < 0x10000) {
      this.push(<u16>cp);
    } else {
      const v = cp - 0x10000;
      this.push(<u16>(0xd800 | (v >> 10)));
      this.push(<u16>(0xdc00 | (v & 0x3ff)));
    }
  }

  private skipSpace(): void {
    while (this.pos < this.len) {
      const b = this.byteAt(this.pos);
      if (b != 0x20 && b != 0x0a && b != 0x0d && b != 0x09) return;
      this.pos++;
    }
  }

  // The byte at `pos`, or END.
  private peek(): i32 {
    return this.pos < this.len ? <i32>this.byteAt(this.pos) : END;
  }

  // Callers keep `at` below `len`; out of range reads as 0 rather than trapping.
  private byteAt(at: i32): u32 {
    if (at >= 0 && at < this.len) return <u32>load<u8>(this.ptr + <usize>at);
    return 0;
  }

  private rawText(at: i32, count: i32): string {
    const end = min(at + count, this.len);
    return decodeUtf8At(this.ptr + <usize>at, <usize>max(0, end - at));
  }

  private describeEscape(at: i32): string {
    const e = this.byteAt(at + 1);
    if (e > 0x20 && e < 0x7f) return "'\\" + String.fromCharCode(e) + "'";
    return "'\\' followed by " + this.describeCharacter(at + 1);
  }

  private describeCharacter(at: i32): string {
    const b = this.byteAt(at);
    if (b > 0x20 && b < 0x7f) return "'" + String.fromCharCode(b) + "'";
    if (b < 0x80) return "U+" + hex(b, 4, true);
    const saved = this.pos;
    const cp = this.decodeUtf8(at);
    this.pos = saved;
    if (cp < 0) return "byte 0x" + hex(b, 2, true);
    return "U+" + hex(<u32>cp, cp > 0xffff ? 6 : 4, true);
  }

  // Records "unexpected character ..." (or end of input) at `at`.
  private unexpected(at: i32): void {
    if (at >= this.len) {
      this.fail("unexpected end of input", this.len);
      return;
    }
    const b = this.byteAt(at);
    if (b >= 0x80) {
      const saved = this.pos;
      const cp = this.decodeUtf8(at);
      this.pos = saved;
      if (cp < 0) {
        this.fail("invalid UTF-8 byte 0x" + hex(b, 2, true), at);
        return;
      }
    }
    this.fail("unexpected character " + this.describeCharacter(at), at);
  }

  private fail(message: string, at: i32): void {
    if (this.errorMessage === null) {
      this.errorMessage = message;
      this.errorOffset = at;
    }
  }
}

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

// ---------------------------------------------------------------------------------------------
// Decimal to binary64, correctly rounded (round half to even).
//
// Not AssemblyScript's parseFloat: in 0.27 it is not correctly rounded past 17 digits, and for
// 16-19 digit mantissas with exponents 23..37 it drops powers of ten (1.4034970365003757e42
// reads as 1.4034970365003757e38). Here: Clinger's exact fast path, else an estimate within a
// few ulps, corrected by exact big-integer comparisons with the rounding midpoints.

// Enough digits to decide any rounding, given a sticky digit for the rest.
// @ts-ignore: decorator
@inline const MAX_DIGITS: i32 = 800;

// The exact value of (2^53 - 1) * 2^971 + 2^970, half way from f64's largest value to 2^1024:
// 309 digits, the first worth 10^308.
const F64_OVERFLOW_DIGITS =
  "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

// The nearest f64 to a number's `text` (`-?digits[.digits][e(+|-)digits]`).
function literalToF64(text: string): f64 {
  const n = text.length;
  const negative = text.charCodeAt(0) == 0x2d;
  // One more than the digits kept, for the sticky digit. Writes into `digits` (and the other
  // buffers this file sizes ahead: the writer's index stack, Big's limbs) are bounds-checked,
  // a compare each: a size off by one would otherwise write silently onto the next block of
  // the heap instead of failing a spec.
  const digits = new StaticArray<u8>(min(n, MAX_DIGITS) + 1);
  let kept = 0;
  let all: i64 = 0; // significant digits, kept or not
  let dropped = false; // a non-zero digit past MAX_DIGITS
  let fraction: i64 = 0; // digits after the point
  let afterPoint = false;
  let i = negative ? 1 : 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x2e) {
      afterPoint = true;
      continue;
    }
    if (!isDigit(c)) break;
    if (afterPoint) fraction++;
    const d = <u8>(c - 0x30);
    if (all == 0 && d == 0) continue;
    all++;
    if (kept < MAX_DIGITS) digits[kept++] = d;
    else if (d != 0) dropped = true;
  }
  if (all == 0) return negative ? -0.0 : 0.0;
  let exponent: i64 = 0;
  if (i < n) {
    const negativeExponent = text.charCodeAt(i + 1) == 0x2d; // -1 past the end
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (isDigit(c) && exponent < 1000000000) exponent = exponent * 10 + <i64>(c - 0x30);
    }
    if (negativeExponent) exponent = -exponent;
  }
  // The number is (the `all` significant digits) * 10^scale.
  const scale = exponent - fraction;
  if (all - 1 + scale < -324) return negative ? -0.0 : 0.0;
  let count = kept;
  let power = scale + (all - kept);
  if (dropped) {
    // Past MAX_DIGITS only "something non-zero follows" can change the rounding.
    digits[count++] = 1;
    power--;
  }
  const value = decimalToF64(digits, count, <i32>power);
  return negative ? -value : value;
}

// digits[0..count) (values 0-9, the first non-zero) times 10^power.
function decimalToF64(digits: StaticArray<u8>, count: i32, power: i32): f64 {
  if (count <= 15) {
    // Exact integer times an exact power of ten: a single rounding.
    let d: u64 = 0;
    for (let i = 0; i < count; i++) d = d * 10 + <u64>unchecked(digits[i]);
    const df = <f64>d;
    if (power == 0) return df;
    if (power > 0 && power <= 22) return df * exactPow10(power);
    if (power < 0 && power >= -22) return df / exactPow10(-power);
    if (power > 22 && count + power - 22 <= 15) {
      for (let k = 22; k < power; k++) d *= 10;
      return <f64>d * 1e22;
    }
  }
  let head: u64 = 0;
  const headCount = min(count, 19);
  for (let i = 0; i < headCount; i++) head = head * 10 + <u64>unchecked(digits[i]);
  let z = scaleByPow10(<f64>head, power + (count - headCount));
  if (z > f64.MAX_VALUE) z = f64.MAX_VALUE;
  const exact = Big.fromDigits(digits, count);
  // The estimate is a few ulps off at most; the bound only guards against a logic error.
  for (let step = 0; step < 200; step++) {
    const above = compareWithMidpointAbove(exact, power, z);
    if (above > 0 || (above == 0 && (mantissaOf(z) & 1) != 0)) {
      if (z == f64.MAX_VALUE) return Infinity;
      z = reinterpret<f64>(reinterpret<u64>(z) + 1);
      continue;
    }
    if (z > 0) {
      const below = reinterpret<f64>(reinterpret<u64>(z) - 1);
      const under = compareWithMidpointAbove(exact, power, below);
      if (under < 0 || (under == 0 && (mantissaOf(below) & 1) == 0)) {
        z = below;
        continue;
      }
    }
    return z;
  }
  return z;
}

function exactPow10(k: i32): f64 {
  let p = 1.0;
  for (let i = 0; i < k; i++) p *= 10; // exact up to 1e22
  return p;
}

// x * 10^e in floating point (a few ulps of error), in steps that avoid spurious overflow.
function scaleByPow10(x: f64, e: i32): f64 {
  while (e > 300) {
    x *= 1e300;
    e -= 300;
  }
  while (e < -300) {
    x /= 1e300;
    e += 300;
  }
  return e >= 0 ? x * Math.pow(10, e) : x / Math.pow(10, -e);
}

// The 53-bit significand of a non-negative finite f64.
function mantissaOf(z: f64): u64 {
  const bits = reinterpret<u64>(z);
  const fraction = bits & 0xfffffffffffff;
  return (bits >> 52) & 0x7ff ? fraction | 0x10000000000000 : fraction;
}

// Sign of exact * 10^power - (the midpoint between z and the next f64 up).
function compareWithMidpointAbove(exact: Big, power: i32, z: f64): i32 {
  const biased = <i32>((reinterpret<u64>(z) >> 52) & 0x7ff);
  // z = m * 2^e2, so the midpoint is (2m + 1) * 2^(e2 - 1).
  const e2 = biased ? biased - 1075 : -1074;
  const left = exact.copy();
  const right = Big.fromU64(2 * mantissaOf(z) + 1);
  if (power >= 0) left.mulPow10(power);
  else right.mulPow10(-power);
  const shift = e2 - 1;
  if (shift >= 0) right.shiftLeft(shift);
  else left.shiftLeft(-shift);
  return Big.compare(left, right);
}

// Just enough of an unsigned big integer for the comparisons above: little-endian u32 limbs,
// no leading zero limb.
class Big {
  limbs: u32[] = [];

  static fromU64(value: u64): Big {
    const big = new Big();
    if (value != 0) big.limbs.push(<u32>value);
    if (value >> 32 != 0) big.limbs.push(<u32>(value >> 32));
    return big;
  }

  static fromDigits(digits: StaticArray<u8>, count: i32): Big {
    const big = new Big();
    let chunk: u32 = 0;
    let chunkDigits = 0;
    for (let i = 0; i < count; i++) {
      chunk = chunk * 10 + <u32>unchecked(digits[i]);
      if (++chunkDigits == 9) {
        big.mulAdd(1000000000, chunk);
        chunk = 0;
        chunkDigits = 0;
      }
    }
    if (chunkDigits > 0) big.mulAdd(<u32>smallPow10(chunkDigits), chunk);
    return big;
  }

  copy(): Big {
    const big = new Big();
    big.limbs = this.limbs.slice(0);
    return big;
  }

  // this = this * factor + addend
  mulAdd(factor: u32, addend: u32): void {
    const limbs = this.limbs;
    let carry = <u64>addend;
    for (let i = 0; i < limbs.length; i++) {
      const t = <u64>unchecked(limbs[i]) * factor + carry;
      limbs[i] = <u32>t;
      carry = t >> 32;
    }
    if (carry != 0) limbs.push(<u32>carry);
  }

  mulPow10(e: i32): void {
    for (; e >= 9; e -= 9) this.mulAdd(1000000000, 0);
    if (e > 0) this.mulAdd(<u32>smallPow10(e), 0);
  }

  shiftLeft(bits: i32): void {
    const limbs = this.limbs;
    if (limbs.length == 0 || bits == 0) return;
    const words = bits >> 5;
    const rest = bits & 31;
    const out = new Array<u32>(limbs.length + words + 1);
    for (let i = 0; i < limbs.length; i++) {
      const v = <u64>unchecked(limbs[i]) << rest;
      out[i + words] = out[i + words] | <u32>v;
      out[i + words + 1] = <u32>(v >> 32);
    }
    if (unchecked(out[out.length - 1]) == 0) out.pop();
    this.limbs = out;
  }

  static compare(a: Big, b: Big): i32 {
    const x = a.limbs;
    const y = b.limbs;
    if (x.length != y.length) return x.length < y.length ? -1 : 1;
    for (let i = x.length - 1; i >= 0; i--) {
      const p = unchecked(x[i]);
      const q = unchecked(y[i]);
      if (p != q) return p < q ? -1 : 1;
    }
    return 0;
  }
}

function smallPow10(k: i32): u64 {
  let p: u64 = 1;
  for (let i = 0; i < k; i++) p *= 10;
  return p;
}
