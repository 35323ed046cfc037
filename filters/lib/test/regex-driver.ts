// Loads the regex engine into Node through the AssemblyScript test driver
// (harness/regex.ts), compiled here with the project's compiler.

import { type BufferExports, type Buffers, buffersOf, loadHarness } from "./load-harness.ts";

interface Exports extends BufferExports {
  compile(len: number, ignoreCase: number, maxInstructions: number): number;
  instructions(): number;
  byteSize(): number;
  search(len: number): number;
  fullMatch(len: number): number;
  searchUtf16(units: number): number;
  testUtf16(units: number): number;
  fullMatchUtf16(units: number): number;
  matchStart(): number;
  matchEnd(): number;
}

export interface Span {
  start: number;
  end: number;
}

/** The engine as the tests use it; positions are UTF-8 byte offsets or UTF-16 indexes. */
export class RegexDriver {
  private readonly io: Buffers;

  private constructor(private readonly x: Exports) {
    this.io = buffersOf(x);
  }

  /** Compiles the driver and instantiates it. */
  static async load(): Promise<RegexDriver> {
    return new RegexDriver(await loadHarness<Exports>("regex"));
  }

  /** null when compiled, else the refusal ("at position N: ..."). */
  compile(pattern: string, ignoreCase = false, maxInstructions = 10000): string | null {
    this.io.put(Buffer.from(pattern, "utf8"));
    if (this.x.compile(Buffer.byteLength(pattern), ignoreCase ? 1 : 0, maxInstructions)) {
      return null;
    }
    return this.io.result().toString("utf8");
  }

  get instructions(): number {
    return this.x.instructions();
  }

  get byteSize(): number {
    return this.x.byteSize();
  }

  /** Leftmost-first search over the UTF-8 bytes; byte offsets. */
  searchBytes(input: Uint8Array): Span | null {
    this.io.put(input);
    if (!this.x.search(input.length)) return null;
    return { start: this.x.matchStart(), end: this.x.matchEnd() };
  }

  fullMatchBytes(input: Uint8Array): boolean {
    this.io.put(input);
    return this.x.fullMatch(input.length) === 1;
  }

  /** Leftmost-first search through the string API; UTF-16 indexes. */
  search(text: string): Span | null {
    this.io.putUtf16(text);
    if (!this.x.searchUtf16(text.length)) return null;
    return { start: this.x.matchStart(), end: this.x.matchEnd() };
  }

  test(text: string): boolean {
    this.io.putUtf16(text);
    return this.x.testUtf16(text.length) === 1;
  }

  fullMatch(text: string): boolean {
    this.io.putUtf16(text);
    return this.x.fullMatchUtf16(text.length) === 1;
  }
}
