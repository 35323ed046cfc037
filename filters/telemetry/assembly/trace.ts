// Trace context: W3C traceparent (parse, continue with a new span id, start), B3 single and
// multi-header (parse, translate), and the random ids they need. Pure: no host calls, so the
// as-pect tests run it directly and the fuzz model in test/fuzz.ts mirrors it.
//
// traceparent = version "-" trace-id "-" parent-id "-" flags, lower-case hex:
//   00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
// Refused (a new trace starts instead): upper-case hex, version ff, a version 00 header of
// any other length than 55, an all-zero trace id or parent id, a later version whose 56th
// character is not "-".

import { TextBuilder } from "../../lib/text";

/** An accepted context: the trace id (32 hex), the caller's span id (16 hex), sampled. */
export class TraceContext {
  constructor(
    public traceId: string,
    public parentId: string,
    public sampled: bool,
  ) {}
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** Whether s[from, from+n) is lower-case hex and not all zeros (when `nonZero`). */
function isHex(s: string, from: i32, n: i32, nonZero: bool): bool {
  if (from + n > s.length) return false;
  let any = false;
  for (let i = from; i < from + n; i++) {
    const v = hexValue(s.charCodeAt(i));
    if (v < 0) return false;
    if (v != 0) any = true;
  }
  return any || !nonZero;
}

/** The context in a traceparent value, or null when it is malformed. */
export function parseTraceparent(value: string): TraceContext | null {
  if (value.length < 55) return null;
  if (!isHex(value, 0, 2, false)) return null;
  const version = <i32>(hexValue(value.charCodeAt(0)) * 16 + hexValue(value.charCodeAt(1)));
  if (version == 0xff) return null;
  if (version == 0 && value.length != 55) return null;
  if (version > 0 && value.length > 55 && value.charCodeAt(55) != 0x2d) return null;
  if (value.charCodeAt(2) != 0x2d || value.charCodeAt(35) != 0x2d || value.charCodeAt(52) != 0x2d) return null;
  if (!isHex(value, 3, 32, true) || !isHex(value, 36, 16, true) || !isHex(value, 53, 2, false)) return null;
  const flags = hexValue(value.charCodeAt(54));
  return new TraceContext(value.substring(3, 35), value.substring(36, 52), (flags & 1) == 1);
}

/** A version 00 traceparent for `traceId`, span `spanId`, the sampled flag. */
export function formatTraceparent(traceId: string, spanId: string, sampled: bool): string {
  return SCRATCH.reset().str("00-").str(traceId).char(0x2d).str(spanId).str(sampled ? "-01" : "-00").toString();
}

/** `formatTraceparent(traceId, randomHex(8), sampled)`, built in one string. */
export function newTraceparent(traceId: string, sampled: bool): string {
  const b = SCRATCH.reset().str("00-").str(traceId).char(0x2d);
  writeRandomHex(b, 8);
  return b.str(sampled ? "-01" : "-00").toString();
}

// A B3 trace id is 16 or 32 hex; as a W3C id it is left-padded with zeros.
function b3TraceId(value: string): string | null {
  if (value.length == 32 && isHex(value, 0, 32, true)) return value;
  if (value.length == 16 && isHex(value, 0, 16, true)) return "0000000000000000" + value;
  return null;
}

/** B3 sampling state: 1 sampled (or debug), 0 not sampled, -1 deferred, -2 malformed. */
export function b3Sampling(value: string | null): i32 {
  if (value === null || value.length == 0) return -1;
  if (value == "1" || value == "d" || value == "true") return 1;
  if (value == "0" || value == "false") return 0;
  return -2;
}

/** The context of a single `b3` header (`traceid-spanid[-sampling[-parentspanid]]`), or null
 *  when it is malformed or carries only a sampling decision. `deferredSampled` stands in
 *  for an absent sampling field. */
export function parseB3Single(value: string, deferredSampled: bool): TraceContext | null {
  const parts = value.split("-");
  if (parts.length < 2 || parts.length > 4) return null;
  const traceId = b3TraceId(parts[0]);
  if (traceId === null) return null;
  if (parts[1].length != 16 || !isHex(parts[1], 0, 16, true)) return null;
  let sampling = -1;
  if (parts.length >= 3) {
    sampling = b3Sampling(parts[2]);
    if (sampling < 0 || parts[2] == "true" || parts[2] == "false") return null;
  }
  if (parts.length == 4 && (parts[3].length != 16 || !isHex(parts[3], 0, 16, true))) return null;
  return new TraceContext(traceId, parts[1], sampling < 0 ? deferredSampled : sampling == 1);
}

/** The context of multi-header B3 (`x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled`,
 *  `x-b3-flags`), or null when an id is missing or malformed. */
export function parseB3Multi(
  traceIdValue: string | null,
  spanIdValue: string | null,
  sampledValue: string | null,
  flagsValue: string | null,
  deferredSampled: bool,
): TraceContext | null {
  if (traceIdValue === null || spanIdValue === null) return null;
  const traceId = b3TraceId(traceIdValue);
  if (traceId === null) return null;
  if (spanIdValue.length != 16 || !isHex(spanIdValue, 0, 16, true)) return null;
  let sampling = b3Sampling(sampledValue);
  if (sampling == -2) return null;
  if (flagsValue !== null && flagsValue == "1") sampling = 1;
  return new TraceContext(traceId, spanIdValue, sampling < 0 ? deferredSampled : sampling == 1);
}

// Ids are written into one reused builder: one string per id, not one per character.
const SCRATCH = new TextBuilder(64);
const TAIL = new TextBuilder(64);

/** Appends `n` random bytes as lower-case hex, never all zeros (W3C ids must not be). */
function writeRandomHex(b: TextBuilder, n: i32): void {
  const start = b.length;
  while (true) {
    let any = false;
    for (let i = 0; i < n; i++) {
      const v = <i32>(Math.random() * 256.0) & 0xff;
      if (v != 0) any = true;
      b.hex(<u32>v, 2);
    }
    if (any) return;
    b.truncate(start);
  }
}

/** `n` random bytes as lower-case hex, never all zeros (W3C ids must not be). */
export function randomHex(n: i32): string {
  const b = SCRATCH.reset();
  writeRandomHex(b, n);
  return b.toString();
}

/** A random (version 4) UUID, lower case: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx. */
export function uuid4(): string {
  // The same draws as before: 16 random bytes as 32 hex digits, then the version and variant
  // digits put in place of the 13th and 17th.
  const b = SCRATCH.reset();
  writeRandomHex(b, 16);
  const variant = 8 + (hexValue(b.codeAt(16)) & 3);
  const out = TAIL.reset();
  out.range(b, 0, 8).char(0x2d).range(b, 8, 12).str("-4").range(b, 13, 16).char(0x2d);
  out.hex(<u32>variant, 1).range(b, 17, 20).char(0x2d).range(b, 20, 32);
  return out.toString();
}
/** A decision with probability `percent` / 100 (0 never, 100 always). */
export function chance(percent: f64): bool {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return Math.random() * 100.0 < percent;
}
