// RE2-syntax parser: pattern text to a small syntax tree, or an error naming the position and
// the construct. Runs at configure time only. Recursion is bounded by MAX_NESTING, so a hostile
// pattern cannot exhaust the stack.

import { addPerlClass, addPosixClass, CharSet, MAX_CODE_POINT, otherCase } from "./charset";

/** Deepest group nesting accepted. */
// @ts-ignore: decorator
@inline export const MAX_NESTING: i32 = 200;
/** Largest count in `{n}`, `{n,}`, `{n,m}` (as RE2). */
// @ts-ignore: decorator
@inline export const MAX_REPEAT: i32 = 1000;

export enum NodeKind {
  Empty,
  Literal,
  Class,
  AnyChar,
  AnyNotNewline,
  Concat,
  Alternate,
  Repeat,
  Capture,
  Assert,
}

/** Zero-width assertions, as encoded in the program. */
export enum AssertKind {
  BeginText = 0,
  EndText = 1,
  BeginLine = 2,
  EndLine = 3,
  WordBoundary = 4,
  NotWordBoundary = 5,
}

// Flags in effect while parsing; (?i) etc. change them to the end of the enclosing group.
// @ts-ignore: decorator
@inline const FOLD: i32 = 1;
// @ts-ignore: decorator
@inline const DOT_NL: i32 = 2;
// @ts-ignore: decorator
@inline const MULTI_LINE: i32 = 4;
// @ts-ignore: decorator
@inline const UNGREEDY: i32 = 8;

export class Node {
  children: Node[] = [];
  cp: i32 = 0; // Literal: the code point; Assert: the AssertKind; Capture: the group index
  set: CharSet | null = null;
  min: i32 = 0;
  max: i32 = 0; // -1: unbounded
  greedy: bool = true;
  constructor(
    public kind: NodeKind,
    public pos: i32,
  ) {}
}

/** Where and why a pattern was refused. */
export class RegexError {
  constructor(
    public position: i32,
    public problem: string,
  ) {}
  /** `at position 4: lookahead (?= is not supported`. */
  toString(): string {
    return "at position " + this.position.toString() + ": " + this.problem;
  }
}

export class Parser {
  error: RegexError | null = null;
  captures: i32 = 0; // capture groups seen; group k is numbered k (1-based)
  names: string[] = []; // names[k-1]: the group's name or ""
  private i: i32 = 0;
  private flags: i32;
  private depth: i32 = 0;

  constructor(
    private readonly src: string,
    ignoreCase: bool,
  ) {
    this.flags = ignoreCase ? FOLD : 0;
  }

  /** The tree, or null with `error` set. */
  parse(): Node | null {
    const node = this.alternation();
    if (this.error !== null) return null;
    if (this.i < this.src.length) {
      this.fail(this.i, "unmatched )");
      return null;
    }
    return node;
  }

  private fail(pos: i32, problem: string): void {
    if (this.error === null) this.error = new RegexError(pos, problem);
  }

  private peek(): i32 {
    return this.i < this.src.length ? this.src.charCodeAt(this.i) : -1;
  }

  private lookingAt(text: string): bool {
    return this.src.startsWith(text, this.i);
  }

  // Reads one code point (surrogate pairs joined).
  private next(): i32 {
    const c = this.src.codePointAt(this.i);
    this.i += c > 0xffff ? 2 : 1;
    return c;
  }

  private alternation(): Node {
    const start = this.i;
    const first = this.concat();
    if (this.peek() != 0x7c) return first;
    const alt = new Node(NodeKind.Alternate, start);
    alt.children.push(first);
    while (this.error === null && this.peek() == 0x7c) {
      this.i++;
      alt.children.push(this.concat());
    }
    return alt;
  }

  private concat(): Node {
    const node = new Node(NodeKind.Concat, this.i);
    while (this.error === null) {
      const c = this.peek();
      if (c < 0 || c == 0x7c || c == 0x29) break;
      const start = this.i;
      const atom = this.atom();
      if (atom === null) continue; // a flag group such as (?i) produces no node
      node.children.push(this.repeats(atom, start));
    }
    if (node.children.length == 1) return node.children[0];
    if (node.children.length == 0) return new Node(NodeKind.Empty, node.pos);
    return node;
  }

  // Applies every quantifier that follows `atom`; a quantifier on a quantifier is refused.
  private repeats(atom: Node, atomStart: i32): Node {
    const start = this.i;
    const c = this.peek();
    let min = 0;
    let max = -1;
    if (c == 0x2a) {
      this.i++;
    } else if (c == 0x2b) {
      min = 1;
      this.i++;
    } else if (c == 0x3f) {
      max = 1;
      this.i++;
    } else if (c == 0x7b) {
      if (!this.braces()) return atom; // not a repetition: `{` is then a literal
      min = this.braceMin;
      max = this.braceMax;
      if (this.error !== null) return atom;
    } else {
      return atom;
    }
    let greedy = (this.flags & UNGREEDY) == 0;
    if (this.peek() == 0x3f) {
      this.i++;
      greedy = !greedy;
    } else if (this.peek() == 0x2b) {
      this.fail(start, "possessive quantifier " + this.src.substring(start, this.i + 1) + " is not supported");
      return atom;
    }
    const after = this.peek();
    if (after == 0x2a || after == 0x2b || after == 0x3f || (after == 0x7b && this.isBraces())) {
      this.fail(this.i, "repetition of a repetition (" + this.src.substring(start, this.i + 1) + ")");
      return atom;
    }
    const node = new Node(NodeKind.Repeat, atomStart);
    node.children.push(atom);
    node.min = min;
    node.max = max;
    node.greedy = greedy;
    return node;
  }

  private braceMin: i32 = 0;
  private braceMax: i32 = 0;

  private isBraces(): bool {
    const save = this.i;
    const ok = this.braces();
    this.i = save;
    return ok;
  }

  // Parses {n}, {n,}, {n,m} at `i` into braceMin/braceMax. False (and `i` unchanged) when the
  // text is not a repetition, as RE2 then reads `{` literally.
  private braces(): bool {
    const start = this.i;
    let j = start + 1;
    const n = this.digits(j);
    if (this.digitsEnd == j) return false;
    j = this.digitsEnd;
    let m = n;
    if (j < this.src.length && this.src.charCodeAt(j) == 0x2c) {
      j++;
      if (j < this.src.length && this.src.charCodeAt(j) == 0x7d) {
        m = -1;
      } else {
        m = this.digits(j);
        if (this.digitsEnd == j) return false;
        j = this.digitsEnd;
      }
    }
    if (j >= this.src.length || this.src.charCodeAt(j) != 0x7d) return false;
    this.i = j + 1;
    const text = this.src.substring(start, this.i);
    if (n > MAX_REPEAT || m > MAX_REPEAT) {
      this.fail(start, "repetition count above " + MAX_REPEAT.toString() + " in " + text);
    } else if (m >= 0 && m < n) {
      this.fail(start, "invalid repetition range " + text);
    }
    this.braceMin = n;
    this.braceMax = m;
    return true;
  }

  private digitsEnd: i32 = 0;

  // Decimal digits from `j`; saturates at MAX_REPEAT + 1 so huge counts stay an error.
  private digits(j: i32): i32 {
    let value = 0;
    while (j < this.src.length) {
      const d = this.src.charCodeAt(j) - 0x30;
      if (d < 0 || d > 9) break;
      value = min(value * 10 + d, MAX_REPEAT + 1);
      j++;
    }
    this.digitsEnd = j;
    return value;
  }

  // One atom, or null for a flag-only group (and on error).
  private atom(): Node | null {
    const pos = this.i;
    const c = this.peek();
    if (c == 0x28) return this.group();
    if (c == 0x5b) return this.bracket();
    if (c == 0x2e) {
      this.i++;
      return new Node((this.flags & DOT_NL) != 0 ? NodeKind.AnyChar : NodeKind.AnyNotNewline, pos);
    }
    if (c == 0x5e || c == 0x24) {
      this.i++;
      const multi = (this.flags & MULTI_LINE) != 0;
      const kind = c == 0x5e
        ? (multi ? AssertKind.BeginLine : AssertKind.BeginText)
        : (multi ? AssertKind.EndLine : AssertKind.EndText);
      return this.assertion(kind, pos);
    }
    if (c == 0x2a || c == 0x2b || c == 0x3f || (c == 0x7b && this.isBraces())) {
      this.fail(pos, "missing argument to repetition operator " + String.fromCharCode(c));
      return null;
    }
    if (c == 0x5c) return this.escape();
    return this.literal(this.next(), pos);
  }

  private assertion(kind: AssertKind, pos: i32): Node {
    const node = new Node(NodeKind.Assert, pos);
    node.cp = kind;
    return node;
  }

  private literal(c: i32, pos: i32): Node {
    if ((this.flags & FOLD) != 0) {
      const other = otherCase(c);
      if (other == -2) {
        const set = new CharSet();
        set.add(c);
        set.foldCase();
        return this.classNode(set, pos);
      }
      if (other >= 0) {
        const set = new CharSet();
        set.add(c);
        set.add(other);
        set.normalize();
        return this.classNode(set, pos);
      }
    }
    const node = new Node(NodeKind.Literal, pos);
    node.cp = c;
    return node;
  }

  private classNode(set: CharSet, pos: i32): Node {
    const node = new Node(NodeKind.Class, pos);
    node.set = set;
    return node;
  }

  private group(): Node | null {
    const pos = this.i;
    this.i++; // (
    if (this.depth >= MAX_NESTING) {
      this.fail(pos, "groups nested deeper than " + MAX_NESTING.toString());
      return null;
    }
    const saved = this.flags;
    let capture = true;
    let name = "";
    if (this.peek() == 0x3f) {
      if (this.lookingAt("?=") || this.lookingAt("?!")) {
        this.fail(pos, "lookahead (" + this.src.substring(this.i, this.i + 2) + " is not supported");
        return null;
      }
      if (this.lookingAt("?<=") || this.lookingAt("?<!")) {
        this.fail(pos, "lookbehind (" + this.src.substring(this.i, this.i + 3) + " is not supported");
        return null;
      }
      if (this.lookingAt("?>")) {
        this.fail(pos, "atomic group (?> is not supported");
        return null;
      }
      if (this.lookingAt("?P=") || this.lookingAt("?P>") || this.lookingAt("?&")) {
        this.fail(pos, "backreference or recursion (" + this.src.substring(this.i, this.i + 3) + " is not supported");
        return null;
      }
      if (this.lookingAt("?P<") || this.lookingAt("?<")) {
        this.i += this.lookingAt("?P<") ? 3 : 2;
        const end = this.src.indexOf(">", this.i);
        name = end < 0 ? "" : this.src.substring(this.i, end);
        if (end < 0 || !validName(name)) {
          this.fail(pos, "invalid capture group name");
          return null;
        }
        if (this.names.includes(name)) {
          this.fail(pos, "duplicate capture group name " + name);
          return null;
        }
        this.i = end + 1;
      } else {
        this.i++; // ?
        if (!this.flagGroup(pos)) return null; // (?i) and error both end here
        capture = false;
      }
    }
    let index = 0;
    if (capture) {
      index = ++this.captures;
      this.names.push(name);
    }
    this.depth++;
    const inner = this.alternation();
    this.depth--;
    this.flags = saved;
    if (this.error !== null) return null;
    if (this.peek() != 0x29) {
      this.fail(pos, "missing closing )");
      return null;
    }
    this.i++;
    if (!capture) return inner;
    const node = new Node(NodeKind.Capture, pos);
    node.cp = index;
    node.children.push(inner);
    return node;
  }

  // After `(?`: flags then `)` (set for the rest of the group: returns false, no node) or `:`
  // (a non-capturing group with those flags: returns true, flags already applied).
  private flagGroup(pos: i32): bool {
    let flags = this.flags;
    let negate = false;
    let any = false;
    while (this.i < this.src.length) {
      const c = this.src.charCodeAt(this.i++);
      let bit = 0;
      if (c == 0x69) bit = FOLD;
      else if (c == 0x73) bit = DOT_NL;
      else if (c == 0x6d) bit = MULTI_LINE;
      else if (c == 0x55) bit = UNGREEDY;
      else if (c == 0x2d && !negate) {
        negate = true;
        any = false;
        continue;
      } else if (c == 0x29 || c == 0x3a) {
        if (negate && !any) break; // "(?i-)" is malformed
        if (c == 0x3a) {
          this.flags = flags;
          return true;
        }
        this.flags = flags;
        return false;
      } else {
        if (c == 0x23) this.fail(pos, "comments (?# are not supported");
        break;
      }
      any = true;
      flags = negate ? flags & ~bit : flags | bit;
    }
    this.fail(pos, "invalid or unsupported group syntax " + this.src.substring(pos, min(this.i, pos + 6)));
    return false;
  }

  private escape(): Node | null {
    const pos = this.i;
    this.i++; // backslash
    if (this.i >= this.src.length) {
      this.fail(pos, "trailing backslash");
      return null;
    }
    const c = this.src.charCodeAt(this.i);
    if (c == 0x62 || c == 0x42) {
      this.i++;
      return this.assertion(c == 0x62 ? AssertKind.WordBoundary : AssertKind.NotWordBoundary, pos);
    }
    if (c == 0x41 || c == 0x7a) {
      this.i++;
      return this.assertion(c == 0x41 ? AssertKind.BeginText : AssertKind.EndText, pos);
    }
    const set = new CharSet();
    if (addPerlClass(set, c)) {
      this.i++;
      return this.classNode(set, pos);
    }
    const cp = this.escapedChar(pos);
    if (cp < 0) return null;
    return this.literal(cp, pos);
  }

  // A single-character escape at `i` (just after the backslash): its code point, or -1 with
  // the error set. Shared by atoms and bracket classes.
  private escapedChar(pos: i32): i32 {
    const c = this.src.charCodeAt(this.i++);
    if (c == 0x6e) return 0x0a;
    if (c == 0x72) return 0x0d;
    if (c == 0x74) return 0x09;
    if (c == 0x66) return 0x0c;
    if (c == 0x76) return 0x0b;
    if (c == 0x61) return 0x07;
    if (c == 0x30) {
      const d = this.peek();
      if (d >= 0x30 && d <= 0x39) {
        this.fail(pos, "octal escapes are not supported");
        return -1;
      }
      return 0;
    }
    if (c >= 0x31 && c <= 0x39) {
      this.fail(pos, "backreferences (\\" + String.fromCharCode(c) + ") are not supported");
      return -1;
    }
    if (c == 0x78) return this.hexEscape(pos);
    if (c == 0x70 || c == 0x50) {
      this.fail(pos, "Unicode classes (\\" + String.fromCharCode(c) + ") are not supported");
      return -1;
    }
    if (c == 0x6b) {
      this.fail(pos, "backreferences (\\k) are not supported");
      return -1;
    }
    if (c == 0x51) {
      this.fail(pos, "quoted literals (\\Q...\\E) are not supported");
      return -1;
    }
    if (c < 0x80 && !isAlnum(c)) return c; // escaped punctuation or space
    this.i--;
    const shown = String.fromCodePoint(this.src.codePointAt(this.i));
    this.fail(pos, "unknown escape \\" + shown);
    return -1;
  }

  private hexEscape(pos: i32): i32 {
    let value = 0;
    if (this.peek() == 0x7b) {
      this.i++;
      const digitsStart = this.i;
      while (this.i < this.src.length && this.i - digitsStart < 7) {
        const d = hexValue(this.src.charCodeAt(this.i));
        if (d < 0) break;
        value = value * 16 + d;
        this.i++;
      }
      const count = this.i - digitsStart;
      if (this.peek() != 0x7d || count == 0 || count > 6 || value > MAX_CODE_POINT) {
        this.fail(pos, "invalid hexadecimal escape \\x{...}");
        return -1;
      }
      this.i++;
      return value;
    }
    for (let k = 0; k < 2; k++) {
      const d = this.i < this.src.length ? hexValue(this.src.charCodeAt(this.i)) : -1;
      if (d < 0) {
        this.fail(pos, "invalid hexadecimal escape (\\x needs two hex digits or {...})");
        return -1;
      }
      this.i++;
      value = value * 16 + d;
    }
    return value;
  }

  // `[...]` with ranges, negation, escapes, Perl and POSIX classes. A `]` first is literal.
  private bracket(): Node | null {
    const pos = this.i;
    this.i++;
    const set = new CharSet();
    let negated = false;
    if (this.peek() == 0x5e) {
      negated = true;
      this.i++;
    }
    let first = true;
    while (true) {
      if (this.i >= this.src.length) {
        this.fail(pos, "missing closing ]");
        return null;
      }
      const c = this.peek();
      if (c == 0x5d && !first) break;
      first = false;
      if (this.lookingAt("[:")) {
        const end = this.src.indexOf(":]", this.i + 2);
        if (end > 0) {
          let name = this.src.substring(this.i + 2, end);
          let negatePosix = false;
          if (name.startsWith("^")) {
            negatePosix = true;
            name = name.substring(1);
          }
          const part = new CharSet();
          if (!addPosixClass(part, name)) {
            this.fail(this.i, "unknown POSIX class [:" + name + ":]");
            return null;
          }
          if (negatePosix) part.negate();
          set.addSet(part);
          this.i = end + 2;
          continue;
        }
      }
      const itemPos = this.i;
      const lo = this.classChar(set);
      if (lo == -1) return null;
      if (lo == -2) continue; // a class escape such as \d was added
      if (this.peek() == 0x2d && this.i + 1 < this.src.length && this.src.charCodeAt(this.i + 1) != 0x5d) {
        this.i++;
        const hi = this.classChar(null);
        if (hi < 0) return null;
        if (hi < lo) {
          this.fail(itemPos, "invalid character class range " + this.src.substring(itemPos, this.i));
          return null;
        }
        set.addRange(lo, hi);
      } else {
        set.add(lo);
      }
    }
    this.i++; // ]
    if ((this.flags & FOLD) != 0) set.foldCase();
    if (negated) set.negate();
    else set.normalize();
    return this.classNode(set, pos);
  }

  // One class member: a code point, -2 after adding a Perl class to `set` (not allowed when
  // `set` is null, i.e. as a range end), or -1 on error.
  private classChar(set: CharSet | null): i32 {
    const pos = this.i;
    if (this.peek() != 0x5c) return this.next();
    this.i++;
    if (this.i >= this.src.length) {
      this.fail(pos, "trailing backslash");
      return -1;
    }
    const c = this.src.charCodeAt(this.i);
    if (set !== null && addPerlClass(set, c)) {
      this.i++;
      return -2;
    }
    const l = c | 0x20;
    if (set === null && (l == 0x64 || l == 0x73 || l == 0x77)) {
      this.fail(pos, "a class escape cannot end a range");
      return -1;
    }
    if (c == 0x62) {
      this.i++;
      return 0x08; // \b is backspace inside a class
    }
    return this.escapedChar(pos);
  }
}

function isAlnum(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function validName(name: string): bool {
  if (name.length == 0 || name.length > 64) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isAlnum(c) || c == 0x5f)) return false;
  }
  return true;
}
