// Rate-limit arithmetic: token buckets and fixed and sliding windows over integer time
// (milliseconds), and the byte layout of a set of buckets kept in one shared-data value.
// Pure: no host calls. shared-buckets.ts puts these sets in shared data with compare-and-swap.
//
// Every limit keeps three i64 of state, so a key's state is a flat StaticArray<i64>:
//   token bucket    s0 = tokens,         s1 = time of the last fill (ms; now, while full), s2 unused
//   fixed window    s0 = count,          s1 = start of the window (ms),   s2 unused
//   sliding window  s0 = current count,  s1 = start of the window (ms),   s2 = previous count
// Windows start at multiples of their length since the epoch, as clocks show them.

import { giveBack, leaseAmount, leaseUntil } from "./lease";
import { sha256 } from "./sha2";

/** The three algorithms. */
export enum LimitKind {
  /** `capacity` tokens, `perFill` added at the end of every `intervalMs`; a request takes
   *  `cost` tokens. The first interval starts when a token is taken from a full bucket. */
  TokenBucket = 0,
  /** At most `capacity` per window of `intervalMs`, counted from the window's start. */
  FixedWindow = 1,
  /** The previous window's count weighted by the part of it still inside a sliding window of
   *  `intervalMs`, plus the current window's count, at most `capacity`. */
  SlidingWindow = 2,
}

/** Largest capacity and fill amount: keeps every product of the arithmetic inside i64. */
export const LIMIT_MAX_AMOUNT: i64 = 1_000_000_000;
/** Longest fill interval or window: 31 days. */
export const LIMIT_MAX_INTERVAL_MS: i64 = 31 * 86_400_000;

/** One limit: built at configure time, immutable. */
export class Limit {
  constructor(
    public readonly kind: LimitKind,
    public readonly capacity: i64,
    public readonly intervalMs: i64,
    public readonly perFill: i64 = 0,
  ) {}

  /** A number that changes when the limit changes (stored with a key's state, so a changed
   *  configuration starts its keys afresh). */
  signature(): u32 {
    let h: u32 = 2166136261;
    h = mix(h, <u64>this.kind);
    h = mix(h, <u64>this.capacity);
    h = mix(h, <u64>this.intervalMs);
    h = mix(h, <u64>this.perFill);
    return h;
  }
}

function mix(h: u32, v: u64): u32 {
  for (let i = 0; i < 8; i++) {
    h ^= <u32>((v >> (<u64>i * 8)) & 0xff);
    h *= 16777619;
  }
  return h;
}

/** The signature of a list of limits. */
export function limitsSignature(limits: Limit[]): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < limits.length; i++) h = mix(h, <u64>unchecked(limits[i]).signature());
  return h;
}

/** A fresh state for `limits` at `now`: full buckets, empty windows. */
export function freshState(limits: Limit[], now: i64): StaticArray<i64> {
  const state = new StaticArray<i64>(limits.length * 3);
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    if (l.kind == LimitKind.TokenBucket) {
      state[i * 3] = l.capacity;
      state[i * 3 + 1] = now;
    } else {
      state[i * 3 + 1] = now - (now % l.intervalMs);
    }
  }
  return state;
}

/** What a check decided. `remaining`, `limit` and `resetMs` describe the limit closest to
 *  refusing (the one rate-limit headers report); `retryAfterMs` is how long until every
 *  limit would admit the same cost again with no other traffic (0 when admitted). */
export class Decision {
  allowed: bool = true;
  /** Index of the limit the headers describe. */
  limitIndex: i32 = 0;
  limit: i64 = 0;
  remaining: i64 = 0;
  resetMs: i64 = 0;
  retryAfterMs: i64 = 0;
  /** Window or fill interval of the reported limit (for RateLimit-Policy's w=). */
  windowMs: i64 = 0;
  /** What takeInPlace took when admitting: the cost, or a lease of more (see leaseAmount). */
  taken: i64 = 0;
  /** When a lease taken with it stops being usable (the earliest next fill step), ms. */
  leaseUntil: i64 = 0;

  reset(): void {
    this.allowed = true;
    this.limitIndex = 0;
    this.limit = 0;
    this.remaining = 0;
    this.resetMs = 0;
    this.retryAfterMs = 0;
    this.windowMs = 0;
    this.taken = 0;
    this.leaseUntil = 0;
  }
}

/** Brings one limit's state to `now` (refills, window rollover). Idempotent. */
export function advance(l: Limit, state: StaticArray<i64>, base: i32, now: i64): void {
  if (l.kind == LimitKind.TokenBucket) {
    // A full bucket holds its fill clock at `now`: the next interval starts when a token is
    // taken. So a full bucket's state is the same whatever its history, and forgetting an
    // idle key (which comes back full) changes no decision.
    const last = state[base + 1];
    const tokens = state[base];
    if (tokens >= l.capacity) {
      state[base + 1] = max(now, last);
      return;
    }
    if (now > last) {
      const fills = (now - last) / l.intervalMs;
      if (fills > 0) {
        // fills * perFill can exceed i64 after a long idle time: compare before multiplying.
        const needed = (l.capacity - tokens + l.perFill - 1) / l.perFill;
        if (fills >= needed) {
          state[base] = l.capacity;
          state[base + 1] = now;
        } else {
          state[base] = tokens + fills * l.perFill;
          state[base + 1] = last + fills * l.intervalMs;
        }
      }
    }
    return;
  }
  const start = now - (now % l.intervalMs);
  const stored = state[base + 1];
  if (stored == start) return;
  if (l.kind == LimitKind.SlidingWindow && stored == start - l.intervalMs) {
    state[base + 2] = state[base];
  } else {
    state[base + 2] = 0;
  }
  state[base] = 0;
  state[base + 1] = start;
}

// Whether `cost` fits now. State must be advanced.
function fits(l: Limit, state: StaticArray<i64>, base: i32, now: i64, cost: i64): bool {
  if (l.kind == LimitKind.TokenBucket) return state[base] >= cost;
  if (l.kind == LimitKind.FixedWindow) return state[base] + cost <= l.capacity;
  const w = l.intervalMs;
  const elapsed = now - state[base + 1];
  return state[base + 2] * (w - elapsed) + (state[base] + cost) * w <= l.capacity * w;
}

// What is left for requests of cost 1 (floored, never negative). State must be advanced.
function remainingOf(l: Limit, state: StaticArray<i64>, base: i32, now: i64): i64 {
  let r: i64;
  if (l.kind == LimitKind.TokenBucket) {
    r = state[base];
  } else if (l.kind == LimitKind.FixedWindow) {
    r = l.capacity - state[base];
  } else {
    const w = l.intervalMs;
    const elapsed = now - state[base + 1];
    const room = l.capacity * w - state[base + 2] * (w - elapsed) - state[base] * w;
    r = room < 0 ? 0 : room / w;
  }
  return r < 0 ? 0 : r;
}

// Milliseconds until the limit is back to its full allowance with no traffic (headers' reset).
function resetOf(l: Limit, state: StaticArray<i64>, base: i32, now: i64): i64 {
  if (l.kind == LimitKind.TokenBucket) {
    const missing = l.capacity - state[base];
    if (missing <= 0) return 0;
    const fills = (missing + l.perFill - 1) / l.perFill;
    return state[base + 1] + fills * l.intervalMs - now;
  }
  return state[base + 1] + l.intervalMs - now;
}

// Milliseconds until `cost` fits with no other traffic. State must be advanced.
function waitFor(l: Limit, state: StaticArray<i64>, base: i32, now: i64, cost: i64): i64 {
  if (l.kind == LimitKind.TokenBucket) {
    const deficit = cost - state[base];
    if (deficit <= 0) return 0;
    if (cost > l.capacity) return l.intervalMs; // never fits; say one interval
    const fills = (deficit + l.perFill - 1) / l.perFill;
    return state[base + 1] + fills * l.intervalMs - now;
  }
  const w = l.intervalMs;
  const elapsed = now - state[base + 1];
  const toEnd = w - elapsed;
  if (l.kind == LimitKind.FixedWindow || cost > l.capacity) {
    return state[base] + cost <= l.capacity ? 0 : toEnd;
  }
  const prev = state[base + 2];
  const cur = state[base];
  // In this window: prev * (w - e) <= (capacity - cur - cost) * w, for the smallest e.
  const inThis = (l.capacity - cur - cost) * w;
  if (inThis >= 0) {
    if (prev == 0) return 0;
    const e = w - inThis / prev;
    if (e < w) return e > elapsed ? e - elapsed : 0;
  }
  // In the next window, where the current count becomes the previous one.
  const inNext = (l.capacity - cost) * w;
  if (cur == 0) return toEnd;
  const e2 = w - inNext / cur;
  return toEnd + (e2 > 0 ? e2 : 0);
}

/**
 * Checks `cost` against every limit of a key at `now` (ms) and, when all admit, takes it
 * from every one. The most restrictive limit decides: one refusal refuses, and nothing is
 * taken. With `consume` false nothing is taken even when admitted (shadow decisions still
 * take: a shadowed limit behaves as if enforced, only the answer differs).
 * Example: `const d = new Decision(); check(limits, state, now, 1, d, true); if (!d.allowed) ...`
 */
export function check(
  limits: Limit[],
  state: StaticArray<i64>,
  now: i64,
  cost: i64,
  out: Decision,
  consume: bool = true,
): void {
  out.reset();
  let allowed = true;
  let bestRemaining: i64 = i64.MAX_VALUE;
  let bestReset: i64 = -1;
  let wait: i64 = 0;
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    const base = i * 3;
    advance(l, state, base, now);
    if (!fits(l, state, base, now, cost)) {
      allowed = false;
      const w = waitFor(l, state, base, now, cost);
      if (w > wait) wait = w;
    }
  }
  if (allowed && consume) {
    for (let i = 0; i < limits.length; i++) {
      const l = unchecked(limits[i]);
      state[i * 3] += l.kind == LimitKind.TokenBucket ? -cost : cost;
    }
  }
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    const r = remainingOf(l, state, i * 3, now);
    const reset = resetOf(l, state, i * 3, now);
    if (r < bestRemaining || (r == bestRemaining && reset > bestReset)) {
      bestRemaining = r;
      bestReset = reset;
      out.limitIndex = i;
      out.limit = l.capacity;
      out.windowMs = l.intervalMs;
    }
  }
  out.allowed = allowed;
  out.remaining = bestRemaining == i64.MAX_VALUE ? 0 : bestRemaining;
  out.resetMs = bestReset < 0 ? 0 : bestReset;
  out.retryAfterMs = allowed ? 0 : wait;
}

/** Whole seconds for Retry-After and reset headers: rounded up, at least 1 when there is
 *  anything to wait for. */
export function ceilSeconds(ms: i64): i64 {
  if (ms <= 0) return 0;
  return (ms + 999) / 1000;
}

// ---- a set of keys in one shared-data value -----------------------------------------------
//
// Layout (little-endian): u8 version (1), u8 entry count, then per entry:
//   u8 key length, key bytes, i64 last admitted (ms), u32 limits signature,
//   u8 state length (i64 count), the state.
// Keys longer than BUCKET_KEY_MAX bytes are kept as 0xff + their SHA-256 (see bucketKey).

export const SET_VERSION: u8 = 1;
/** Keys up to this many bytes are stored as they are. */
export const BUCKET_KEY_MAX: i32 = 64;

/** One key's buckets inside a set. */
export class BucketEntry {
  constructor(
    public key: ArrayBuffer,
    public lastSeen: i64,
    public signature: u32,
    public state: StaticArray<i64>,
  ) {}
}

/** The keys that share one slot of the table: decoded, changed, encoded back. */
export class BucketSet {
  entries: BucketEntry[] = [];

  /** Decodes a stored set; null when the bytes are not a set this version wrote. */
  static decode(buffer: ArrayBuffer): BucketSet | null {
    const set = new BucketSet();
    const n = buffer.byteLength;
    if (n == 0) return set;
    const base = changetype<usize>(buffer);
    if (n < 2 || load<u8>(base) != SET_VERSION) return null;
    const count = <i32>load<u8>(base + 1);
    let at = 2;
    for (let i = 0; i < count; i++) {
      if (at + 1 > n) return null;
      const keyLength = <i32>load<u8>(base + at);
      at += 1;
      if (at + keyLength + 13 > n) return null;
      const key = buffer.slice(at, at + keyLength);
      at += keyLength;
      const lastSeen = load<i64>(base + at);
      const signature = load<u32>(base + at + 8);
      const states = <i32>load<u8>(base + at + 12);
      at += 13;
      if (at + states * 8 > n) return null;
      const state = new StaticArray<i64>(states);
      for (let j = 0; j < states; j++) state[j] = load<i64>(base + at + j * 8);
      at += states * 8;
      set.entries.push(new BucketEntry(key, lastSeen, signature, state));
    }
    return at == n ? set : null;
  }

  /** The bytes to store. */
  encode(): ArrayBuffer {
    let size = 2;
    for (let i = 0; i < this.entries.length; i++) {
      const e = unchecked(this.entries[i]);
      size += 1 + e.key.byteLength + 13 + e.state.length * 8;
    }
    const out = new ArrayBuffer(size);
    const base = changetype<usize>(out);
    store<u8>(base, SET_VERSION);
    store<u8>(base + 1, <u8>this.entries.length);
    let at: usize = 2;
    for (let i = 0; i < this.entries.length; i++) {
      const e = unchecked(this.entries[i]);
      store<u8>(base + at, <u8>e.key.byteLength);
      memory.copy(base + at + 1, changetype<usize>(e.key), e.key.byteLength);
      at += 1 + e.key.byteLength;
      store<i64>(base + at, e.lastSeen);
      store<u32>(base + at + 8, e.signature);
      store<u8>(base + at + 12, <u8>e.state.length);
      at += 13;
      for (let j = 0; j < e.state.length; j++) store<i64>(base + at + j * 8, unchecked(e.state[j]));
      at += e.state.length * 8;
    }
    return out;
  }

  /** The index of `key`, or -1. */
  find(key: ArrayBuffer): i32 {
    for (let i = 0; i < this.entries.length; i++) {
      if (bytesEqual(unchecked(this.entries[i]).key, key)) return i;
    }
    return -1;
  }

  /** The entry to give a new key when the set is full: the least recently admitted. */
  victim(): i32 {
    let oldest = 0;
    for (let i = 0; i < this.entries.length; i++) {
      const seen = unchecked(this.entries[i]).lastSeen;
      if (seen < unchecked(this.entries[oldest]).lastSeen) oldest = i;
    }
    return oldest;
  }

  /** Removes the entries last admitted before `idleBefore`; returns how many. */
  dropIdle(idleBefore: i64): i32 {
    let kept = 0;
    const n = this.entries.length;
    for (let i = 0; i < n; i++) {
      const e = unchecked(this.entries[i]);
      if (e.lastSeen >= idleBefore) {
        unchecked((this.entries[kept] = e));
        kept++;
      }
    }
    this.entries.length = kept;
    return n - kept;
  }
}

function bytesEqual(a: ArrayBuffer, b: ArrayBuffer): bool {
  const n = a.byteLength;
  if (n != b.byteLength) return false;
  return memory.compare(changetype<usize>(a), changetype<usize>(b), n) == 0;
}

/** FNV-1a over a key's bytes: which set of the table holds it. */
export function bucketHash(key: ArrayBuffer): u32 {
  let h: u32 = 2166136261;
  const base = changetype<usize>(key);
  for (let i = 0; i < key.byteLength; i++) {
    h ^= <u32>load<u8>(base + i);
    h *= 16777619;
  }
  // Final avalanche so that keys differing in the last byte spread over every set.
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  return h;
}

/** The stored form of a key: itself up to BUCKET_KEY_MAX bytes, else 0xff and its SHA-256
 *  (33 bytes). A key that is itself 33 bytes starting 0xff is digested too, so a stored key
 *  of that shape is always a digest and no key can pose as another's digest. */
export function bucketKey(raw: ArrayBuffer): ArrayBuffer {
  const n = raw.byteLength;
  const digestShaped = n == 33 && load<u8>(changetype<usize>(raw)) == 0xff;
  if (n <= BUCKET_KEY_MAX && !digestShaped) return raw;
  const digest = sha256(raw);
  const out = new ArrayBuffer(33);
  store<u8>(changetype<usize>(out), 0xff);
  memory.copy(changetype<usize>(out) + 1, changetype<usize>(digest), 32);
  return out;
}

// ---- deciding on a stored set without decoding it -----------------------------------------

/** takeInPlace's outcomes. */
export enum InPlace {
  /** Admitted: the key's state and last-admitted time in the bytes were updated. */
  Admitted = 0,
  /** Refused: the bytes are unchanged. */
  Refused = 1,
  /** Not decidable in place (the key is absent or stored under other limits, an idle key is
   *  due to leave the set, or the bytes are not a set): decode the set instead. */
  Decode = 2,
}

/**
 * check() on `key`'s state inside an encoded set (BucketSet.encode's layout), in place: the
 * common case of a request whose key is already stored, with no allocation. On Admitted the
 * bytes hold the set as BucketSet would encode it after the same take (state taken, the key's
 * last admitted time `now`); on Refused they are unchanged and `out` has the refusal.
 * `scratch` holds at least limits.length * 3 values. Refuses to decide (Decode) whenever the
 * decoded path would also change the set's shape, so both paths store the same bytes.
 * `returned` unused leased tokens go back into the key's buckets first (giveBack); with
 * `leaseMax` > 0 it may take a lease (leaseAmount): `out.taken` says what was taken.
 */
export function takeInPlace(
  bytes: ArrayBuffer,
  key: ArrayBuffer,
  limits: Limit[],
  signature: u32,
  cost: i64,
  now: i64,
  idleBefore: i64,
  scratch: StaticArray<i64>,
  out: Decision,
  returned: i64 = 0,
  leaseMax: i64 = 0,
): InPlace {
  const n = bytes.byteLength;
  const base = changetype<usize>(bytes);
  if (n < 2 || load<u8>(base) != SET_VERSION) return InPlace.Decode;
  const count = <i32>load<u8>(base + 1);
  const keyLength = key.byteLength;
  const stateLength = limits.length * 3;
  let found = -1; // offset of the key's last-admitted time
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 1 > n) return InPlace.Decode;
    const length = <i32>load<u8>(base + at);
    at += 1;
    if (at + length + 13 > n) return InPlace.Decode;
    const here = at;
    at += length;
    const states = <i32>load<u8>(base + at + 12);
    if (load<i64>(base + at) < idleBefore) return InPlace.Decode;
    if (found < 0 && length == keyLength && memory.compare(base + here, changetype<usize>(key), length) == 0) {
      if (load<u32>(base + at + 8) != signature || states != stateLength) return InPlace.Decode;
      found = at;
    }
    at += 13 + states * 8;
    if (at > n) return InPlace.Decode;
  }
  if (at != n || found < 0 || scratch.length < stateLength) return InPlace.Decode;
  const state = base + found + 13;
  for (let j = 0; j < stateLength; j++) unchecked((scratch[j] = load<i64>(state + j * 8)));
  giveBack(limits, scratch, now, returned);
  const take = leaseAmount(limits, scratch, now, cost, leaseMax);
  check(limits, scratch, now, take, out, true);
  if (!out.allowed) return InPlace.Refused;
  out.taken = take;
  if (take > cost) out.leaseUntil = leaseUntil(limits, scratch);
  for (let j = 0; j < stateLength; j++) store<i64>(state + j * 8, unchecked(scratch[j]));
  store<i64>(base + found, now);
  return InPlace.Admitted;
}

