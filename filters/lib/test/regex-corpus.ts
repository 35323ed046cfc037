// A generated corpus for the regex differential test: random patterns in the syntax both the
// engine (RE2) and JavaScript's RegExp (with the u flag) read, each rendered twice where the
// two syntaxes mean different things (`.`, `\s`, POSIX classes), plus inputs over a small
// alphabet that the patterns use, so matches are frequent.

/** A pattern in both syntaxes, with the JavaScript flags that mirror its RE2 flags. */
export interface Case {
  re2: string;
  js: string;
  flags: string;
  /**
   * No quantifier applies to something that can match empty. Where one does, the two engines
   * differ by design on the span (JavaScript refuses an optional iteration that matches empty;
   * RE2 and this engine take it), though never on whether there is a match.
   */
  spanComparable: boolean;
}

// [RE2, JavaScript, can match the empty string]
type Piece = [string, string, boolean];

/** Deterministic PRNG (mulberry32) so a failure names a seed that reproduces it. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LITERALS = ["a", "b", "c", "x", "1", "é", "ж", "€", "😀", "-", " ", "A"];
const ESCAPED = ["\\.", "\\*", "\\(", "\\)", "\\[", "\\+", "\\?", "\\|", "\\$", "\\^", "\\\\"];
// [RE2, JavaScript]
const CLASSES: [string, string][] = [
  ["[abc]", "[abc]"],
  ["[a-c]", "[a-c]"],
  ["[^ab]", "[^ab]"],
  ["[a-cx]", "[a-cx]"],
  ["[^\\n]", "[^\\n]"],
  ["[é-ж]", "[é-ж]"],
  ["[\\d_]", "[\\d_]"],
  ["[[:alpha:]]", "[A-Za-z]"],
  ["[[:digit:]x]", "[0-9x]"],
  ["[^[:space:]a]", "[^\\t\\n\\v\\f\\r a]"],
  ["[-a]", "[\\-a]"],
  ["[€😀]", "[€😀]"],
  ["\\d", "\\d"],
  ["\\D", "\\D"],
  ["\\w", "\\w"],
  ["\\W", "\\W"],
  ["\\s", "[\\t\\n\\f\\r ]"],
  ["\\S", "[^\\t\\n\\f\\r ]"],
  ["\\x41", "\\x41"],
  ["\\x{20AC}", "\\u{20AC}"],
];
const QUANTIFIERS = ["*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}", "{0}", "{1}"];
const ANCHORS = ["^", "$", "\\b", "\\B"];

/** A random pattern; `depth` bounds group nesting. */
export function generate(rand: () => number): Case {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  let dotAll = false;
  let flags = "";
  let prefix = "";
  if (rand() < 0.15) {
    prefix += "(?i)";
    flags += "i";
  }
  if (rand() < 0.1) {
    prefix += "(?s)";
    flags += "s";
    dotAll = true;
  }
  if (rand() < 0.1) {
    prefix += "(?m)";
    flags += "m";
  }

  let spanComparable = true;

  const atom = (depth: number): Piece => {
    const r = rand();
    if (r < 0.35) {
      const c = pick(LITERALS);
      return [c, c, false];
    }
    if (r < 0.42) {
      const e = pick(ESCAPED);
      return [e, e, false];
    }
    if (r < 0.62) return [...pick(CLASSES), false];
    if (r < 0.7) return [".", dotAll ? "." : "[^\\n]", false];
    if (depth > 0 && r < 0.9) {
      const [a, b, empty] = alternation(depth - 1);
      return rand() < 0.5 ? [`(${a})`, `(${b})`, empty] : [`(?:${a})`, `(?:${b})`, empty];
    }
    const c = pick(LITERALS);
    return [c, c, false];
  };

  const piece = (depth: number): Piece => {
    if (rand() < 0.08) {
      const a = pick(ANCHORS);
      return [a, a, true];
    }
    const [a, b, empty] = atom(depth);
    if (rand() < 0.35) {
      const q = pick(QUANTIFIERS);
      if (empty) spanComparable = false;
      const lazy = rand() < 0.3 ? "?" : "";
      const optional = q === "*" || q === "?" || q.startsWith("{0");
      return [a + q + lazy, b + q + lazy, empty || optional];
    }
    return [a, b, empty];
  };

  const concat = (depth: number): Piece => {
    const n = 1 + Math.floor(rand() * 3);
    let a = "";
    let b = "";
    let empty = true;
    for (let i = 0; i < n; i++) {
      const [x, y, e] = piece(depth);
      a += x;
      b += y;
      empty = empty && e;
    }
    return [a, b, empty];
  };

  const alternation = (depth: number): Piece => {
    let [a, b, empty] = concat(depth);
    while (rand() < 0.25) {
      const [x, y, e] = rand() < 0.1 ? (["", "", true] as Piece) : concat(depth);
      a += `|${x}`;
      b += `|${y}`;
      empty = empty || e;
    }
    return [a, b, empty];
  };

  const [re2, js] = alternation(2);
  return { re2: prefix + re2, js, flags, spanComparable };
}

const INPUT_ALPHABET = [
  "a",
  "b",
  "c",
  "x",
  "A",
  "B",
  "1",
  "2",
  "_",
  " ",
  "\n",
  "-",
  ".",
  "*",
  "(",
  "é",
  "É",
  "ж",
  "Ж",
  "€",
  "😀",
  "\t",
];

/** A random input of 0..maxLength code points. */
export function input(rand: () => number, maxLength: number): string {
  const n = Math.floor(rand() * (maxLength + 1));
  let s = "";
  for (let i = 0; i < n; i++) s += INPUT_ALPHABET[Math.floor(rand() * INPUT_ALPHABET.length)];
  return s;
}
