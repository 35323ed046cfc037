// A linear-time regular expression engine for RE2 syntax.
//
// Compile once, in the root's onConfigure; match per request. Matching is a Pike VM over the
// compiled program: every step advances all live threads by one code point, so the time is
// bounded by (text length x program size) for every pattern, including the ones that make
// backtracking engines explode (`(a*)*b`, `(x+x+)+y`). No backtracking, backreferences or
// lookaround, by design. The supported syntax is documented in filters/lib/README.md.
//
// Pure module: no host imports; every function is legal in any callback.
//
//   const compiled = Regex.compile("^/api/v[0-9]+/");
//   if (compiled.error !== null) { log.error(compiled.error!.toString()); return false; }
//   const re = compiled.regex!;        // keep it in the root's config
//   re.test(path);                     // per request: no allocation

import { Compiler, Program } from "./regex/compile";
import { Parser, RegexError } from "./regex/parse";
import { Machine, MODE_ANY, MODE_FULL, MODE_SEARCH } from "./regex/vm";

export { RegexError } from "./regex/parse";

/** Default bound on the compiled program (instructions). About 60 bytes each at match time. */
// @ts-ignore: decorator
@inline export const REGEX_MAX_INSTRUCTIONS: i32 = 10000;

/** Either a compiled pattern or the reason it was refused. */
export class RegexCompileResult {
  constructor(
    public readonly regex: Regex | null,
    public readonly error: RegexError | null,
  ) {}
}

/**
 * A compiled pattern. Not reentrant (one match at a time, which is always the case in a
 * proxy-wasm VM); results of the last match stay readable until the next one.
 * Positions are in the input's own units: UTF-16 code units for strings, bytes for buffers.
 */
export class Regex {
  private readonly machine: Machine;

  private constructor(
    private readonly program: Program,
    /** The pattern as written. */
    public readonly pattern: string,
    /** Names of capture groups by index - 1 ("" when unnamed). */
    public readonly groupNames: string[],
  ) {
    this.machine = new Machine(program);
  }

  /**
   * Compiles `pattern` (RE2 syntax). `ignoreCase` is the same as a leading `(?i)`;
   * `maxInstructions` bounds the program (patterns that compile larger are refused).
   * Legal anywhere; meant for onConfigure. Example: `Regex.compile("^v[0-9]+$", true)`.
   */
  static compile(
    pattern: string,
    ignoreCase: bool = false,
    maxInstructions: i32 = REGEX_MAX_INSTRUCTIONS,
  ): RegexCompileResult {
    const parser = new Parser(pattern, ignoreCase);
    const tree = parser.parse();
    if (tree === null) return new RegexCompileResult(null, parser.error);
    const compiler = new Compiler(maxInstructions);
    const program = compiler.compile(tree, parser.captures);
    if (program === null) return new RegexCompileResult(null, compiler.error);
    return new RegexCompileResult(new Regex(program, pattern, parser.names), null);
  }

  /** Number of capture groups. */
  get groups(): i32 {
    return this.program.groups;
  }

  /** Instructions in the compiled program. */
  get instructions(): i32 {
    return this.program.length;
  }

  /** Thread steps the last match took: live threads summed over the input positions it
   *  read. At most (input length + 1) x `instructions`; tests use it to check the time is
   *  linear in the input. */
  get steps(): i64 {
    return this.machine.steps;
  }

  /** Bytes this pattern holds (program, classes, matching state). */
  get byteSize(): i32 {
    return this.program.code.length * 4 + this.program.classes.byteSize + this.machine.byteSize;
  }

  /** Whether the whole of `text` matches (as if the pattern were `^(?:...)$`). */
  fullMatch(text: string): bool {
    return this.machine.run(changetype<usize>(text), text.length, true, MODE_FULL, 0);
  }

  /** `fullMatch` over UTF-8 bytes. Example: `re.fullMatchBytes(headers.getBytes(name)!)`. */
  fullMatchBytes(bytes: ArrayBuffer): bool {
    return this.machine.run(changetype<usize>(bytes), bytes.byteLength, false, MODE_FULL, 0);
  }

  /** Whether the pattern matches anywhere in `text` (fastest: no positions kept). */
  test(text: string): bool {
    return this.machine.run(changetype<usize>(text), text.length, true, MODE_ANY, 0);
  }

  /** `test` over UTF-8 bytes. */
  testBytes(bytes: ArrayBuffer): bool {
    return this.machine.run(changetype<usize>(bytes), bytes.byteLength, false, MODE_ANY, 0);
  }

  /**
   * Finds the leftmost-first match (the one Perl or JavaScript would report); then
   * `matchStart`/`matchEnd` hold its span, and with `captures` the groups' spans too.
   * Example: `if (re.search(v)) v.substring(re.matchStart, re.matchEnd)`.
   */
  search(text: string, captures: bool = false): bool {
    const slots = captures ? (this.program.groups + 1) * 2 : 2;
    return this.machine.run(changetype<usize>(text), text.length, true, MODE_SEARCH, slots);
  }

  /** `search` over UTF-8 bytes (positions are byte offsets). */
  searchBytes(bytes: ArrayBuffer, captures: bool = false): bool {
    const slots = captures ? (this.program.groups + 1) * 2 : 2;
    return this.machine.run(changetype<usize>(bytes), bytes.byteLength, false, MODE_SEARCH, slots);
  }

  /** `search` over `len` UTF-8 bytes at `ptr`, for callers holding raw memory. */
  searchRaw(ptr: usize, len: i32, captures: bool = false): bool {
    const slots = captures ? (this.program.groups + 1) * 2 : 2;
    return this.machine.run(ptr, len, false, MODE_SEARCH, slots);
  }

  /** Whether the whole of `len` UTF-8 bytes at `ptr` matches. */
  fullMatchRaw(ptr: usize, len: i32, captures: bool = false): bool {
    const slots = captures ? (this.program.groups + 1) * 2 : 0;
    return this.machine.run(ptr, len, false, MODE_FULL, slots);
  }

  /** Start of the last match (after a successful `search`). */
  get matchStart(): i32 {
    return unchecked(this.machine.result[0]);
  }

  /** End of the last match. */
  get matchEnd(): i32 {
    return unchecked(this.machine.result[1]);
  }

  /** Start of group `k` in the last match searched with captures; -1 if it took no part. */
  groupStart(k: i32): i32 {
    if (k < 0 || k > this.program.groups) return -1;
    return unchecked(this.machine.result[2 * k]);
  }

  /** End of group `k` in the last match searched with captures; -1 if it took no part. */
  groupEnd(k: i32): i32 {
    if (k < 0 || k > this.program.groups) return -1;
    return unchecked(this.machine.result[2 * k + 1]);
  }

  /** The index of the group called `name`, or -1. */
  groupIndex(name: string): i32 {
    const i = this.groupNames.indexOf(name);
    return i < 0 ? -1 : i + 1;
  }
}
