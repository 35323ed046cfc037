// Envoy's rate limit service protocol (envoy.service.ratelimit.v3): the RateLimitRequest the
// filter sends and the RateLimitResponse it reads, on the wire format of proto.ts.
//
//   RateLimitRequest   1 domain (string), 2 descriptors (repeated RateLimitDescriptor),
//                      3 hits_addend (uint32)
//   RateLimitDescriptor 1 entries (repeated Entry: 1 key, 2 value), 3 hits_addend (UInt64Value)
//   RateLimitResponse  1 overall_code (Code), 2 statuses (repeated DescriptorStatus), others skipped
//   DescriptorStatus   1 code, 2 current_limit (RateLimit: 1 requests_per_unit, 2 unit, 3 name),
//                      3 limit_remaining (uint32), 4 duration_until_reset (Duration: 1 s, 2 ns)

import { lenFieldSize, ProtoReader, ProtoWriter, varintSize, WIRE_LEN, WIRE_VARINT } from "./proto";

export const SERVICE = "envoy.service.ratelimit.v3.RateLimitService";
export const METHOD = "ShouldRateLimit";

/** RateLimitResponse.Code */
export const CODE_UNKNOWN: i32 = 0;
export const CODE_OK: i32 = 1;
export const CODE_OVER_LIMIT: i32 = 2;

/** A descriptor to send: entry keys (UTF-8, from the configuration) and values, and its cost. */
export class Descriptor {
  constructor(
    public readonly keys: ArrayBuffer[],
    public readonly values: ArrayBuffer[],
    public readonly hits: u64,
  ) {}
}

// The size of a descriptor's payload.
function descriptorSize(d: Descriptor): i32 {
  let size = 0;
  for (let i = 0; i < d.keys.length; i++) {
    const entry = lenFieldSize(1, unchecked(d.keys[i]).byteLength) + lenFieldSize(2, unchecked(d.values[i]).byteLength);
    size += lenFieldSize(1, entry);
  }
  // hits_addend: a UInt64Value holding the cost (its field 1; absent when 0, as proto3 writes it).
  const wrapper = d.hits == 0 ? 0 : 1 + varintSize(d.hits);
  return size + lenFieldSize(3, wrapper);
}

/** RateLimitRequest: the domain (UTF-8), the descriptors, and the request-wide hits_addend
 *  (`hits` when every descriptor costs the same and that is not 0; each descriptor also
 *  carries its own, which services that know the field prefer). */
export function encodeRequest(domain: ArrayBuffer, descriptors: Descriptor[], hits: u64): ArrayBuffer {
  let size = lenFieldSize(1, domain.byteLength);
  const sizes = new StaticArray<i32>(descriptors.length);
  for (let i = 0; i < descriptors.length; i++) {
    const n = descriptorSize(unchecked(descriptors[i]));
    unchecked((sizes[i] = n));
    size += lenFieldSize(2, n);
  }
  if (hits != 0) size += 1 + varintSize(hits);
  const w = new ProtoWriter(size);
  w.bytes(1, domain);
  for (let i = 0; i < descriptors.length; i++) {
    const d = unchecked(descriptors[i]);
    w.key(2, WIRE_LEN);
    w.varint(<u64>unchecked(sizes[i]));
    for (let e = 0; e < d.keys.length; e++) {
      const k = unchecked(d.keys[e]);
      const v = unchecked(d.values[e]);
      w.key(1, WIRE_LEN);
      w.varint(<u64>(lenFieldSize(1, k.byteLength) + lenFieldSize(2, v.byteLength)));
      w.bytes(1, k);
      w.bytes(2, v);
    }
    w.key(3, WIRE_LEN);
    if (d.hits == 0) {
      w.varint(0);
    } else {
      w.varint(<u64>(1 + varintSize(d.hits)));
      w.key(1, WIRE_VARINT);
      w.varint(d.hits);
    }
  }
  if (hits != 0) {
    w.key(3, WIRE_VARINT);
    w.varint(hits);
  }
  return w.buf;
}

/** One descriptor's answer. */
export class DescriptorStatus {
  code: i32 = CODE_UNKNOWN;
  /** current_limit was present (no limit configured for the descriptor leaves it out). */
  hasLimit: bool = false;
  requestsPerUnit: u32 = 0;
  /** RateLimit.Unit: 0 unknown, 1 second, 2 minute, 3 hour, 4 day, 5 month, 6 year, 7 week. */
  unit: i32 = 0;
  limitRemaining: u32 = 0;
  /** duration_until_reset in milliseconds (clamped to 0..366 days); -1 when absent. */
  resetMs: i64 = -1;
}

export class RlsResponse {
  overallCode: i32 = CODE_UNKNOWN;
  statuses: DescriptorStatus[] = [];
}

const MAX_RESET_MS: i64 = 366 * 86_400_000;
/** More statuses than this is not an answer to anything the filter sends (64 rules at most). */
const MAX_STATUSES = 64;

/** The unit's length in milliseconds (0 for an unknown unit). */
export function unitMs(unit: i32): i64 {
  switch (unit) {
    case 1:
      return 1000;
    case 2:
      return 60_000;
    case 3:
      return 3_600_000;
    case 4:
      return 86_400_000;
    case 5:
      return 30 * 86_400_000;
    case 6:
      return 365 * 86_400_000;
    case 7:
      return 7 * 86_400_000;
    default:
      return 0;
  }
}

/** Decodes a RateLimitResponse; null when the bytes are not one (truncated, a bad varint, a
 *  known field with the wrong wire type, too many statuses). Unknown fields are skipped. */
export function decodeResponse(buf: ArrayBuffer): RlsResponse | null {
  const r = ProtoReader.of(buf);
  const out = new RlsResponse();
  while (!r.done) {
    const key = r.key();
    if (!r.ok) break;
    const field = key >> 3;
    const wire = key & 7;
    if (field == 1 && wire == WIRE_VARINT) {
      out.overallCode = <i32>r.varint();
    } else if (field == 2 && wire == WIRE_LEN) {
      if (out.statuses.length >= MAX_STATUSES) return null;
      const s = new DescriptorStatus();
      if (!readStatus(r.nested(), s)) return null;
      out.statuses.push(s);
    } else if (field == 1 || field == 2) {
      return null;
    } else {
      r.skip(wire);
    }
  }
  return r.ok ? out : null;
}

function readStatus(r: ProtoReader, s: DescriptorStatus): bool {
  while (!r.done) {
    const key = r.key();
    if (!r.ok) break;
    const field = key >> 3;
    const wire = key & 7;
    if (field == 1 && wire == WIRE_VARINT) {
      s.code = <i32>r.varint();
    } else if (field == 2 && wire == WIRE_LEN) {
      s.hasLimit = true;
      if (!readLimit(r.nested(), s)) return false;
    } else if (field == 3 && wire == WIRE_VARINT) {
      s.limitRemaining = <u32>r.varint();
    } else if (field == 4 && wire == WIRE_LEN) {
      if (!readDuration(r.nested(), s)) return false;
    } else if (field >= 1 && field <= 4) {
      return false;
    } else {
      r.skip(wire);
    }
  }
  return r.ok;
}

function readLimit(r: ProtoReader, s: DescriptorStatus): bool {
  while (!r.done) {
    const key = r.key();
    if (!r.ok) break;
    const field = key >> 3;
    const wire = key & 7;
    if (field == 1 && wire == WIRE_VARINT) s.requestsPerUnit = <u32>r.varint();
    else if (field == 2 && wire == WIRE_VARINT) s.unit = <i32>r.varint();
    else if ((field == 1 || field == 2) || (field == 3 && wire != WIRE_LEN)) return false;
    else r.skip(wire);
  }
  return r.ok;
}

function readDuration(r: ProtoReader, s: DescriptorStatus): bool {
  let seconds: i64 = 0;
  let nanos: i64 = 0;
  while (!r.done) {
    const key = r.key();
    if (!r.ok) break;
    const field = key >> 3;
    const wire = key & 7;
    if (field == 1 && wire == WIRE_VARINT) seconds = <i64>r.varint();
    else if (field == 2 && wire == WIRE_VARINT) nanos = <i64>(<i32>r.varint());
    else if (field == 1 || field == 2) return false;
    else r.skip(wire);
  }
  if (!r.ok) return false;
  // Negative or absurd durations are clamped: Retry-After is never negative or years away.
  let ms: i64;
  if (seconds < 0) ms = 0;
  else if (seconds >= MAX_RESET_MS / 1000) ms = MAX_RESET_MS;
  else ms = seconds * 1000 + (nanos > 0 ? (nanos + 999_999) / 1_000_000 : 0);
  s.resetMs = ms > MAX_RESET_MS ? MAX_RESET_MS : ms;
  return true;
}
