import { Regex } from "../index";

function re(pattern: string, ignoreCase: bool = false): Regex {
  const r = Regex.compile(pattern, ignoreCase);
  if (r.error !== null) expect<string>(r.error!.toString()).toBe("(compiled)", pattern);
  return r.regex!;
}

function errorOf(pattern: string, maxInstructions: i32 = 10000): string {
  const r = Regex.compile(pattern, false, maxInstructions);
  return r.error !== null ? r.error!.toString() : "ok";
}

function span(pattern: string, text: string): string {
  const r = re(pattern);
  if (!r.search(text)) return "none";
  return r.matchStart.toString() + ".." + r.matchEnd.toString();
}

function bytes(values: u8[]): ArrayBuffer {
  const buffer = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(buffer) + i, values[i]);
  return buffer;
}

describe("Regex syntax", () => {
  it("matches literals fully and by search", () => {
    const r = re("abc");
    expect<bool>(r.fullMatch("abc")).toBe(true);
    expect<bool>(r.fullMatch("abcd")).toBe(false);
    expect<bool>(r.test("xxabcxx")).toBe(true);
    expect<bool>(r.test("xxabxcx")).toBe(false);
    expect<string>(span("abc", "xxabcxx")).toBe("2..5");
  });

  it("full-matches a pattern's leading literals on the text's first units, and only there", () => {
    // The literals before the first branch are checked before the machine runs: each result
    // below turns on one of them, or on what follows them.
    const api = re("/api/v[0-9]+/.*");
    expect<bool>(api.fullMatch("/api/v2/orders")).toBe(true);
    expect<bool>(api.fullMatchBytes(String.UTF8.encode("/api/v10/"))).toBe(true);
    expect<bool>(api.fullMatch("/bench")).toBe(false);
    expect<bool>(api.fullMatch("/api/x2/")).toBe(false); // the last literal differs
    expect<bool>(api.fullMatch("/api/v")).toBe(false); // the literals, then nothing
    expect<bool>(api.fullMatch("/api")).toBe(false); // shorter than the literals
    expect<bool>(api.fullMatch("")).toBe(false);
    expect<bool>(api.fullMatch("x/api/v2/")).toBe(false); // a full match starts at 0
    expect<bool>(api.test("x/api/v2/")).toBe(true); // a search still finds it later
    // Capture saves between the literals are passed over; a loop back into them later does
    // not matter (the first pass goes through them in order).
    expect<bool>(re("(a)(b)c").fullMatch("abc")).toBe(true);
    expect<bool>(re("(a)(b)c").fullMatch("abd")).toBe(false);
    expect<bool>(re("(?:ab)+").fullMatch("ababab")).toBe(true);
    expect<bool>(re("(?:ab)+").fullMatch("abba")).toBe(false);
    // Not literal: a class, a case-folded letter, a non-ASCII literal, an alternation.
    expect<bool>(re("(?i)abc").fullMatch("ABC")).toBe(true);
    expect<bool>(re("é/x").fullMatch("é/x")).toBe(true);
    expect<bool>(re("é/x").fullMatchBytes(String.UTF8.encode("é/x"))).toBe(true);
    expect<bool>(re("ab|cd").fullMatch("cd")).toBe(true);
    expect<bool>(re("a?bc").fullMatch("bc")).toBe(true);
    // Spans after a literal mismatch read as no match.
    const r = re("(ab)c");
    expect<bool>(r.search("zzabc", true)).toBe(true);
    const abd = String.UTF8.encode("abd");
    expect<bool>(r.fullMatchRaw(changetype<usize>(abd), 3, true)).toBe(false);
    expect<i32>(r.matchStart).toBe(-1);
  });

  it("reads escapes, Perl and POSIX classes and brackets", () => {
    expect<bool>(re("\\d+\\.\\d+").fullMatch("12.5")).toBe(true);
    expect<bool>(re("\\d+\\.\\d+").fullMatch("12x5")).toBe(false);
    expect<bool>(re("\\w+").fullMatch("a_Z9")).toBe(true);
    expect<bool>(re("\\W").fullMatch("-")).toBe(true);
    expect<bool>(re("\\s").fullMatch("\t")).toBe(true);
    expect<bool>(re("\\s").fullMatch("\v")).toBe(false); // RE2: \s has no \v
    expect<bool>(re("\\S\\D").fullMatch("xy")).toBe(true);
    expect<bool>(re("[[:alpha:]][[:digit:]]").fullMatch("a1")).toBe(true);
    expect<bool>(re("[[:^digit:]]").fullMatch("1")).toBe(false);
    expect<bool>(re("[a-cx-z]+").fullMatch("abzyx")).toBe(true);
    expect<bool>(re("[^a-c]").fullMatch("b")).toBe(false);
    expect<bool>(re("[]a]+").fullMatch("]a]")).toBe(true); // ] first is a literal
    expect<bool>(re("[a-]+").fullMatch("-a")).toBe(true);
    expect<bool>(re("[\\d.]+").fullMatch("1.2")).toBe(true);
    expect<bool>(re("\\x41\\x{20AC}\\n\\t").fullMatch("A€\n\t")).toBe(true);
    expect<bool>(re("a\\.b\\*\\\\").fullMatch("a.b*\\")).toBe(true);
  });

  it("reads anchors, alternation, groups and every quantifier", () => {
    expect<string>(span("^ab|cd$", "xcd")).toBe("1..3");
    expect<string>(span("^ab", "xab")).toBe("none");
    expect<string>(span("\\bfoo\\b", "a foo b")).toBe("2..5");
    expect<string>(span("\\Bo\\B", "foo")).toBe("1..2");
    expect<string>(span("\\Aab\\z", "ab")).toBe("0..2");
    expect<string>(span("a{2}", "aaaa")).toBe("0..2");
    expect<string>(span("a{2,}", "aaaa")).toBe("0..4");
    expect<string>(span("a{1,3}", "aaaa")).toBe("0..3");
    expect<string>(span("a{1,3}?", "aaaa")).toBe("0..1");
    expect<string>(span("a+?", "aaa")).toBe("0..1");
    expect<string>(span("a*?b", "aab")).toBe("0..3");
    expect<string>(span("a??", "a")).toBe("0..0");
    expect<string>(span("(?:ab)+", "ababa")).toBe("0..4");
    expect<string>(span("x(?:a|ab)(?:c|bcd)", "xabcd")).toBe("0..5");
    expect<string>(span("a{,2}", "a{,2}")).toBe("0..5"); // not a repetition: literal braces
  });

  it("applies flags to the rest of the group, or inside (?flags:...)", () => {
    expect<bool>(re("(?i)abc").fullMatch("AbC")).toBe(true);
    expect<bool>(re("a(?i)b").fullMatch("aB")).toBe(true);
    expect<bool>(re("a(?i)b").fullMatch("AB")).toBe(false);
    expect<bool>(re("(?i:a)b").fullMatch("Ab")).toBe(true);
    expect<bool>(re("(?i:a)b").fullMatch("AB")).toBe(false);
    expect<bool>(re("(?i)a(?-i)b").fullMatch("Ab")).toBe(true);
    expect<bool>(re("(?i)a(?-i)b").fullMatch("AB")).toBe(false);
    expect<bool>(re("(?s).").fullMatch("\n")).toBe(true);
    expect<bool>(re(".").fullMatch("\n")).toBe(false);
    expect<string>(span("(?m)^b$", "a\nb\nc")).toBe("2..3");
    expect<string>(span("^b$", "a\nb\nc")).toBe("none");
    expect<string>(span("(?U)a+", "aaa")).toBe("0..1");
  });

  it("ignores case for literals and classes, ASCII and beyond", () => {
    expect<bool>(re("hello", true).fullMatch("HeLLo")).toBe(true);
    expect<bool>(re("[a-c]+", true).fullMatch("AbC")).toBe(true);
    expect<bool>(re("[^a]", true).fullMatch("A")).toBe(false);
    expect<bool>(re("é", true).fullMatch("É")).toBe(true);
    expect<bool>(re("[а-я]+", true).fullMatch("ПРИВЕТ")).toBe(true);
    expect<bool>(re("µ", true).fullMatch("μ")).toBe(true); // micro sign, small mu
    expect<bool>(re("x", true).fullMatch("y")).toBe(false);
  });

  it("walks UTF-8 by code point; invalid bytes read as one U+FFFD each", () => {
    const r = re("^.€.$");
    expect<bool>(r.testBytes(String.UTF8.encode("a€😀"))).toBe(true);
    expect<bool>(r.test("a€😀")).toBe(true);
    expect<bool>(re("^[^a]$").testBytes(bytes([0xff]))).toBe(true);
    expect<bool>(re("^..$").testBytes(bytes([0xe2, 0x82]))).toBe(true); // truncated sequence
    expect<bool>(re("^.$").testBytes(bytes([0xc0, 0x80]))).toBe(false); // overlong: two bytes
    expect<bool>(re("^\\x{FFFD}$").testBytes(bytes([0xed, 0xa0, 0x80]))).toBe(false);
    const s = re("€+");
    expect<bool>(s.searchBytes(String.UTF8.encode("ab€€c"))).toBe(true);
    expect<i32>(s.matchStart).toBe(2);
    expect<i32>(s.matchEnd).toBe(8);
  });

  it("reports capture groups, numbered and named", () => {
    const r = re("(?P<user>\\w+)@(\\w+)(x)?");
    expect<i32>(r.groups).toBe(3);
    expect<i32>(r.groupIndex("user")).toBe(1);
    expect<i32>(r.groupIndex("nope")).toBe(-1);
    expect<bool>(r.search("mail: bob@host!", true)).toBe(true);
    expect<i32>(r.groupStart(0)).toBe(6);
    expect<i32>(r.groupEnd(0)).toBe(14);
    expect<i32>(r.groupStart(1)).toBe(6);
    expect<i32>(r.groupEnd(1)).toBe(9);
    expect<i32>(r.groupStart(2)).toBe(10);
    expect<i32>(r.groupEnd(2)).toBe(14);
    expect<i32>(r.groupStart(3)).toBe(-1);
    expect<i32>(r.groupStart(9)).toBe(-1);
    expect<i32>(re("(?<v>\\d)").groupIndex("v")).toBe(1);
  });
});

describe("Regex refusals", () => {
  it("names the position and construct of what it does not support", () => {
    expect<string>(errorOf("a(?=b)")).toBe("at position 1: lookahead (?= is not supported");
    expect<string>(errorOf("(?!b)")).toBe("at position 0: lookahead (?! is not supported");
    expect<string>(errorOf("x(?<=b)")).toBe("at position 1: lookbehind (?<= is not supported");
    expect<string>(errorOf("(?<!b)")).toBe("at position 0: lookbehind (?<! is not supported");
    expect<string>(errorOf("(a)\\1")).toBe("at position 3: backreferences (\\1) are not supported");
    expect<string>(errorOf("\\k<a>")).toBe("at position 0: backreferences (\\k) are not supported");
    expect<string>(errorOf("a*+")).toBe("at position 1: possessive quantifier *+ is not supported");
    expect<string>(errorOf("a{2}+")).toBe("at position 1: possessive quantifier {2}+ is not supported");
    expect<string>(errorOf("(?>a)")).toBe("at position 0: atomic group (?> is not supported");
    expect<string>(errorOf("\\p{L}")).toBe("at position 0: Unicode classes (\\p) are not supported");
    expect<string>(errorOf("\\Qa\\E")).toBe("at position 0: quoted literals (\\Q...\\E) are not supported");
    expect<string>(errorOf("\\012")).toBe("at position 0: octal escapes are not supported");
  });

  it("refuses malformed patterns", () => {
    expect<string>(errorOf("(ab")).toBe("at position 0: missing closing )");
    expect<string>(errorOf("ab)")).toBe("at position 2: unmatched )");
    expect<string>(errorOf("[ab")).toBe("at position 0: missing closing ]");
    expect<string>(errorOf("[z-a]")).toBe("at position 1: invalid character class range z-a");
    expect<string>(errorOf("*a")).toBe("at position 0: missing argument to repetition operator *");
    expect<string>(errorOf("a**")).toBe("at position 2: repetition of a repetition (**)");
    expect<string>(errorOf("a{3,2}")).toBe("at position 1: invalid repetition range {3,2}");
    expect<string>(errorOf("a{1001}")).toBe("at position 1: repetition count above 1000 in {1001}");
    expect<string>(errorOf("a\\")).toBe("at position 1: trailing backslash");
    expect<string>(errorOf("\\q")).toBe("at position 0: unknown escape \\q");
    expect<string>(errorOf("\\xZ1")).toBe(
      "at position 0: invalid hexadecimal escape (\\x needs two hex digits or {...})",
    );
    expect<string>(errorOf("\\x{110000}")).toBe("at position 0: invalid hexadecimal escape \\x{...}");
    expect<string>(errorOf("[[:nope:]]")).toBe("at position 1: unknown POSIX class [:nope:]");
    expect<string>(errorOf("[a-\\d]")).toBe("at position 3: a class escape cannot end a range");
    expect<string>(errorOf("(?z)")).toBe("at position 0: invalid or unsupported group syntax (?z");
    expect<string>(errorOf("(?P<a>x)(?P<a>y)")).toBe("at position 8: duplicate capture group name a");
    expect<string>(errorOf("(?P<>x)")).toBe("at position 0: invalid capture group name");
  });

  it("bounds nesting and the compiled size", () => {
    expect<string>(errorOf("(".repeat(200) + ")".repeat(200))).toBe("ok");
    expect<string>(errorOf("(".repeat(201) + ")".repeat(201))).toBe(
      "at position 200: groups nested deeper than 200",
    );
    expect<string>(errorOf("(".repeat(100000))).toBe("at position 200: groups nested deeper than 200");
    expect<string>(errorOf("(?:a{1000}){1000}")).toBe(
      "at position 0: pattern too large: it compiles to more than 10000 instructions (reduce repetition counts)",
    );
    expect<string>(errorOf("x(?:y|[a-z]{100}){50}", 1000)).toBe(
      "at position 1: pattern too large: it compiles to more than 1000 instructions (reduce repetition counts)",
    );
    expect<string>(errorOf("[a-z]{1000}")).toBe("ok");
    expect<i32>(re("[a-z]{1000}").instructions).toBe(1001);
  });
});

describe("Regex API", () => {
  it("compiles case-sensitively unless asked", () => {
    expect<bool>(Regex.compile("a").regex!.fullMatch("A")).toBe(false);
    expect<bool>(Regex.compile("a", true).regex!.fullMatch("A")).toBe(true);
  });

  it("tracks the span alone without captures, and every group with them, in every input form", () => {
    const r = re("(a)(b)?c");
    expect<bool>(r.search("xac")).toBe(true);
    expect<i32>(r.matchStart).toBe(1);
    expect<i32>(r.matchEnd).toBe(3);
    expect<i32>(r.groupStart(1)).toBe(-1); // not tracked
    // "xéabc" in UTF-8: é is two bytes, so a, b and c are at bytes 3, 4 and 5.
    const text = String.UTF8.encode("xéabc");
    const p = changetype<usize>(text);
    expect<bool>(r.searchBytes(text)).toBe(true);
    expect<i32>(r.matchStart).toBe(3);
    expect<i32>(r.matchEnd).toBe(6);
    expect<i32>(r.groupStart(1)).toBe(-1);
    expect<bool>(r.searchBytes(text, true)).toBe(true);
    expect<i32>(r.groupStart(1)).toBe(3);
    expect<i32>(r.groupEnd(1)).toBe(4);
    expect<i32>(r.groupStart(2)).toBe(4);
    expect<i32>(r.groupEnd(2)).toBe(5);
    expect<bool>(r.searchRaw(p, 6)).toBe(true);
    expect<i32>(r.matchStart).toBe(3);
    expect<i32>(r.matchEnd).toBe(6);
    expect<i32>(r.groupStart(1)).toBe(-1);
    expect<bool>(r.searchRaw(p, 6, true)).toBe(true);
    expect<i32>(r.groupStart(1)).toBe(3);
    expect<i32>(r.groupEnd(2)).toBe(5);
    expect<bool>(r.searchRaw(p, 5)).toBe(false); // the c past len is not read
    // A full match tracks nothing unless asked; with captures, the groups.
    const abc = String.UTF8.encode("abc");
    const q = changetype<usize>(abc);
    expect<bool>(r.fullMatchRaw(q, 3)).toBe(true);
    expect<i32>(r.matchStart).toBe(-1);
    expect<i32>(r.groupStart(1)).toBe(-1);
    expect<bool>(r.fullMatchRaw(q, 3, true)).toBe(true);
    expect<i32>(r.matchStart).toBe(0);
    expect<i32>(r.matchEnd).toBe(3);
    expect<i32>(r.groupStart(1)).toBe(0);
    expect<i32>(r.groupEnd(1)).toBe(1);
    expect<i32>(r.groupStart(2)).toBe(1);
    expect<i32>(r.groupEnd(2)).toBe(2);
    expect<bool>(r.fullMatchRaw(q, 2, true)).toBe(false);
    // Groups outside 0..groups are -1 at both ends.
    expect<i32>(r.groupStart(-1)).toBe(-1);
    expect<i32>(r.groupEnd(-1)).toBe(-1);
    expect<i32>(r.groupStart(3)).toBe(-1);
    expect<i32>(r.groupEnd(3)).toBe(-1);
  });

  it("reports its size: program, classes above and below ASCII, and matching state", () => {
    // [é-ж]: CLASS, MATCH (2 x 3 i32 = 24 bytes); two classes, the pattern's and the first
    // code points' (8 bitmap words, 3 starts, 2 x 2 high range ends: 60 bytes); two lists of
    // 1 + 2 x 2 + 2 x 2 i32, a stack of 6, work and result slots of 2 each (112 bytes).
    const r = re("[é-ж]");
    expect<i32>(r.instructions).toBe(2);
    expect<i32>(r.byteSize).toBe(196);
  });
});

function bytesOf(values: u8[]): ArrayBuffer {
  const buffer = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(buffer) + i, values[i]);
  return buffer;
}

describe("Regex edges", () => {
  it("compiles classes to their smallest form: adjacent and touching ranges merged", () => {
    expect<i32>(re("[à-éê-ж]").byteSize).toBe(re("[à-ж]").byteSize);
    expect<i32>(re("[à-éé-ж]").byteSize).toBe(re("[à-ж]").byteSize);
    expect<i32>(re("[^\\x00-\\x{10FFFE}]").byteSize).toBe(re("\\x{10FFFF}").byteSize);
    expect<i32>(re("a|b").instructions).toBe(5); // SPLIT, CHAR, JMP, CHAR, MATCH
    // (?s).: ANY, MATCH (24 bytes); the first code points' class, every one (4 bitmap words,
    // 2 starts, 1 high range: 32 bytes); matching state as for [é-ж] (112 bytes).
    expect<i32>(re("(?s).").byteSize).toBe(168);
  });

  it("holds classes at their edges: NUL, U+0080, the letters and digits at each end", () => {
    expect<bool>(re("[\\x00-\\x10]").fullMatch("\u0000")).toBe(true);
    expect<bool>(re("[\\x{80}-\\x{90}]").fullMatch("\u0080")).toBe(true);
    expect<bool>(re("a\u0000b").fullMatch("a\u0000b")).toBe(true);
    expect<bool>(re("[a-a]").fullMatch("a")).toBe(true);
    expect<bool>(re("[\\x00-\\x00]").fullMatch("\u0000")).toBe(true);
    expect<bool>(re("(?s).").fullMatch("\u0000")).toBe(true);
    expect<bool>(re(".").fullMatch("\u0000")).toBe(true);
    const xy = re("xy");
    expect<bool>(xy.testBytes(String.UTF8.encode("aaxy"))).toBe(true);
    expect<bool>(xy.searchBytes(String.UTF8.encode("aaxy"))).toBe(true);
    expect<i32>(xy.matchStart).toBe(2);
    const words = ["0", "9", "A", "Z", "a", "z", "_"];
    for (let i = 0; i < words.length; i++) {
      expect<bool>(re("\\b" + words[i] + "\\b").test(words[i])).toBe(true, words[i]);
    }
    const others = ["/", ":", "@", "[", "`", "{"];
    for (let i = 0; i < others.length; i++) {
      expect<bool>(re("\\B\\" + others[i] + "\\B").test(others[i])).toBe(true, others[i]);
    }
    expect<bool>(re("\\s\\s").fullMatch("\f\r")).toBe(true);
  });

  it("reads every POSIX class", () => {
    const names = ["alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word", "xdigit"];
    const inside = ["0zZ", "aZz", "\u0000\u007f", " \t", "\u0000\u001f\u007f", "09", "!~", "az", " ~", "!/:@[`{~", "\t\r ", "AZ", "09AZaz_", "09AFaf"];
    const outside = ["_", "0", "\u0080", "\n", " ", "a", " ", "A", "\u007f", "a0", "\u000e", "a", "-", "gG"];
    for (let i = 0; i < names.length; i++) {
      const r = re("[[:" + names[i] + ":]]+");
      expect<bool>(r.fullMatch(inside[i])).toBe(true, names[i] + " holds " + inside[i]);
      for (let j = 0; j < outside[i].length; j++) {
        expect<bool>(r.fullMatch(outside[i].charAt(j))).toBe(false, names[i] + " lacks " + outside[i].charAt(j));
      }
    }
  });

  it("folds Z and only single letters", () => {
    expect<bool>(re("Z", true).fullMatch("z")).toBe(true);
    // U+1E9E (capital sharp s) lowers to U+00DF, whose upper case is "SS": two letters, no fold.
    expect<bool>(re("\u1e9e", true).fullMatch("S")).toBe(false);
    expect<bool>(re("\u1e9e", true).fullMatch("\u00df")).toBe(true);
  });

  it("skips to a first literal below U+0080 only: U+0080 is two bytes in UTF-8", () => {
    const r = re("\\x{80}");
    expect<bool>(r.searchBytes(String.UTF8.encode("a\u0080"))).toBe(true);
    expect<i32>(r.matchStart).toBe(1);
    expect<i32>(r.matchEnd).toBe(3);
  });

  it("folds a letter whose lower case upper-cases to a third letter", () => {
    // U+03F4 (capital theta symbol) lowers to U+03B8, which uppers to U+0398.
    expect<bool>(re("\u03f4", true).fullMatch("\u0398")).toBe(true);
    expect<bool>(re("[\u03f4]", true).fullMatch("\u0398")).toBe(true);
  });

  it("counts the program exactly against the limit", () => {
    expect<string>(errorOf("abc", 4)).toBe("ok"); // 3 CHAR, MATCH
    expect<string>(errorOf("abc", 3)).toBe(
      "at position 0: pattern too large: it compiles to more than 3 instructions (reduce repetition counts)",
    );
    expect<string>(errorOf("a{3}", 4)).toBe("ok");
    expect<string>(errorOf("x(?:a{3})", 5)).toBe("ok");
    expect<string>(errorOf("a|b", 5)).toBe("ok"); // SPLIT, CHAR, JMP, CHAR, MATCH
    expect<string>(errorOf("(a)", 4)).toBe("ok"); // SAVE, CHAR, SAVE, MATCH
    expect<string>(errorOf("a{0,3}", 7)).toBe("ok"); // 3 x (SPLIT, CHAR), MATCH
    expect<string>(errorOf("a{0,3}", 6)).toBe(
      "at position 0: pattern too large: it compiles to more than 6 instructions (reduce repetition counts)",
    );
    // A repetition whose body alone is too large stays too large, even repeated once.
    expect<string>(errorOf("(?:a{20}){1}", 10)).toBe(
      "at position 3: pattern too large: it compiles to more than 10 instructions (reduce repetition counts)",
    );
  });

  it("searches past text no match can start with, whatever kind of first item", () => {
    const r = re("[xy]z");
    expect<bool>(r.search("a".repeat(100) + "xz")).toBe(true);
    expect<i32>(r.matchStart).toBe(100);
    expect<bool>(r.steps < 10).toBe(true, "skipped to the x");
    expect<string>(span(".z", "\u0001z")).toBe("0..2");
    expect<string>(span("(?:^)*x", "ax")).toBe("1..2");
  });

  it("reads braces that are not a repetition as literals, and bounds both counts", () => {
    expect<bool>(re("a*x2}").fullMatch("aax2}")).toBe(true);
    expect<bool>(re("a{2x").fullMatch("a{2x")).toBe(true);
    expect<string>(errorOf("a{1,1001}")).toBe("at position 1: repetition count above 1000 in {1,1001}");
    expect<string>(errorOf("a{0}b")).toBe("ok");
    expect<bool>(re("a{0}b").fullMatch("b")).toBe(true);
  });

  it("refuses every unsupported group and escape it names, and malformed ones", () => {
    expect<string>(errorOf("(?P=a)")).toBe("at position 0: backreference or recursion (?P= is not supported");
    expect<string>(errorOf("(?P>a)")).toBe("at position 0: backreference or recursion (?P> is not supported");
    expect<string>(errorOf("(?&a)")).toBe("at position 0: backreference or recursion (?&a is not supported");
    expect<string>(errorOf("(?i-)")).toBe("at position 0: invalid or unsupported group syntax (?i-)");
    expect<string>(errorOf("(?#x)")).toBe("at position 0: comments (?# are not supported");
    expect<string>(errorOf("\\09")).toBe("at position 0: octal escapes are not supported");
    expect<string>(errorOf("\\00")).toBe("at position 0: octal escapes are not supported");
    expect<bool>(re("\\0/").fullMatch("\u0000/")).toBe(true);
    expect<bool>(re("\\0:").fullMatch("\u0000:")).toBe(true);
    expect<string>(errorOf("\\x{}")).toBe("at position 0: invalid hexadecimal escape \\x{...}");
    expect<string>(errorOf("\\x{1234567}")).toBe("at position 0: invalid hexadecimal escape \\x{...}");
    expect<string>(errorOf("\\x{41")).toBe("at position 0: invalid hexadecimal escape \\x{...}");
    expect<bool>(re("\\x{41}").fullMatch("A")).toBe(true);
    expect<string>(errorOf("[a\\")).toBe("at position 2: trailing backslash");
    expect<string>(errorOf("\\Z")).toBe("at position 0: unknown escape \\Z");
    expect<string>(errorOf("\\P{L}")).toBe("at position 0: Unicode classes (\\P) are not supported");
    expect<string>(errorOf("(?P<" + "a".repeat(64) + ">x)")).toBe("ok");
    expect<string>(errorOf("(?P<" + "a".repeat(65) + ">x)")).toBe("at position 0: invalid capture group name");
    expect<string>(errorOf("(?P<a_9>x)")).toBe("ok");
    expect<string>(errorOf("(?P<a-b>x)")).toBe("at position 0: invalid capture group name");
  });

  it("decodes UTF-16 pairs and UTF-8 sequences at the edges of each length", () => {
    const one = re("^.$");
    expect<bool>(one.test("\uD800\uDC00")).toBe(true);
    expect<bool>(re("^\\x{800}$").testBytes(String.UTF8.encode("\u0800"))).toBe(true);
    expect<bool>(one.testBytes(bytesOf([0xf0, 0x90, 0x80, 0x80]))).toBe(true); // U+10000
    expect<bool>(re("^....$").testBytes(bytesOf([0xf0, 0x8f, 0xbf, 0xbf]))).toBe(true); // overlong
    expect<bool>(re("^....$").testBytes(bytesOf([0xf5, 0x80, 0x80, 0x80]))).toBe(true); // past U+10FFFF
    expect<bool>(re("^....$").testBytes(bytesOf([0x80, 0x80, 0x80, 0x80]))).toBe(true);
    // A sequence cut by len reads as one U+FFFD per byte, even with its end in memory after.
    const euro = String.UTF8.encode("€");
    expect<bool>(re("..").fullMatchRaw(changetype<usize>(euro), 2)).toBe(true);
  });
});
