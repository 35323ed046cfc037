// The hostile inputs, apart from the syntax specs because they take most of the time (64 KiB
// inputs): mutation runs judge most mutants with regex.spec.ts alone and bring this file in
// for the ones it leaves.
import { Regex } from "../index";

function re(pattern: string): Regex {
  const r = Regex.compile(pattern);
  if (r.error !== null) expect<string>(r.error!.toString()).toBe("(compiled)", pattern);
  return r.regex!;
}

// Each of these takes exponential or polynomial time in a backtracking engine on 64 KiB;
// here every pattern runs in one pass. The test finishing is the point; the answers are
// checked too.
const n = 65536;
const as = "a".repeat(n);
const xs = "x".repeat(n);

describe("Regex on hostile input", () => {
  it("(a*)*b over 64 KiB of a", () => {
    const r = re("(a*)*b");
    expect<bool>(r.test(as)).toBe(false);
    expect<bool>(r.search(as, true)).toBe(false);
    expect<bool>(r.fullMatch(as)).toBe(false);
    expect<bool>(r.testBytes(String.UTF8.encode(as + "b"))).toBe(true);
  });

  it("(a|aa)+$ over 64 KiB of a then !", () => {
    const r = re("(a|aa)+$");
    expect<bool>(r.test(as + "!")).toBe(false);
    expect<bool>(r.search(as)).toBe(true);
    expect<i32>(r.matchEnd).toBe(n);
  });

  it("(x+x+)+y over 64 KiB of x", () => {
    const r = re("(x+x+)+y");
    expect<bool>(r.test(xs)).toBe(false);
    expect<bool>(r.fullMatch(xs)).toBe(false);
    expect<bool>(r.search(xs + "y", true)).toBe(true);
    expect<i32>(r.matchStart).toBe(0);
  });

  it("a large counted pattern over 64 KiB", () => {
    const r = re("(?:a|b){50}c");
    expect<bool>(r.test(as)).toBe(false);
  });

  it("takes steps linear in the input: within (n + 1) x instructions, and double for double", () => {
    const patterns = ["(a*)*b", "(a|aa)+$", "(x+x+)+y", "(?:a|b){50}c", "(a|a)*c", "(.*a){20}"];
    const inputs = ["a", "a", "x", "a", "a", "a"];
    for (let i = 0; i < patterns.length; i++) {
      const r = re(patterns[i]);
      r.search(inputs[i].repeat(n / 4));
      const quarter = r.steps;
      r.search(inputs[i].repeat(n / 2));
      const half = r.steps;
      r.search(inputs[i].repeat(n));
      const full = r.steps;
      expect<bool>(full <= <i64>(n + 1) * <i64>r.instructions).toBe(true, patterns[i] + " within the bound");
      expect<bool>(quarter > 0).toBe(true, patterns[i] + " ran");
      // Linear (a*n + b): the second n/2 units cost twice the n/4 before them, up to the
      // threads of one position. A quadratic engine would cost three times; backtracking more.
      expect<bool>(full - half <= 2 * (half - quarter) + <i64>r.instructions).toBe(true, patterns[i] + " linear");
    }
  });
});
