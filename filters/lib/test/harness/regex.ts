// AssemblyScript test driver for the regex engine: plain numeric exports so a TypeScript test
// can compile patterns and run matches through the real engine (filters/lib/test/*.test.ts).
// Text crosses in the shared input buffer (buffers.ts); the test writes UTF-8 (or UTF-16)
// into it. A refusal's message comes back as the result.

import { Regex } from "../../regex";
import { input, setResult } from "./buffers";

export { reserve, reserveSecond, resultLength, resultPtr } from "./buffers";

let current: Regex | null = null;

/** Compiles the UTF-8 pattern in the buffer: 1 ok, 0 refused (the reason becomes the result). */
export function compile(len: i32, ignoreCase: bool, maxInstructions: i32): i32 {
  const pattern = String.UTF8.decodeUnsafe(changetype<usize>(input()), len);
  const result = Regex.compile(pattern, ignoreCase, maxInstructions);
  current = result.regex;
  setResult(String.UTF8.encode(result.error !== null ? result.error!.toString() : ""));
  return current !== null ? 1 : 0;
}

export function instructions(): i32 {
  return current!.instructions;
}

export function byteSize(): i32 {
  return current!.byteSize;
}

/** Search over `len` UTF-8 bytes in the buffer: 1 found (span via matchStart/matchEnd). */
export function search(len: i32): i32 {
  return current!.searchRaw(changetype<usize>(input()), len) ? 1 : 0;
}

export function fullMatch(len: i32): i32 {
  return current!.fullMatchRaw(changetype<usize>(input()), len) ? 1 : 0;
}

/** Search over `units` UTF-16 code units in the buffer, through the string API. */
export function searchUtf16(units: i32): i32 {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(input()), <usize>units << 1);
  return current!.search(text) ? 1 : 0;
}

export function testUtf16(units: i32): i32 {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(input()), <usize>units << 1);
  return current!.test(text) ? 1 : 0;
}

export function fullMatchUtf16(units: i32): i32 {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(input()), <usize>units << 1);
  return current!.fullMatch(text) ? 1 : 0;
}

export function matchStart(): i32 {
  return current!.matchStart;
}

export function matchEnd(): i32 {
  return current!.matchEnd;
}
