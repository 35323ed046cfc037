// Character sets for the regex compiler: sorted, merged code point ranges, built at compile
// time and frozen into a 128-bit ASCII bitmap plus a range list for everything above.
// Nothing here runs per match except `classContains`, which allocates nothing.

/** The largest Unicode code point. */
// @ts-ignore: decorator
@inline export const MAX_CODE_POINT: i32 = 0x10ffff;

/** A mutable set of code points as [lo, hi] pairs; `normalize` sorts and merges them. */
export class CharSet {
  ranges: i32[] = [];

  addRange(lo: i32, hi: i32): void {
    this.ranges.push(lo);
    this.ranges.push(hi);
  }

  add(c: i32): void {
    this.addRange(c, c);
  }

  addSet(other: CharSet): void {
    const r = other.ranges;
    for (let i = 0; i < r.length; i += 2) this.addRange(unchecked(r[i]), unchecked(r[i + 1]));
  }

  /** Sorts and merges overlapping or adjacent ranges. */
  normalize(): void {
    const r = this.ranges;
    const n = r.length >> 1;
    if (n < 2) return;
    // Insertion sort by lo over pairs: sets are small and this runs at compile time only.
    for (let i = 1; i < n; i++) {
      const lo = unchecked(r[2 * i]);
      const hi = unchecked(r[2 * i + 1]);
      let j = i - 1;
      while (j >= 0 && unchecked(r[2 * j]) > lo) {
        unchecked((r[2 * j + 2] = r[2 * j]));
        unchecked((r[2 * j + 3] = r[2 * j + 1]));
        j--;
      }
      unchecked((r[2 * j + 2] = lo));
      unchecked((r[2 * j + 3] = hi));
    }
    const out: i32[] = [];
    let curLo = unchecked(r[0]);
    let curHi = unchecked(r[1]);
    for (let i = 1; i < n; i++) {
      const lo = unchecked(r[2 * i]);
      const hi = unchecked(r[2 * i + 1]);
      if (lo <= curHi + 1) {
        if (hi > curHi) curHi = hi;
      } else {
        out.push(curLo);
        out.push(curHi);
        curLo = lo;
        curHi = hi;
      }
    }
    out.push(curLo);
    out.push(curHi);
    this.ranges = out;
  }

  /** The complement within 0..MAX_CODE_POINT (normalizes first). */
  negate(): void {
    this.normalize();
    const r = this.ranges;
    const out: i32[] = [];
    let next = 0;
    for (let i = 0; i < r.length; i += 2) {
      const lo = unchecked(r[i]);
      if (lo > next) {
        out.push(next);
        out.push(lo - 1);
      }
      next = unchecked(r[i + 1]) + 1;
    }
    if (next <= MAX_CODE_POINT) {
      out.push(next);
      out.push(MAX_CODE_POINT);
    }
    this.ranges = out;
  }

  /**
   * Adds the other case of every letter: ASCII fully, and above ASCII every code point below
   * U+2000 (Latin, Greek, Cyrillic, Armenian...) whose simple upper or lower case is one code
   * point. Compile time only: it allocates.
   */
  foldCase(): void {
    const r = this.ranges;
    const n = r.length;
    for (let i = 0; i < n; i += 2) {
      const lo = unchecked(r[i]);
      const hi = unchecked(r[i + 1]);
      // ASCII letters: shift the overlapping part of each case range.
      addShifted(this, lo, hi, 0x41, 0x5a, 0x20);
      addShifted(this, lo, hi, 0x61, 0x7a, -0x20);
      const from = max(lo, 0x80);
      const to = min(hi, FOLD_LIMIT - 1);
      for (let c = from; c <= to; c++) addOtherCases(this, c);
    }
    this.normalize();
  }
}

// Code points at or above this are matched case-sensitively even under ignore-case.
// @ts-ignore: decorator
@inline const FOLD_LIMIT: i32 = 0x2000;

function addShifted(set: CharSet, lo: i32, hi: i32, caseLo: i32, caseHi: i32, shift: i32): void {
  const a = max(lo, caseLo);
  const b = min(hi, caseHi);
  if (a <= b) set.addRange(a + shift, b + shift);
}

/** Adds the single-code-point upper and lower case of `c` (c >= 0x80, below FOLD_LIMIT). */
export function addOtherCases(set: CharSet, c: i32): void {
  if (c >= FOLD_LIMIT) return;
  // One step of lower/upper, then the other case of each result: closes orbits of three such
  // as micro sign / capital mu / small mu.
  const s = String.fromCodePoint(c);
  addCaseOf(set, c, s.toLowerCase());
  addCaseOf(set, c, s.toUpperCase());
}

function addCaseOf(set: CharSet, c: i32, mapped: string): void {
  if (mapped.length != 1 || <i32>mapped.charCodeAt(0) == c) return;
  set.add(mapped.charCodeAt(0));
  const lower = mapped.toLowerCase();
  const upper = mapped.toUpperCase();
  if (lower.length == 1 && <i32>lower.charCodeAt(0) != c) set.add(lower.charCodeAt(0));
  if (upper.length == 1 && <i32>upper.charCodeAt(0) != c) set.add(upper.charCodeAt(0));
}

/** The other ASCII or simple case of `c`, or -1 (used for single literals). */
export function otherCase(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c + 0x20;
  if (c >= 0x61 && c <= 0x7a) return c - 0x20;
  if (c < 0x80 || c >= FOLD_LIMIT) return -1;
  const set = new CharSet();
  addOtherCases(set, c);
  set.normalize();
  // Only a single other case fits a two-way literal; more go through a class.
  return set.ranges.length == 2 && set.ranges[0] == set.ranges[1] ? set.ranges[0] : -2;
}

/** ASCII word characters [0-9A-Za-z_] (\w and \b). */
// @ts-ignore: decorator
@inline export function isWordChar(c: i32): bool {
  return (
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f
  );
}

/** Adds the set of a Perl class letter (d, s, w; upper case = negated). False if unknown. */
export function addPerlClass(set: CharSet, letter: i32): bool {
  const part = new CharSet();
  const lower = letter | 0x20;
  if (lower == 0x64) {
    part.addRange(0x30, 0x39); // \d
  } else if (lower == 0x73) {
    // \s: RE2's ASCII whitespace [\t\n\f\r ] (no \v).
    part.addRange(0x09, 0x0a);
    part.addRange(0x0c, 0x0d);
    part.add(0x20);
  } else if (lower == 0x77) {
    addWord(part);
  } else {
    return false;
  }
  if (letter != lower) part.negate();
  set.addSet(part);
  return true;
}

function addWord(set: CharSet): void {
  set.addRange(0x30, 0x39);
  set.addRange(0x41, 0x5a);
  set.add(0x5f);
  set.addRange(0x61, 0x7a);
}

/** Adds a POSIX class by name (`alpha` in `[[:alpha:]]`). False if unknown. */
export function addPosixClass(set: CharSet, name: string): bool {
  if (name == "alnum") {
    set.addRange(0x30, 0x39);
    set.addRange(0x41, 0x5a);
    set.addRange(0x61, 0x7a);
  } else if (name == "alpha") {
    set.addRange(0x41, 0x5a);
    set.addRange(0x61, 0x7a);
  } else if (name == "ascii") {
    set.addRange(0, 0x7f);
  } else if (name == "blank") {
    set.add(0x09);
    set.add(0x20);
  } else if (name == "cntrl") {
    set.addRange(0, 0x1f);
    set.add(0x7f);
  } else if (name == "digit") {
    set.addRange(0x30, 0x39);
  } else if (name == "graph") {
    set.addRange(0x21, 0x7e);
  } else if (name == "lower") {
    set.addRange(0x61, 0x7a);
  } else if (name == "print") {
    set.addRange(0x20, 0x7e);
  } else if (name == "punct") {
    set.addRange(0x21, 0x2f);
    set.addRange(0x3a, 0x40);
    set.addRange(0x5b, 0x60);
    set.addRange(0x7b, 0x7e);
  } else if (name == "space") {
    set.addRange(0x09, 0x0d);
    set.add(0x20);
  } else if (name == "upper") {
    set.addRange(0x41, 0x5a);
  } else if (name == "word") {
    addWord(set);
  } else if (name == "xdigit") {
    set.addRange(0x30, 0x39);
    set.addRange(0x41, 0x46);
    set.addRange(0x61, 0x66);
  } else {
    return false;
  }
  return true;
}

/**
 * Frozen classes of one program: for class k, `bitmaps[4k..4k+3]` hold ASCII membership and
 * `ranges[starts[k]..starts[k+1])` the sorted pairs above ASCII.
 */
export class ClassTable {
  bitmaps: StaticArray<u32>;
  starts: StaticArray<i32>;
  ranges: StaticArray<i32> = new StaticArray<i32>(0);

  constructor(sets: CharSet[]) {
    const count = sets.length;
    this.bitmaps = new StaticArray<u32>(count * 4);
    this.starts = new StaticArray<i32>(count + 1);
    const high: i32[] = [];
    for (let k = 0; k < count; k++) {
      unchecked((this.starts[k] = high.length));
      const r = unchecked(sets[k]).ranges;
      for (let i = 0; i < r.length; i += 2) {
        const lo = unchecked(r[i]);
        const hi = unchecked(r[i + 1]);
        for (let c = lo; c <= min(hi, 0x7f); c++) {
          const word = k * 4 + (c >> 5);
          unchecked((this.bitmaps[word] |= <u32>1 << (<u32>c & 31)));
        }
        if (hi >= 0x80) {
          high.push(max(lo, 0x80));
          high.push(hi);
        }
      }
    }
    unchecked((this.starts[count] = high.length));
    this.ranges = new StaticArray<i32>(high.length);
    for (let i = 0; i < high.length; i++) unchecked((this.ranges[i] = high[i]));
  }

  /** Whether class `k` holds code point `c`; a binary search above ASCII. */
  contains(k: i32, c: i32): bool {
    if (c < 0x80) {
      if (c < 0) return false;
      return (unchecked(this.bitmaps[k * 4 + (c >> 5)]) & (<u32>1 << (<u32>c & 31))) != 0;
    }
    let lo = unchecked(this.starts[k]) >> 1;
    let hi = (unchecked(this.starts[k + 1]) >> 1) - 1;
    const ranges = this.ranges;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (c < unchecked(ranges[2 * mid])) hi = mid - 1;
      else if (c > unchecked(ranges[2 * mid + 1])) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Bytes held by this table. */
  get byteSize(): i32 {
    return (this.bitmaps.length + this.starts.length + this.ranges.length) * 4;
  }
}
