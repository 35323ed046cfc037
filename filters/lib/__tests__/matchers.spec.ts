import { ConfigReader, readConfig } from "../../../assembly/config";
import { MatchKind, readStringMatcher, StringMatcher } from "../index";

function make(kind: MatchKind, value: string, ignoreCase: bool = false, invert: bool = false): StringMatcher {
  const r = StringMatcher.create(kind, value, ignoreCase, invert);
  if (r.matcher === null) expect<string>(r.error).toBe("(created)");
  return r.matcher!;
}

function both(m: StringMatcher, value: string): bool {
  const a = m.matches(value);
  const b = m.matchesBytes(String.UTF8.encode(value));
  expect<bool>(b).toBe(a, "bytes and string forms agree on " + value);
  return a;
}

function config(text: string): ConfigReader {
  return readConfig(String.UTF8.encode(text));
}

/** The first error reading the matcher at `key` of `text`, or "ok". */
function problem(text: string, key: string = "match", other: string[] = []): string {
  const cfg = config(text);
  const m = readStringMatcher(cfg, key, other);
  if (cfg.ok) {
    expect<bool>(m !== null).toBe(true);
    return "ok";
  }
  expect<bool>(m === null).toBe(true);
  return cfg.firstError;
}

describe("StringMatcher", () => {
  it("matches exact, prefix, suffix and contains, in both encodings", () => {
    expect<bool>(both(make(MatchKind.Exact, "beta"), "beta")).toBe(true);
    expect<bool>(both(make(MatchKind.Exact, "beta"), "betas")).toBe(false);
    expect<bool>(both(make(MatchKind.Prefix, "/api/"), "/api/users")).toBe(true);
    expect<bool>(both(make(MatchKind.Prefix, "/api/"), "/ap")).toBe(false);
    expect<bool>(both(make(MatchKind.Suffix, ".json"), "a.json")).toBe(true);
    expect<bool>(both(make(MatchKind.Suffix, ".json"), "json")).toBe(false);
    expect<bool>(both(make(MatchKind.Contains, "Mobile"), "Mozilla Mobile Safari")).toBe(true);
    expect<bool>(both(make(MatchKind.Contains, "Mobile"), "Mozilla Mobil")).toBe(false);
    expect<bool>(both(make(MatchKind.Contains, "é€"), "caféé€!")).toBe(true);
    expect<bool>(both(make(MatchKind.Prefix, ""), "")).toBe(true);
    // Values as long as the target, differing in the first unit only.
    expect<bool>(both(make(MatchKind.Exact, "abc"), "xbc")).toBe(false);
    expect<bool>(both(make(MatchKind.Suffix, ".json"), ".json")).toBe(true);
    expect<bool>(both(make(MatchKind.Suffix, ".json"), "xjson")).toBe(false);
  });

  it("finds contains in linear time, agreeing with indexOf on tricky overlaps", () => {
    const needles = ["aab", "abab", "aaaa", "abcab", "a", "ba"];
    const hay = ["aaab", "abaabab", "aaaaa", "ababcabcab", "", "bbbb", "abba"];
    for (let i = 0; i < needles.length; i++) {
      const m = make(MatchKind.Contains, needles[i]);
      for (let j = 0; j < hay.length; j++) {
        expect<bool>(both(m, hay[j])).toBe(hay[j].indexOf(needles[i]) >= 0, needles[i] + " in " + hay[j]);
      }
    }
    // A mismatch right after the first unit must restart from nothing, not from one unit.
    expect<bool>(both(make(MatchKind.Contains, "abc"), "abbc")).toBe(false);
    expect<bool>(both(make(MatchKind.Contains, "abc"), "xabbcabc")).toBe(true);
    expect<bool>(both(make(MatchKind.Contains, ""), "x")).toBe(true);
    expect<bool>(both(make(MatchKind.Contains, ""), "")).toBe(true);
    const long = "a".repeat(65536);
    expect<bool>(make(MatchKind.Contains, "a".repeat(100) + "b").matches(long)).toBe(false);
  });

  it("folds ASCII case when asked, and inverts", () => {
    expect<bool>(both(make(MatchKind.Exact, "Beta", true), "bEtA")).toBe(true);
    expect<bool>(both(make(MatchKind.Contains, "MOBILE", true), "x mobile y")).toBe(true);
    expect<bool>(both(make(MatchKind.Suffix, ".JSON", true), "A.Json")).toBe(true);
    expect<bool>(both(make(MatchKind.Exact, "beta", false, true), "beta")).toBe(false);
    expect<bool>(both(make(MatchKind.Exact, "beta", false, true), "alpha")).toBe(true);
    expect<bool>(both(make(MatchKind.Regex, "v[0-9]+", true), "V12")).toBe(true);
  });

  it("folds A-Z alone on both sides, as Envoy's ignore_case: other letters keep their case", () => {
    const cafe = make(MatchKind.Exact, "CAFÉ", true);
    expect<bool>(both(cafe, "CAFÉ")).toBe(true);
    expect<bool>(both(cafe, "cafÉ")).toBe(true);
    expect<bool>(both(cafe, "café")).toBe(false);
    // The letters at both ends of A-Z fold; the characters either side of them do not.
    expect<bool>(both(make(MatchKind.Exact, "az", true), "AZ")).toBe(true);
    expect<bool>(both(make(MatchKind.Exact, "AZ", true), "az")).toBe(true);
    expect<bool>(both(make(MatchKind.Exact, "`{", true), "@[")).toBe(false);
    expect<bool>(both(make(MatchKind.Exact, "@[", true), "@[")).toBe(true);
    expect<bool>(both(make(MatchKind.Contains, "`{", true), "x@[x")).toBe(false);
  });

  it("matches a path-segment prefix: the target alone or followed by /", () => {
    const m = make(MatchKind.SegmentPrefix, "/api");
    expect<bool>(both(m, "/api")).toBe(true);
    expect<bool>(both(m, "/api/v1")).toBe(true);
    expect<bool>(both(m, "/api/")).toBe(true);
    expect<bool>(both(m, "/apix")).toBe(false);
    expect<bool>(both(m, "/ap")).toBe(false);
    expect<bool>(both(make(MatchKind.SegmentPrefix, "/API", true), "/api/x")).toBe(true);
    expect<bool>(both(make(MatchKind.SegmentPrefix, "/API", true), "/apI-x")).toBe(false);
  });

  it("matches a regex against the whole value", () => {
    const m = make(MatchKind.Regex, "[a-z]+-[0-9]+");
    expect<bool>(both(m, "user-42")).toBe(true);
    expect<bool>(both(m, "xuser-42!")).toBe(false);
    expect<bool>(both(make(MatchKind.Regex, ".*canary.*"), "a canary b")).toBe(true);
    expect<string>(StringMatcher.create(MatchKind.Regex, "a(?=b)").error).toBe(
      "at position 1: lookahead (?= is not supported",
    );
  });

  it("reads whole base-10 integers for ranges, end exclusive", () => {
    const m = StringMatcher.create(MatchKind.Range, "", false, false, false, -10, 100).matcher!;
    expect<bool>(both(m, "-10")).toBe(true);
    expect<bool>(both(m, "99")).toBe(true);
    expect<bool>(both(m, "+5")).toBe(true);
    expect<bool>(both(m, "100")).toBe(false);
    expect<bool>(both(m, "-11")).toBe(false);
    expect<bool>(both(m, "5 ")).toBe(false);
    expect<bool>(both(m, "")).toBe(false);
    expect<bool>(both(m, "-")).toBe(false);
    expect<bool>(both(m, "0x10")).toBe(false);
    // The characters either side of 0-9 are not digits (they would read as -1 and 10).
    expect<bool>(both(m, "1/")).toBe(false);
    expect<bool>(both(m, "1:")).toBe(false);
    expect<bool>(both(m, "99999999999999999999999")).toBe(false);
    const wide = StringMatcher.create(MatchKind.Range, "", false, false, false, i64.MIN_VALUE, i64.MAX_VALUE).matcher!;
    expect<bool>(both(wide, "-9223372036854775808")).toBe(true);
    expect<bool>(both(wide, "9223372036854775806")).toBe(true);
    expect<bool>(both(wide, "9223372036854775808")).toBe(false);
  });

  it("treats a missing value as absent, or as empty when asked; invert applies last", () => {
    expect<bool>(make(MatchKind.Present, "").matches(null)).toBe(false);
    expect<bool>(make(MatchKind.Present, "").matches("")).toBe(true);
    expect<bool>(make(MatchKind.Absent, "").matches(null)).toBe(true);
    expect<bool>(make(MatchKind.Absent, "").matches("x")).toBe(false);
    expect<bool>(make(MatchKind.Exact, "x").matches(null)).toBe(false);
    expect<bool>(make(MatchKind.Exact, "x", false, true).matches(null)).toBe(true);
    const empty = StringMatcher.create(MatchKind.Exact, "", false, false, true).matcher!;
    expect<bool>(empty.matches(null)).toBe(true);
    expect<bool>(empty.matchesBytes(null)).toBe(true);
    const re = StringMatcher.create(MatchKind.Regex, "x*", false, false, true).matcher!;
    expect<bool>(re.matches(null)).toBe(true);
  });
});

describe("StringMatcher on raw memory and defaults", () => {
  it("reads exactly len bytes at ptr, never the bytes after them", () => {
    const abc = String.UTF8.encode("abcabc/");
    const p = changetype<usize>(abc);
    // The value is "ab", followed in memory by "c": no kind may read on into it.
    expect<bool>(make(MatchKind.Exact, "abc").matchesAt(p, 2)).toBe(false);
    expect<bool>(make(MatchKind.Prefix, "abc").matchesAt(p, 2)).toBe(false);
    expect<bool>(make(MatchKind.SegmentPrefix, "abc").matchesAt(p, 2)).toBe(false);
    expect<bool>(make(MatchKind.Suffix, "abc").matchesAt(p + 1, 2)).toBe(false);
    expect<bool>(make(MatchKind.Contains, "abc").matchesAt(p, 2)).toBe(false);
    expect<bool>(make(MatchKind.Exact, "abc").matchesAt(p, 3)).toBe(true);
    expect<bool>(make(MatchKind.Prefix, "abc").matchesAt(p, 4)).toBe(true);
    expect<bool>(make(MatchKind.Suffix, "abc").matchesAt(p, 6)).toBe(true);
    expect<bool>(make(MatchKind.SegmentPrefix, "abcabc").matchesAt(p, 7)).toBe(true);
    expect<bool>(make(MatchKind.SegmentPrefix, "abcab").matchesAt(p, 7)).toBe(false);
    const slash = String.UTF8.encode("abc/");
    const q = changetype<usize>(slash);
    expect<bool>(make(MatchKind.SegmentPrefix, "abc").matchesAt(q, 2)).toBe(false);
    expect<bool>(make(MatchKind.SegmentPrefix, "abc").matchesAt(q, 4)).toBe(true);
    // testAt is the match before invert; matchesAt applies it.
    const inverted = make(MatchKind.Prefix, "abc", false, true);
    expect<bool>(inverted.testAt(p, 3)).toBe(true);
    expect<bool>(inverted.matchesAt(p, 3)).toBe(false);
    expect<bool>(inverted.testAt(p, 2)).toBe(false);
    expect<bool>(inverted.matchesAt(p, 2)).toBe(true);
  });

  it("creates a matcher that is case-sensitive, not inverted and absent for a missing value by default", () => {
    const exact = StringMatcher.create(MatchKind.Exact, "A").matcher!;
    expect<bool>(exact.matches("a")).toBe(false);
    expect<bool>(exact.matches("A")).toBe(true);
    expect<bool>(StringMatcher.create(MatchKind.Exact, "").matcher!.matches(null)).toBe(false);
    expect<bool>(StringMatcher.create(MatchKind.Exact, "").matcher!.matches("")).toBe(true);
    // The default range is empty: [0, 0).
    expect<bool>(StringMatcher.create(MatchKind.Range, "").matcher!.matches("0")).toBe(false);
  });

  it("keeps present and absent about presence even when a missing value counts as empty", () => {
    const present = StringMatcher.create(MatchKind.Present, "", false, false, true).matcher!;
    expect<bool>(present.matches(null)).toBe(false);
    expect<bool>(present.matchesBytes(null)).toBe(false);
    const absent = StringMatcher.create(MatchKind.Absent, "", false, true, true).matcher!;
    expect<bool>(absent.matches(null)).toBe(false);
    expect<bool>(absent.matches("")).toBe(true);
  });

  it("keeps the kinds' values", () => {
    expect<i32>(MatchKind.Exact).toBe(0);
    expect<i32>(MatchKind.Prefix).toBe(1);
    expect<i32>(MatchKind.Suffix).toBe(2);
    expect<i32>(MatchKind.Contains).toBe(3);
    expect<i32>(MatchKind.Regex).toBe(4);
    expect<i32>(MatchKind.Present).toBe(5);
    expect<i32>(MatchKind.Absent).toBe(6);
    expect<i32>(MatchKind.Range).toBe(7);
    expect<i32>(MatchKind.SegmentPrefix).toBe(8);
  });
});

describe("readStringMatcher", () => {
  it("reads every kind and flag", () => {
    const cfg = config(
      '{"a":{"prefix":"/api","ignore_case":true},"b":{"present":true},"c":{"present":false},' +
        '"d":{"range":{"start":1,"end":5},"invert":true},"e":{"regex":"v[0-9]+"},' +
        '"f":{"exact":"","treat_missing_as_empty":true},"g":{"name":"x","suffix":"z"}}',
    );
    const a = readStringMatcher(cfg, "a")!;
    expect<i32>(a.kind).toBe(MatchKind.Prefix);
    expect<bool>(a.matches("/API/x")).toBe(true);
    expect<i32>(readStringMatcher(cfg, "b")!.kind).toBe(MatchKind.Present);
    expect<i32>(readStringMatcher(cfg, "c")!.kind).toBe(MatchKind.Absent);
    const d = readStringMatcher(cfg, "d")!;
    expect<bool>(d.matches("3")).toBe(false);
    expect<bool>(d.matches("5")).toBe(true);
    expect<bool>(readStringMatcher(cfg, "e")!.matches("v2")).toBe(true);
    expect<bool>(readStringMatcher(cfg, "f")!.matches(null)).toBe(true);
    // Without treat_missing_as_empty a missing value is absent, even for an empty exact.
    expect<bool>(readStringMatcher(config('{"h":{"exact":""}}'), "h")!.matches(null)).toBe(false);
    expect<bool>(readStringMatcher(cfg, "g", ["name"])!.matches("xyz")).toBe(true);
    expect<bool>(cfg.ok).toBe(true);
  });

  it("names the field path of every mistake", () => {
    expect<string>(problem('{"rules":[{},{},{"match":{"regex":"a(?=b)"}}]}', "rules[2].match")).toBe(
      'invalid configuration: field "rules[2].match.regex": at position 1: lookahead (?= is not supported',
    );
    expect<string>(problem('{"match":{}}')).toBe(
      'invalid configuration: field "match": needs one of exact, prefix, suffix, contains, regex, present, absent, range, segment_prefix',
    );
    expect<string>(problem("{}")).toBe('invalid configuration: field "match": required field missing');
    expect<string>(problem('{"match":"x"}')).toBe('invalid configuration: field "match": expected an object, got "x"');
    expect<string>(problem('{"match":{"exact":"a","prefix":"b"}}')).toBe(
      'invalid configuration: field "match.prefix": only one of exact, prefix, suffix, contains, regex, present, absent, range, segment_prefix may be set (exact is too)',
    );
    expect<string>(problem('{"match":{"exact":1}}')).toBe(
      'invalid configuration: field "match.exact": expected a string, got 1',
    );
    expect<string>(problem('{"match":{"exact":"a","ignorecase":true}}')).toBe(
      'invalid configuration: field "match.ignorecase": unknown field (did you mean "ignore_case"?)',
    );
    expect<string>(problem('{"match":{"exact":"a","invert":"yes"}}')).toBe(
      'invalid configuration: field "match.invert": expected true or false, got "yes"',
    );
    expect<string>(problem('{"match":{"present":1}}')).toBe(
      'invalid configuration: field "match.present": expected true or false, got 1',
    );
    expect<string>(problem('{"match":{"range":{"start":5,"end":5}}}')).toBe(
      'invalid configuration: field "match.range.end": must be above start (5); the end is exclusive',
    );
    expect<string>(problem('{"match":{"range":{"start":1}}}')).toBe(
      'invalid configuration: field "match.range.end": required field missing',
    );
    expect<string>(problem('{"match":{"range":{"start":1.5,"end":3}}}')).toBe(
      'invalid configuration: field "match.range.start": expected an integer, got 1.5',
    );
    expect<string>(problem('{"match":{"range":[1,2]}}')).toBe(
      'invalid configuration: field "match.range": expected an object, got [1,2]',
    );
    expect<string>(problem('{"match":{"range":null}}')).toBe(
      'invalid configuration: field "match.range": expected an object, got null',
    );
    expect<string>(problem('{"match":{"range":{"start":1,"end":5,"stop":3}}}')).toBe(
      'invalid configuration: field "match.range.stop": unknown field',
    );
    expect<string>(problem('{"match":{"present":true,"ignore_case":true}}')).toBe(
      'invalid configuration: field "match.ignore_case": applies to exact, prefix, suffix, contains, segment_prefix and regex only',
    );
    expect<string>(problem('{"h":[{"name":"x","regex":"(a"}]}', "h[0]", ["name"])).toBe(
      'invalid configuration: field "h[0].regex": at position 0: missing closing )',
    );
    expect<string>(problem('{"match":{"segment_prefix":"/api/"}}')).toBe(
      'invalid configuration: field "match.segment_prefix": "/api/" must be non-empty and must not end with /',
    );
    expect<string>(problem('{"match":{"segment_prefix":""}}')).toBe(
      'invalid configuration: field "match.segment_prefix": "" must be non-empty and must not end with /',
    );
    expect<string>(problem('{"match":{"segment_prefix":"/v1","ignore_case":true}}')).toBe("ok");
  });
});
