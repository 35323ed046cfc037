// AssemblyScript test driver for the regex engine: plain numeric exports so a TypeScript test
// can compile patterns and run matches through the real engine (filters/lib/test/*.test.ts).
// Text crosses in one buffer owned here; the test writes UTF-8 (or UTF-16) into it.

import { Regex } from "../../regex";

let current: Regex | null = null;
let buffer = new ArrayBuffer(0);
let message = new ArrayBuffer(0);

/** A buffer of `size` bytes for the next call's text; returns its address. */
export function reserve(size: i32): usize {
  buffer = new ArrayBuffer(size);
  return changetype<usize>(buffer);
}

/** Compiles the UTF-8 pattern in the buffer: 1 ok, 0 refused (see `errorAt`/`errorText`). */
export function compile(len: i32, ignoreCase: bool, maxInstructions: i32): i32 {
  const pattern = String.UTF8.decodeUnsafe(changetype<usize>(buffer), len);
  const result = Regex.compile(pattern, ignoreCase, maxInstructions);
  current = result.regex;
  message = String.UTF8.encode(result.error !== null ? result.error!.toString() : "");
  return current !== null ? 1 : 0;
}

/** The last refusal as UTF-8 at `errorText()`, `errorLength()` bytes. */
export function errorText(): usize {
  return changetype<usize>(message);
}

export function errorLength(): i32 {
  return message.byteLength;
}

export function instructions(): i32 {
  return current!.instructions;
}

export function byteSize(): i32 {
  return current!.byteSize;
}

/** Search over `len` UTF-8 bytes in the buffer: 1 found (span via matchStart/matchEnd). */
export function search(len: i32): i32 {
  return current!.searchRaw(changetype<usize>(buffer), len) ? 1 : 0;
}

export function fullMatch(len: i32): i32 {
  return current!.fullMatchRaw(changetype<usize>(buffer), len) ? 1 : 0;
}

/** Search over `units` UTF-16 code units in the buffer, through the string API. */
export function searchUtf16(units: i32): i32 {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(buffer), <usize>units << 1);
  return current!.search(text) ? 1 : 0;
}

export function testUtf16(units: i32): i32 {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(buffer), <usize>units << 1);
  return current!.test(text) ? 1 : 0;
}

export function fullMatchUtf16(units: i32): i32 {
  const text = String.UTF16.decodeUnsafe(changetype<usize>(buffer), <usize>units << 1);
  return current!.fullMatch(text) ? 1 : 0;
}

export function matchStart(): i32 {
  return current!.matchStart;
}

export function matchEnd(): i32 {
  return current!.matchEnd;
}
