// The regex engine against JavaScript's RegExp (a backtracking engine with the same
// leftmost-first semantics) on generated patterns x inputs: same match / no match, same span
// for search, same answer for a full match; over UTF-16 strings and UTF-8 bytes.

import { beforeAll, describe, expect, it } from "vitest";
import { generate, input, prng } from "./regex-corpus.ts";
import { RegexDriver } from "./regex-driver.ts";

let engine: RegexDriver;

beforeAll(async () => {
  engine = await RegexDriver.load();
}, 120_000);

/**
 * The leftmost-first match as the ECMAScript specification defines it with the u flag: tried
 * at each code point boundary in turn. (V8's own search loop also tries the middle of a
 * surrogate pair for empty-width matches such as `\B`, which the specification does not.)
 */
function reference(sticky: RegExp, text: string): { start: number; end: number } | null {
  for (let i = 0; i <= text.length; i++) {
    sticky.lastIndex = i;
    const m = sticky.exec(text);
    if (m !== null) return { start: i, end: i + m[0].length };
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit < 0xdc00) i++;
  }
  return null;
}

function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), "utf8");
}

describe("regex engine vs RegExp", () => {
  it("agrees on 2,500 generated patterns x 12 inputs (search span, test, full match)", () => {
    // REGEX_SEED and REGEX_PATTERNS run other or longer corpora by hand.
    const rand = prng(Number(process.env.REGEX_SEED ?? 20261130));
    const patterns = Number(process.env.REGEX_PATTERNS ?? 2500);
    let comparisons = 0;
    let matches = 0;
    let spanned = 0;
    const failures: string[] = [];
    for (let p = 0; p < patterns && failures.length < 10; p++) {
      const c = generate(rand);
      const refused = engine.compile(c.re2);
      if (refused !== null) {
        failures.push(`refused ${JSON.stringify(c.re2)}: ${refused}`);
        continue;
      }
      const search = new RegExp(c.js, `uy${c.flags}`);
      const full = new RegExp(`(?:${c.js})(?![^])`, `uy${c.flags}`);
      for (let k = 0; k < 12; k++) {
        const text = input(rand, k < 6 ? 6 : 14);
        const want = reference(search, text);
        full.lastIndex = 0;
        const wantFull = full.test(text);
        const bytes = Buffer.from(text, "utf8");
        const wantBytes =
          want === null
            ? null
            : { start: byteOffset(text, want.start), end: byteOffset(text, want.end) };
        const got = engine.search(text);
        const gotBytes = engine.searchBytes(bytes);
        const gotTest = engine.test(text);
        const gotFull = engine.fullMatch(text);
        const gotFullBytes = engine.fullMatchBytes(bytes);
        comparisons += 5;
        if (want !== null) matches++;
        const spans = c.spanComparable
          ? JSON.stringify(got) === JSON.stringify(want) &&
            JSON.stringify(gotBytes) === JSON.stringify(wantBytes)
          : (got !== null) === (want !== null) && (gotBytes !== null) === (want !== null);
        if (c.spanComparable && want !== null) spanned++;
        const same =
          spans && gotTest === (want !== null) && gotFull === wantFull && gotFullBytes === wantFull;
        if (!same) {
          failures.push(
            `${JSON.stringify(c.re2)} (js ${JSON.stringify(c.js)}/${c.flags}) on ${JSON.stringify(text)}: ` +
              `want ${JSON.stringify(want)} full=${wantFull}, got ${JSON.stringify(got)} ` +
              `bytes=${JSON.stringify(gotBytes)} test=${gotTest} full=${gotFull}/${gotFullBytes}`,
          );
        }
      }
    }
    console.log(`regex corpus: ${comparisons} comparisons, ${matches} matches, ${spanned} spans`);
    expect(failures).toEqual([]);
    expect(comparisons).toBeGreaterThan(100_000);
    // The corpus is only meaningful if both outcomes are common.
    expect(matches).toBeGreaterThan(5_000);
    expect(spanned).toBeGreaterThan(3_000);
  });
});
