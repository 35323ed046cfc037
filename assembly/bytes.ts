// Find, replace and redact on bytes, without decoding.
//
// Bodies are bytes, and need not be UTF-8 (an upload, a gzip stream, a form with Latin-1):
// decoding them to a string loses what is not UTF-8, and AssemblyScript's
// `String.replaceAll` (0.27 and 0.28) writes past its buffer when the replacement is much
// longer than the input. These functions work on the bytes the host gave, size their output
// exactly before writing it, and never trap on any input.
//
// `ByteReplacer` is the tool for bodies. `applyTo(body, endOfStream)` works whether the body
// is buffered whole or arrives in chunks: when a chunk ends with the start of a possible match,
// it returns Action.Pause, so the proxy keeps that chunk and calls again with it and the next
// one together (Envoy's StopIterationAndBuffer); a match that straddles two chunks is found
// the same as in one buffer. Pure module apart from `applyTo`.

import { Action } from "./abi/types";
import { Buffer } from "./host/buffers";
import { ensureRoom } from "./internal/memory";

/** The index of the first `needle` in `data` at or after `from`, or -1. An empty needle
 *  matches at `from`. Legal anywhere. Example: `indexOfBytes(body, utf8("secret"))` */
export function indexOfBytes(data: ArrayBuffer, needle: ArrayBuffer, from: i32 = 0): i32 {
  const n = data.byteLength;
  const m = needle.byteLength;
  if (from < 0) from = 0;
  if (m == 0) return from <= n ? from : -1;
  if (m > n) return -1;
  const d = changetype<usize>(data);
  const s = changetype<usize>(needle);
  const first = load<u8>(s);
  for (let i = from; i <= n - m; i++) {
    if (load<u8>(d + <usize>i) == first && memory.compare(d + <usize>i, s, <usize>m) == 0) return i;
  }
  return -1;
}

/** A copy of `data` with every `needle` replaced by `replacement`, left to right, matches
 *  not overlapping. An empty needle changes nothing. Legal anywhere. */
export function replaceAllBytes(data: ArrayBuffer, needle: ArrayBuffer, replacement: ArrayBuffer): ArrayBuffer {
  return new ByteReplacer([needle], replacement).apply(data);
}

/**
 * Replaces every occurrence of any of a fixed set of byte strings with one replacement,
 * in one left-to-right pass: at each position the longest needle that matches wins, and the
 * replacement is never searched again. Build it once (in onConfigure) and use it per request.
 *
 * Example (in onRequestBody, buffered or streaming):
 * `return this.root.redactor.applyTo(this.request.body, endOfStream);`
 */
export class ByteReplacer {
  private readonly needles: ArrayBuffer[];
  /** Which bytes start some needle: most positions are rejected with one load. */
  private readonly starts: StaticArray<bool> = new StaticArray<bool>(256);
  /** Replacements made by the last apply/applyTo. */
  matches: i32 = 0;

  /** Empty needles are ignored. */
  constructor(needles: ArrayBuffer[], public readonly replacement: ArrayBuffer) {
    const kept = new Array<ArrayBuffer>(0);
    for (let i = 0; i < needles.length; i++) {
      if (unchecked(needles[i]).byteLength > 0) kept.push(unchecked(needles[i]));
    }
    // Longest first, so the first needle that matches at a position is the longest.
    kept.sort((a: ArrayBuffer, b: ArrayBuffer): i32 => b.byteLength - a.byteLength);
    this.needles = kept;
    for (let i = 0; i < kept.length; i++) unchecked((this.starts[load<u8>(changetype<usize>(unchecked(kept[i])))] = true));
  }

  /** `data` with every match replaced (the same buffer when nothing matched). */
  apply(data: ArrayBuffer): ArrayBuffer {
    return this.rewrite(data, true)!;
  }

  /**
   * Rewrites a body in its body callback. With `endOfStream` false and a possible match cut
   * off at the chunk's end, changes nothing and returns Action.Pause (the proxy buffers the
   * chunk and calls again with more); otherwise replaces every match and returns
   * Action.Continue. Legal in onRequestBody / onResponseBody.
   */
  applyTo(body: Buffer, endOfStream: bool): Action {
    const data = body.read();
    const size = this.measure(data, endOfStream);
    if (size < 0) return Action.Pause;
    if (this.matches == 0) return Action.Continue;
    ensureRoom(<u64>size, "rewriting a body");
    body.replace(this.write(data, size));
    return Action.Continue;
  }

  /** Length of the needle matching at `at` (0: none); -1 when a needle could still match
   *  but `data` ends first and more may come. */
  private matchAt(d: usize, n: i32, at: i32, final: bool): i32 {
    if (!unchecked(this.starts[load<u8>(d + <usize>at)])) return 0;
    const needles = this.needles;
    for (let k = 0; k < needles.length; k++) {
      const needle = unchecked(needles[k]);
      const m = needle.byteLength;
      const s = changetype<usize>(needle);
      if (at + m <= n) {
        if (memory.compare(d + <usize>at, s, <usize>m) == 0) return m;
      } else if (!final && memory.compare(d + <usize>at, s, <usize>(n - at)) == 0) {
        return -1;
      }
    }
    return 0;
  }

  /** `data` with every match replaced, or null when `final` is false and a needle could
   *  still match at the end (more input is needed to decide). The output is sized in a
   *  first pass, so nothing is written past it whatever the lengths. */
  rewrite(data: ArrayBuffer, final: bool): ArrayBuffer | null {
    const size = this.measure(data, final);
    if (size < 0) return null;
    return this.matches == 0 ? data : this.write(data, size);
  }

  /** The size of the rewritten `data` (setting `matches`), or -1 when more input is needed. */
  private measure(data: ArrayBuffer, final: bool): i64 {
    const n = data.byteLength;
    const d = changetype<usize>(data);
    const r = this.replacement.byteLength;
    this.matches = 0;
    if (this.needles.length == 0) return n;
    let size: i64 = 0;
    let i = 0;
    let count = 0;
    while (i < n) {
      const m = this.matchAt(d, n, i, final);
      if (m < 0) return -1;
      if (m > 0) {
        count++;
        size += r;
        i += m;
      } else {
        size++;
        i++;
      }
    }
    this.matches = count;
    return size;
  }

  /** Writes the rewritten `data`, `size` bytes as measured. */
  private write(data: ArrayBuffer, size: i64): ArrayBuffer {
    const n = data.byteLength;
    const d = changetype<usize>(data);
    const r = this.replacement.byteLength;
    const out = new ArrayBuffer(<i32>size);
    const o = changetype<usize>(out);
    const rp = changetype<usize>(this.replacement);
    let w: usize = 0;
    let copyFrom = 0;
    let i = 0;
    while (i < n) {
      const m = this.matchAt(d, n, i, true);
      if (m > 0) {
        const run = <usize>(i - copyFrom);
        memory.copy(o + w, d + <usize>copyFrom, run);
        w += run;
        memory.copy(o + w, rp, <usize>r);
        w += <usize>r;
        i += m;
        copyFrom = i;
      } else {
        i++;
      }
    }
    memory.copy(o + w, d + <usize>copyFrom, <usize>(n - copyFrom));
    return out;
  }
}
