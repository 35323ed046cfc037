// Typed, non-trapping reads of a JSON plugin configuration.
//
// A filter reads its whole configuration once, in the root's `onConfigure`, through a
// `ConfigReader`. Every read returns a usable value (the default, or an empty one) and records
// a problem instead of trapping, so one pass finds every mistake; afterwards `ok` says whether
// to start and `firstError` is the one line to log. All messages share one style:
//
//   invalid configuration: field "headers[2].name": expected a string, got 42
//   invalid configuration: field "port": 99999 is out of range 1..65535
//   invalid configuration: unexpected character '}' at line 3, column 5
//
// Pure module: no host imports, so it compiles and tests anywhere, and every function here is
// legal in any callback.

import {
  describeJson,
  formatJsonNumber,
  JsonObject,
  JsonParseResult,
  JsonValue,
  parseJson,
  quoteJsonString,
} from "./json";
import { Protected, headerNameProblem, headerValueProblem } from "./internal/headercheck";

/** The prefix of every configuration error. */
// @ts-ignore: decorator
@inline export const CONFIG_ERROR_PREFIX = "invalid configuration: ";

// Keys longer than this are cut in messages; hostile configurations can hold huge keys.
// @ts-ignore: decorator
@inline const KEY_ECHO_LIMIT: i32 = 60;

/**
 * Reads the plugin configuration bytes: empty (or whitespace-only) means `{}`, so a filter whose
 * fields all have defaults starts without any configuration. A parse error or a non-object
 * document is recorded as the reader's first error. Legal in any callback (pure); meant for
 * the root's `onConfigure`. Example: `const cfg = readConfig(configurationBytes)`.
 */
export function readConfig(bytes: ArrayBuffer): ConfigReader {
  const ptr = changetype<usize>(bytes);
  const n = bytes.byteLength;
  let blank = true;
  for (let i = 0; i < n && blank; i++) {
    const b = load<u8>(ptr + <usize>i);
    blank = b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09;
  }
  if (blank) return new ConfigReader(new JsonObject());
  return ConfigReader.fromParseResult(parseJson(bytes));
}

/** Problems found so far; shared by a reader and every reader derived from it. */
class ConfigErrors {
  messages: string[] = [];
  // The same broken parent reached through several paths is reported once.
  seen: Set<string> = new Set();
}

/** The JSON types the typed getters read (numbers have their own range checks). */
const enum Kind {
  String,
  Array,
  Object,
  Bool,
}

const KIND_NAMES: string[] = ["a string", "an array", "an object", "true or false"];

/** Where a path led: the value (null when absent), its display path, and whether it broke. */
class Found {
  constructor(
    public value: JsonValue | null,
    public path: string,
    public broken: bool,
  ) {}
}

/**
 * Typed reads of one configuration object; nested readers (`object`, `array`) share the root's
 * error list. A `path` is a key, or keys joined by `.` with `[n]` for array elements
 * (`"upstream.hosts[0]"`). Getters whose default is a reference (`string`, `oneOf`,
 * `stringArray`) treat a null default as "required". A JSON `null` counts as absent when there
 * is a default. Example:
 * `const port = <u16>cfg.integer("port", 8080, 1, 65535); if (!cfg.ok) log(cfg.firstError)`.
 */
export class ConfigReader {
  private readonly errors: ConfigErrors;

  /** A reader over `json`; `path` prefixes every field it reports. */
  constructor(
    public readonly json: JsonObject,
    public readonly path: string = "",
    errors: ConfigErrors | null = null,
  ) {
    this.errors = errors !== null ? errors : new ConfigErrors();
  }

  /** A reader over a parse result: its error, or a non-object root, becomes the first error. */
  static fromParseResult(result: JsonParseResult): ConfigReader {
    const error = result.error;
    if (error !== null) {
      const reader = new ConfigReader(new JsonObject());
      reader.record(CONFIG_ERROR_PREFIX + error.toString());
      return reader;
    }
    const value = result.value!;
    const obj = value.asObject();
    if (obj !== null) return new ConfigReader(obj);
    const reader = new ConfigReader(new JsonObject());
    reader.record(CONFIG_ERROR_PREFIX + "expected a JSON object, got " + describeJson(value));
    return reader;
  }

  /** True while no problem has been recorded (here or in any related reader). */
  get ok(): bool {
    return this.errors.messages.length == 0;
  }

  /** The first problem, ready to log; "" when `ok`. */
  get firstError(): string {
    const messages = this.errors.messages;
    return messages.length > 0 ? unchecked(messages[0]) : "";
  }

  /** Every problem in the order found. */
  get allErrors(): string[] {
    return this.errors.messages.slice(0);
  }

  /** Member names of this object, in document order. */
  get keys(): string[] {
    return this.json.keys.slice(0);
  }

  /** Whether `path` is present (a JSON `null` counts as present). */
  has(path: string): bool {
    const found = this.find(path, false);
    return found.value !== null;
  }

  /** The raw value at `path`, or null when absent; for types the reader does not cover. */
  raw(path: string): JsonValue | null {
    return this.find(path, true).value;
  }

  /**
   * Records a problem with the field at `path` (relative to this reader), in the common style;
   * for checks the typed getters cannot make. Example:
   * `cfg.fail("prefix", "must start with /, got " + describeJson(cfg.raw("prefix")!))`.
   */
  fail(path: string, problem: string): void {
    this.fieldError(this.displayPath(path), problem);
  }

  /** The string at `path`; `def` null makes it required. Example: `cfg.string("cluster")`. */
  string(path: string, def: string | null = null): string {
    const value = this.typed(this.find(path, true), def === null, Kind.String);
    return value !== null ? value.asString()!.value : def !== null ? def : "";
  }

  /** The string at `path`, or null when absent or `null`. */
  optionalString(path: string): string | null {
    const value = this.typed(this.find(path, true), false, Kind.String);
    return value !== null ? value.asString()!.value : null;
  }

  /**
   * A header name at `path`, lower-cased, checked as the SDK's header setters check it: a
   * token, no CR, LF or NUL, and (unless `allow` is Protected.Allow) not a pseudo-header,
   * content-length, transfer-encoding or host; `def` null makes it required. So a filter
   * refuses at start a name it would have to refuse on every request.
   * Example: `this.header = cfg.headerName("header", "x-hello")`.
   */
  headerName(path: string, def: string | null = null, allow: Protected = Protected.Refuse): string {
    const before = this.errors.messages.length;
    const name = this.string(path, def);
    if (this.errors.messages.length > before) return name;
    const problem = headerNameProblem(name, allow);
    if (problem !== null) {
      this.fieldError(this.displayPath(path), quoteJsonString(name) + " " + problem);
      return def !== null ? asciiLower(def) : "";
    }
    return asciiLower(name);
  }

  /** A header value at `path`, refused when it holds CR, LF or NUL; `def` null makes it
   *  required. Example: `this.value = cfg.headerValue("value", "world")`. */
  headerValue(path: string, def: string | null = null): string {
    const before = this.errors.messages.length;
    const value = this.string(path, def);
    if (this.errors.messages.length > before) return value;
    const problem = headerValueProblem(value);
    if (problem !== null) {
      this.fieldError(this.displayPath(path), quoteJsonString(value) + " " + problem);
      return def !== null ? def : "";
    }
    return value;
  }

  /**
   * The string at `path`, which must be one of `allowed` (case-sensitive); `def` null makes it
   * required. Example: `cfg.oneOf("mode", ["allow", "deny"], "deny")`.
   */
  oneOf(path: string, allowed: string[], def: string | null = null): string {
    const fallback = def !== null ? def : "";
    const found = this.find(path, true);
    const value = this.typed(found, def === null, Kind.String);
    if (value === null) return fallback;
    const text = value.asString()!.value;
    if (!allowed.includes(text)) {
      this.fieldError(found.path, describeJson(value) + " is not one of " + allowed.join(", "));
      return fallback;
    }
    return text;
  }

  /**
   * The whole number at `path` within `min..max`, or `def` when absent.
   * Example: `cfg.integer("timeout_ms", 5000, 1, 60000)`.
   */
  integer(path: string, def: i64, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    return this.readInteger(path, false, def, min, max);
  }

  /** Like `integer`, but absence is an error (a missing or refused integer reads as 0). */
  requiredInteger(path: string, min: i64 = i64.MIN_VALUE, max: i64 = i64.MAX_VALUE): i64 {
    return this.readInteger(path, true, 0, min, max);
  }

  /** The number at `path` within `min..max`, or `def` when absent. */
  number(path: string, def: f64, min: f64 = -Infinity, max: f64 = Infinity): f64 {
    return this.readNumber(path, false, def, min, max);
  }

  /** Like `number`, but absence is an error (a missing or refused number reads as 0). */
  requiredNumber(path: string, min: f64 = -Infinity, max: f64 = Infinity): f64 {
    return this.readNumber(path, true, 0, min, max);
  }

  /** The boolean at `path`, or `def` when absent. Example: `cfg.bool("dry_run", false)`. */
  bool(path: string, def: bool): bool {
    return this.readBool(path, false, def);
  }

  /** Like `bool`, but absence is an error (a missing or refused boolean reads as false). */
  requiredBool(path: string): bool {
    return this.readBool(path, true, false);
  }

  /**
   * The array of strings at `path`; `def` null makes it required. Bad elements are reported
   * by index and skipped. Example: `cfg.stringArray("methods", ["GET"])`.
   */
  stringArray(path: string, def: string[] | null = null): string[] {
    const found = this.find(path, true);
    const value = this.typed(found, def === null, Kind.Array);
    if (value === null) return def !== null ? def.slice(0) : [];
    const out: string[] = [];
    const items = value.asArray()!.items;
    for (let i = 0; i < items.length; i++) {
      const item = unchecked(items[i]);
      const text = item.asString();
      if (text !== null) out.push(text.value);
      else this.expected(indexPath(found.path, i), "a string", item);
    }
    return out;
  }

  /**
   * The object of string values at `path`, in document order; empty when absent unless
   * `required`. Example: `cfg.stringMap("add_headers")`.
   */
  stringMap(path: string, required: bool = false): Map<string, string> {
    const out = new Map<string, string>();
    const found = this.find(path, true);
    const value = this.typed(found, required, Kind.Object);
    if (value === null) return out;
    const obj = value.asObject()!;
    const keys = obj.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = unchecked(keys[i]);
      const member = obj.get(key)!;
      const text = member.asString();
      if (text !== null) out.set(key, text.value);
      else this.expected(keyPath(found.path, key), "a string", member);
    }
    return out;
  }

  /**
   * A reader over the object at `path`. When absent it reads an empty object (so its getters
   * return their defaults), and reports the absence only if `required`.
   * Example: `const upstream = cfg.object("upstream")`.
   */
  object(path: string, required: bool = false): ConfigReader {
    const found = this.find(path, true);
    const value = this.typed(found, required, Kind.Object);
    const obj = value !== null ? value.asObject()! : new JsonObject();
    return new ConfigReader(obj, found.path, this.errors);
  }

  /**
   * Readers over the objects in the array at `path` (paths like `headers[2]`); empty when
   * absent unless `required`. A non-object element is reported and read as `{}`, so indexes
   * stay aligned. Example: `for (...) rules[i].string("name")`.
   */
  array(path: string, required: bool = false): ConfigReader[] {
    const out: ConfigReader[] = [];
    const found = this.find(path, true);
    const value = this.typed(found, required, Kind.Array);
    if (value === null) return out;
    const items = value.asArray()!.items;
    for (let i = 0; i < items.length; i++) {
      const item = unchecked(items[i]);
      const itemPath = indexPath(found.path, i);
      const obj = item.asObject();
      if (obj === null) this.expected(itemPath, "an object", item);
      out.push(new ConfigReader(obj !== null ? obj : new JsonObject(), itemPath, this.errors));
    }
    return out;
  }

  /**
   * Reports every member of this object not in `allowed` (typos such as `"colour"`), with a
   * suggestion when one allowed name is close. Call after reading. Example:
   * `cfg.unknownKeys(["port", "headers"])`.
   */
  unknownKeys(allowed: string[]): void {
    const keys = this.json.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = unchecked(keys[i]);
      if (allowed.includes(key)) continue;
      let problem = "unknown field";
      const guess = closest(key, allowed);
      if (guess !== null) problem += " (did you mean " + quoteJsonString(guess) + "?)";
      this.fieldError(keyPath(this.path, key), problem);
    }
  }

  // -------------------------------------------------------------------------------------------

  private readInteger(path: string, required: bool, def: i64, min: i64, max: i64): i64 {
    const found = this.find(path, true);
    const value = this.present(found, required);
    if (value === null) return def;
    const n = value.asNumber();
    if (n === null) {
      this.expected(found.path, "an integer", value);
      return def;
    }
    if (!n.isInteger) {
      // Whole but beyond i64 is a range problem; a fraction is a type problem.
      if (n.isWhole) this.outOfRange(found.path, value, rangeOf(min, max));
      else this.expected(found.path, "an integer", value);
      return def;
    }
    if (n.integer < min || n.integer > max) {
      this.outOfRange(found.path, value, rangeOf(min, max));
      return def;
    }
    return n.integer;
  }

  private readNumber(path: string, required: bool, def: f64, min: f64, max: f64): f64 {
    const found = this.find(path, true);
    const value = this.present(found, required);
    if (value === null) return def;
    const n = value.asNumber();
    if (n === null) {
      this.expected(found.path, "a number", value);
      return def;
    }
    if (n.value < min || n.value > max) {
      this.outOfRange(found.path, value, rangeOfF64(min, max));
      return def;
    }
    return n.value;
  }

  private readBool(path: string, required: bool, def: bool): bool {
    const value = this.typed(this.find(path, true), required, Kind.Bool);
    return value !== null ? value.asBool()!.value : def;
  }

  // The value to type-check, or null when the caller should use its default: the path broke,
  // the field is absent (an error if required), or it is `null` and a default exists.
  private present(found: Found, required: bool): JsonValue | null {
    if (found.broken) return null;
    const value = found.value;
    if (value === null) {
      if (required) this.fieldError(found.path, "required field missing");
      return null;
    }
    if (value.isNull && !required) return null;
    return value;
  }

  // The value present at `found` if it is of `kind`; null when the caller should use its
  // default (see `present`) or when it is of another type, which is reported.
  private typed(found: Found, required: bool, kind: Kind): JsonValue | null {
    const value = this.present(found, required);
    if (value === null) return null;
    let matches: bool;
    if (kind == Kind.String) matches = value.asString() !== null;
    else if (kind == Kind.Array) matches = value.asArray() !== null;
    else if (kind == Kind.Object) matches = value.asObject() !== null;
    else matches = value.asBool() !== null;
    if (matches) return value;
    this.expected(found.path, KIND_NAMES[kind], value);
    return null;
  }

  private expected(path: string, what: string, got: JsonValue): void {
    this.fieldError(path, "expected " + what + ", got " + describeJson(got));
  }

  private outOfRange(path: string, got: JsonValue, range: string): void {
    this.fieldError(path, describeJson(got) + range);
  }

  private fieldError(path: string, problem: string): void {
    if (path.length == 0) this.record(CONFIG_ERROR_PREFIX + problem);
    else this.record(CONFIG_ERROR_PREFIX + "field " + quoteJsonString(path) + ": " + problem);
  }

  private record(message: string): void {
    const errors = this.errors;
    if (errors.seen.has(message)) return;
    errors.seen.add(message);
    errors.messages.push(message);
  }

  // Walks `path` from this object. Intermediate values of the wrong type are reported (when
  // `report`) and mark the result broken; absence anywhere gives a null value.
  private find(path: string, report: bool): Found {
    const names: string[] = [];
    const indexes: i32[] = [];
    if (!splitPath(path, names, indexes)) {
      const shown = joinRaw(this.path, path);
      if (report) this.fieldError(shown, "invalid field path");
      return new Found(null, shown, true);
    }
    let current: JsonValue = this.json;
    let display = this.path;
    for (let i = 0; i < names.length; i++) {
      const index = unchecked(indexes[i]);
      const name = unchecked(names[i]);
      let next: JsonValue | null = null;
      if (index < 0) {
        const obj = current.asObject();
        if (obj === null) {
          if (report) this.expected(display, "an object", current);
          return new Found(null, display, true);
        }
        display = keyPath(display, name);
        next = obj.get(name);
      } else {
        const arr = current.asArray();
        if (arr === null) {
          if (report) this.expected(display, "an array", current);
          return new Found(null, display, true);
        }
        display = indexPath(display, index);
        next = arr.at(index);
      }
      if (next === null) {
        // Absent: finish the display path so "required field missing" names the whole path.
        return new Found(null, extendPath(display, names, indexes, i + 1), false);
      }
      current = next;
    }
    return new Found(current, display, false);
  }

  private displayPath(path: string): string {
    const names: string[] = [];
    const indexes: i32[] = [];
    if (!splitPath(path, names, indexes)) return joinRaw(this.path, path);
    return extendPath(this.path, names, indexes, 0);
  }
}

// Splits `a.b[2].c` into segments: a key (index -1) or an array index (name ""). False when
// malformed (empty key, bad index).
function splitPath(path: string, names: string[], indexes: i32[]): bool {
  const n = path.length;
  if (n == 0) return false;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n) {
      const c = path.charCodeAt(j);
      if (c == 0x2e || c == 0x5b) break;
      j++;
    }
    if (j == i) return false;
    names.push(path.substring(i, j));
    indexes.push(-1);
    i = j;
    while (i < n && path.charCodeAt(i) == 0x5b) {
      let value: i64 = 0;
      let k = i + 1;
      while (k < n && path.charCodeAt(k) >= 0x30 && path.charCodeAt(k) <= 0x39) {
        value = value * 10 + <i64>(path.charCodeAt(k) - 0x30);
        if (value > i32.MAX_VALUE) return false;
        k++;
      }
      if (k == i + 1 || k >= n || path.charCodeAt(k) != 0x5d) return false;
      names.push("");
      indexes.push(<i32>value);
      i = k + 1;
    }
    if (i < n) {
      if (path.charCodeAt(i) != 0x2e) return false;
      i++;
      if (i == n) return false;
    }
  }
  return true;
}

// `display` followed by the path segments from `from` on.
function extendPath(display: string, names: string[], indexes: i32[], from: i32): string {
  for (let i = from; i < names.length; i++) {
    const index = unchecked(indexes[i]);
    display = index < 0 ? keyPath(display, unchecked(names[i])) : indexPath(display, index);
  }
  return display;
}

// A malformed path argument, shown as written.
function joinRaw(parent: string, path: string): string {
  if (path.length == 0) return parent; // the reader's own value
  return parent.length > 0 ? parent + "." + path : path;
}

// `parent.key`, or `parent["odd key"]` for keys that would not read back as a path.
function keyPath(parent: string, key: string): string {
  let plain = key.length > 0 && key.length <= KEY_ECHO_LIMIT;
  for (let i = 0; i < key.length && plain; i++) {
    const c = key.charCodeAt(i);
    plain =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x39) ||
      c == 0x5f ||
      c == 0x2d;
  }
  if (plain) return parent.length > 0 ? parent + "." + key : key;
  const shown = key.length > KEY_ECHO_LIMIT ? key.substring(0, KEY_ECHO_LIMIT) + "..." : key;
  return parent + "[" + quoteJsonString(shown) + "]";
}

// Header names are ASCII tokens, so ASCII case folding is the whole of it (and needs none of
// the Unicode case tables that String#toLowerCase brings).
/** `text` with A-Z lowered and every other character left as it is (`text` itself when it
 *  has no capital). Legal anywhere. Example: `asciiLower("X-Ünï")` is `"x-Ünï"`. */
export function asciiLower(text: string): string {
  const n = text.length;
  let i = 0;
  while (i < n && !isAsciiUpper(text.charCodeAt(i))) i++;
  if (i == n) return text;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  const from = changetype<usize>(text);
  const to = changetype<usize>(out);
  for (let j = 0; j < n; j++) {
    const c = load<u16>(from + (<usize>j << 1));
    store<u16>(to + (<usize>j << 1), isAsciiUpper(c) ? c | 0x20 : c);
  }
  return out;
}

// @ts-ignore: decorator
@inline function isAsciiUpper(c: u32): bool {
  return c - 0x41 < 26;
}

function indexPath(parent: string, index: i32): string {
  return parent + "[" + index.toString() + "]";
}

function rangeOf(min: i64, max: i64): string {
  const hasMin = min != i64.MIN_VALUE;
  const hasMax = max != i64.MAX_VALUE;
  if (hasMin && hasMax) return " is out of range " + min.toString() + ".." + max.toString();
  if (hasMin) return " is below the minimum " + min.toString();
  return " is above the maximum " + max.toString();
}

function rangeOfF64(min: f64, max: f64): string {
  const hasMin = min != -Infinity;
  const hasMax = max != Infinity;
  const low = formatJsonNumber(min);
  const high = formatJsonNumber(max);
  if (hasMin && hasMax) return " is out of range " + low + ".." + high;
  if (hasMin) return " is below the minimum " + low;
  return " is above the maximum " + high;
}

// The allowed name within edit distance 2 of `key` (and closer than its own length), if any.
function closest(key: string, allowed: string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (let i = 0; i < allowed.length; i++) {
    const candidate = unchecked(allowed[i]);
    // Lengths further apart than the best distance cannot do better: skip the quadratic work.
    if (abs(candidate.length - key.length) >= bestDistance) continue;
    const distance = editDistance(key, candidate, bestDistance);
    if (distance < bestDistance && distance < candidate.length) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

// Levenshtein distance, stopping at `cap` (returns `cap` when the distance is at least that).
function editDistance(a: string, b: string, cap: i32): i32 {
  const m = b.length;
  let previous = new StaticArray<i32>(m + 1);
  let row = new StaticArray<i32>(m + 1);
  for (let j = 0; j <= m; j++) unchecked((previous[j] = j));
  for (let i = 1; i <= a.length; i++) {
    unchecked((row[0] = i));
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const substitution = unchecked(previous[j - 1]) + (ca == b.charCodeAt(j - 1) ? 0 : 1);
      const deletion = unchecked(previous[j]) + 1;
      const insertion = unchecked(row[j - 1]) + 1;
      const best = min(substitution, min(deletion, insertion));
      unchecked((row[j] = best));
      if (best < rowMin) rowMin = best;
    }
    if (rowMin >= cap) return cap;
    const swap = previous;
    previous = row;
    row = swap;
  }
  return min(unchecked(previous[m]), cap);
}
