// String matchers for header, query, cookie and path values: exact, prefix, suffix,
// contains, regex, present, absent, integer range and path-segment prefix, with ignore_case and invert; read from
// configuration with errors that name the field path.
//
// Everything is prepared at configure time (lower-cased targets, both encodings, a KMP table
// for `contains`, the compiled regex); `matches` and `matchesBytes` allocate nothing and run
// in time linear in the value for every kind.
//
// Pure apart from reading configuration through the SDK's public `assembly/config`.
//
//   // config: {"headers": [{"name": "x-user", "prefix": "beta-", "ignore_case": true}]}
//   const m = readStringMatcher(cfg, "headers[0]", ["name"]);  // onConfigure; errors on cfg
//   m!.matches(headers.get("x-user"));                         // per request (null = absent)

import { asciiLower, ConfigReader } from "../../assembly/config";
import { quoteJsonString } from "../../assembly/json";
import { Regex } from "./regex";

/** What a matcher tests. */
export enum MatchKind {
  Exact = 0,
  Prefix = 1,
  Suffix = 2,
  Contains = 3,
  Regex = 4,
  Present = 5,
  Absent = 6,
  Range = 7,
  /** A path-segment prefix: the value equals the target, or continues it with `/`
   *  (Envoy's `path_separated_prefix`: `/api` matches `/api` and `/api/x`, not `/apix`). */
  SegmentPrefix = 8,
}

/** The configuration keys `readStringMatcher` reads. */
export const MATCHER_KEYS: string[] = [
  "exact",
  "prefix",
  "suffix",
  "contains",
  "regex",
  "present",
  "absent",
  "range",
  "segment_prefix",
  "ignore_case",
  "invert",
  "treat_missing_as_empty",
];

const KIND_KEYS: string[] = [
  "exact",
  "prefix",
  "suffix",
  "contains",
  "regex",
  "present",
  "absent",
  "range",
  "segment_prefix",
];

/**
 * One compiled matcher; immutable. A missing value (null) matches only `absent` (or, with
 * `treatMissingAsEmpty`, is matched as ""); `invert` then negates whatever the result was.
 * `ignoreCase` folds ASCII letters for exact/prefix/suffix/contains and applies the regex
 * engine's case folding to `regex`.
 */
export class StringMatcher {
  private target16: string = "";
  private target8: ArrayBuffer = new ArrayBuffer(0);
  private kmp16: StaticArray<i32> = new StaticArray<i32>(0);
  private kmp8: StaticArray<i32> = new StaticArray<i32>(0);
  private regex: Regex | null = null;

  /** `StringMatcher.create` and `readStringMatcher` make them (and prepare the targets). */
  private constructor(
    public readonly kind: MatchKind,
    public readonly value: string,
    public readonly ignoreCase: bool,
    public readonly invert: bool,
    public readonly treatMissingAsEmpty: bool,
    /** Range: first accepted integer. */
    public readonly rangeStart: i64,
    /** Range: first integer past the end (exclusive, as Envoy's range_match). */
    public readonly rangeEnd: i64,
  ) {}

  /**
   * A matcher of `kind` for `value`; the error string is "" or the regex's refusal
   * ("at position 3: ..."). Example: `StringMatcher.create(MatchKind.Prefix, "/api/")`.
   */
  static create(
    kind: MatchKind,
    value: string,
    ignoreCase: bool = false,
    invert: bool = false,
    treatMissingAsEmpty: bool = false,
    rangeStart: i64 = 0,
    rangeEnd: i64 = 0,
  ): StringMatcherResult {
    const m = new StringMatcher(kind, value, ignoreCase, invert, treatMissingAsEmpty, rangeStart, rangeEnd);
    if (kind == MatchKind.Regex) {
      const compiled = Regex.compile(value, ignoreCase);
      if (compiled.error !== null) return new StringMatcherResult(null, compiled.error!.toString());
      m.regex = compiled.regex;
    } else {
      // ASCII only on both sides, as Envoy's ignore_case: "CAFÉ" is "cafÉ", which "CAFÉ"
      // matches and "café" does not.
      const target = ignoreCase ? asciiLower(value) : value;
      m.target16 = target;
      m.target8 = String.UTF8.encode(target);
      if (kind == MatchKind.Contains) {
        m.kmp16 = failureTable(changetype<usize>(target), target.length, true);
        m.kmp8 = failureTable(changetype<usize>(m.target8), m.target8.byteLength, false);
      }
    }
    return new StringMatcherResult(m, "");
  }

  /** Whether `value` (null: absent) matches. Legal in any callback. */
  matches(value: string | null): bool {
    if (value === null) return this.missing();
    return this.matchUnits(changetype<usize>(value), value.length, true) != this.invert;
  }

  /** `matches` over UTF-8 bytes (as `getBytes` returns them). */
  matchesBytes(value: ArrayBuffer | null): bool {
    if (value === null) return this.missing();
    return this.matchUnits(changetype<usize>(value), value.byteLength, false) != this.invert;
  }

  /** `matchesBytes` over `len` UTF-8 bytes at `ptr` (a value read in place; never absent). */
  matchesAt(ptr: usize, len: i32): bool {
    return this.matchUnits(ptr, len, false) != this.invert;
  }

  /** Whether `len` UTF-8 bytes at `ptr` match, before `invert` is applied: for callers that
   *  combine several values (any / all of them) and invert the combined result. */
  testAt(ptr: usize, len: i32): bool {
    return this.matchUnits(ptr, len, false);
  }

  private missing(): bool {
    if (this.kind == MatchKind.Absent) return !this.invert;
    if (!this.treatMissingAsEmpty || this.kind == MatchKind.Present) return this.invert;
    return this.matchUnits(0, 0, false) != this.invert;
  }

  private matchUnits(ptr: usize, len: i32, utf16: bool): bool {
    const kind = this.kind;
    if (kind == MatchKind.Present) return true;
    if (kind == MatchKind.Absent) return false;
    if (kind == MatchKind.Range) return inRange(ptr, len, utf16, this.rangeStart, this.rangeEnd);
    if (kind == MatchKind.Regex) {
      const re = this.regex!;
      return utf16 ? re.fullMatch(changetype<string>(ptr)) : re.fullMatchRaw(ptr, len);
    }
    const t = utf16 ? changetype<usize>(this.target16) : changetype<usize>(this.target8);
    const n = utf16 ? this.target16.length : this.target8.byteLength;
    const fold = this.ignoreCase;
    if (kind == MatchKind.Exact) return len == n && equalAt(ptr, 0, t, n, utf16, fold);
    if (kind == MatchKind.Prefix) return len >= n && equalAt(ptr, 0, t, n, utf16, fold);
    if (kind == MatchKind.Suffix) return len >= n && equalAt(ptr, len - n, t, n, utf16, fold);
    if (kind == MatchKind.SegmentPrefix) {
      if (len < n || !equalAt(ptr, 0, t, n, utf16, fold)) return false;
      return len == n || unit(ptr, n, utf16) == 0x2f;
    }
    const table = utf16 ? this.kmp16 : this.kmp8;
    return containsKmp(ptr, len, t, n, table, utf16, fold);
  }
}

/** A matcher, or why its pattern was refused. */
export class StringMatcherResult {
  constructor(
    public readonly matcher: StringMatcher | null,
    public readonly error: string,
  ) {}
}

/**
 * Reads the matcher object at `key` of `parent` (a key, or a path such as `headers[0]`):
 * exactly one of `exact`, `prefix`, `suffix`, `contains`, `regex` (strings), `present`,
 * `absent` (booleans), `range` ({"start", "end"}: integers, end exclusive); optional
 * `ignore_case`, `invert`, `treat_missing_as_empty`. Problems are recorded on `parent` with
 * the full field path and null is returned, e.g.
 * `invalid configuration: field "rules[2].match.regex": at position 1: lookahead (?= is not supported`.
 * Keys other than these and `otherKeys` are reported as unknown, unless `otherKeys` is null
 * (then the caller checks them). Meant for onConfigure. Example:
 * `const m = readStringMatcher(rule, "match")`.
 */
export function readStringMatcher(
  parent: ConfigReader,
  key: string,
  otherKeys: string[] | null = [],
): StringMatcher | null {
  const before = parent.allErrors.length;
  const cfg = parent.object(key, true);
  if (parent.allErrors.length > before) return null; // missing, or not an object
  if (otherKeys !== null) cfg.unknownKeys(MATCHER_KEYS.concat(otherKeys));
  let chosen = "";
  for (let i = 0; i < KIND_KEYS.length; i++) {
    const name = unchecked(KIND_KEYS[i]);
    if (!cfg.has(name)) continue;
    if (chosen.length > 0) {
      cfg.fail(name, "only one of " + KIND_KEYS.join(", ") + " may be set (" + chosen + " is too)");
      return null;
    }
    chosen = name;
  }
  if (chosen.length == 0) {
    parent.fail(key, "needs one of " + KIND_KEYS.join(", "));
    return null;
  }
  const ignoreCase = cfg.bool("ignore_case", false);
  const invert = cfg.bool("invert", false);
  const missingAsEmpty = cfg.bool("treat_missing_as_empty", false);
  let kind = MatchKind.Exact;
  let value = "";
  let start: i64 = 0;
  let end: i64 = 0;
  if (chosen == "present" || chosen == "absent") {
    const wanted = cfg.requiredBool(chosen);
    kind = (chosen == "present") == wanted ? MatchKind.Present : MatchKind.Absent;
  } else if (chosen == "range") {
    const range = cfg.object("range", true);
    const rangeBefore = parent.allErrors.length;
    start = range.requiredInteger("start");
    end = range.requiredInteger("end");
    range.unknownKeys(["start", "end"]);
    if (parent.allErrors.length == rangeBefore && start >= end) {
      range.fail("end", "must be above start (" + start.toString() + "); the end is exclusive");
    }
    kind = MatchKind.Range;
  } else {
    value = cfg.string(chosen);
    if (chosen == "exact") kind = MatchKind.Exact;
    else if (chosen == "prefix") kind = MatchKind.Prefix;
    else if (chosen == "suffix") kind = MatchKind.Suffix;
    else if (chosen == "contains") kind = MatchKind.Contains;
    else if (chosen == "segment_prefix") {
      kind = MatchKind.SegmentPrefix;
      if (value.length == 0 || value.endsWith("/")) {
        cfg.fail(chosen, quoteJsonString(value) + " must be non-empty and must not end with /");
      }
    } else kind = MatchKind.Regex;
  }
  if (ignoreCase && (kind == MatchKind.Range || kind == MatchKind.Present || kind == MatchKind.Absent)) {
    cfg.fail("ignore_case", "applies to exact, prefix, suffix, contains, segment_prefix and regex only");
  }
  if (parent.allErrors.length > before) return null;
  const result = StringMatcher.create(kind, value, ignoreCase, invert, missingAsEmpty, start, end);
  if (result.matcher === null) {
    cfg.fail(chosen, result.error);
    return null;
  }
  return result.matcher;
}

// ---------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function unit(ptr: usize, i: i32, utf16: bool): i32 {
  return utf16 ? <i32>load<u16>(ptr + (<usize>i << 1)) : <i32>load<u8>(ptr + <usize>i);
}

// @ts-ignore: decorator
@inline function foldUnit(c: i32): i32 {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

// Whether `n` units of the value from `at` equal the (already folded) target.
function equalAt(ptr: usize, at: i32, t: usize, n: i32, utf16: bool, fold: bool): bool {
  for (let i = 0; i < n; i++) {
    let c = unit(ptr, at + i, utf16);
    if (fold) c = foldUnit(c);
    if (c != unit(t, i, utf16)) return false;
  }
  return true;
}

// Knuth-Morris-Pratt failure function of the target: linear-time `contains` whatever the input.
function failureTable(t: usize, n: i32, utf16: bool): StaticArray<i32> {
  const table = new StaticArray<i32>(n + 1);
  if (n == 0) return table;
  unchecked((table[0] = -1));
  let k = -1;
  for (let i = 0; i < n; i++) {
    while (k >= 0 && unit(t, k, utf16) != unit(t, i, utf16)) k = unchecked(table[k]);
    k++;
    unchecked((table[i + 1] = k));
  }
  return table;
}

function containsKmp(ptr: usize, len: i32, t: usize, n: i32, table: StaticArray<i32>, utf16: bool, fold: bool): bool {
  if (n == 0) return true;
  let k = 0;
  for (let i = 0; i < len; i++) {
    let c = unit(ptr, i, utf16);
    if (fold) c = foldUnit(c);
    while (k >= 0 && unit(t, k, utf16) != c) k = unchecked(table[k]);
    k++;
    if (k == n) return true;
  }
  return false;
}

// Whether the whole value is a base-10 integer (optional sign) within [start, end).
function inRange(ptr: usize, len: i32, utf16: bool, start: i64, end: i64): bool {
  if (len == 0) return false;
  let i = 0;
  let negative = false;
  const first = unit(ptr, 0, utf16);
  if (first == 0x2d || first == 0x2b) {
    negative = first == 0x2d;
    i = 1;
    if (len == 1) return false;
  }
  // Accumulate negatively: i64.MIN_VALUE has no positive counterpart.
  let n: i64 = 0;
  for (; i < len; i++) {
    const d = unit(ptr, i, utf16) - 0x30;
    if (d < 0 || d > 9) return false;
    if (n < (i64.MIN_VALUE + <i64>d) / 10) return false; // overflow: outside any range
    n = n * 10 - <i64>d;
  }
  if (!negative) {
    if (n == i64.MIN_VALUE) return false;
    n = -n;
  }
  return n >= start && n < end;
}
