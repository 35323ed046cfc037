// Leases: tokens a VM takes from token buckets in shared data ahead of the requests that use
// them, so most requests of a busy key are decided without a shared-data write. Pure: no host
// calls (shared-buckets.ts keeps the leases and writes the sets).
//
// A lease is taken from token buckets only, like one request costing the lease, and used only
// before the buckets' next fill step (leaseUntil): no fill happens between taking and using
// it, so admitting a request from it is what the bucket would have admitted had the request
// come when the lease was taken; a lease never admits more than the bucket. Tokens a lease
// leaves unused go back into the buckets (giveBack), capped at their capacity like a fill.

import { Limit, LimitKind, SET_VERSION, advance } from "./bucket";

/** A lease is at most this share of the tokens its buckets hold (1/LEASE_SHARE). */
export const LEASE_SHARE: i64 = 64;

/** Whether every limit is a token bucket (only those lease). */
export function leasable(limits: Limit[]): bool {
  for (let i = 0; i < limits.length; i++) if (unchecked(limits[i]).kind != LimitKind.TokenBucket) return false;
  return limits.length > 0;
}

/** What to take for a request of `cost` when leases of up to `leaseMax` are allowed: a lease
 *  of at most 1/LEASE_SHARE of the tokens the emptiest bucket holds (advanced to `now`) when
 *  that covers at least two such requests, else `cost` alone. Limits: token buckets only. */
export function leaseAmount(limits: Limit[], state: StaticArray<i64>, now: i64, cost: i64, leaseMax: i64): i64 {
  if (leaseMax <= 0 || cost <= 0) return cost;
  let least: i64 = i64.MAX_VALUE;
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    if (l.kind != LimitKind.TokenBucket) return cost;
    advance(l, state, i * 3, now);
    least = min(least, state[i * 3]);
  }
  const lease = min(leaseMax, least / LEASE_SHARE);
  return lease >= 2 * cost ? lease : cost;
}

/** The earliest next fill step of the limits' buckets (state advanced and taken from). */
export function leaseUntil(limits: Limit[], state: StaticArray<i64>): i64 {
  let until: i64 = i64.MAX_VALUE;
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    if (l.kind == LimitKind.TokenBucket) until = min(until, state[i * 3 + 1] + l.intervalMs);
  }
  return until;
}

/** Puts `amount` unused leased tokens back into every token bucket of `state` at `now`,
 *  capped at the capacity (as a fill is). */
export function giveBack(limits: Limit[], state: StaticArray<i64>, now: i64, amount: i64): void {
  if (amount <= 0) return;
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    if (l.kind != LimitKind.TokenBucket) continue;
    advance(l, state, i * 3, now);
    state[i * 3] = min(l.capacity, state[i * 3] + amount);
  }
}

/**
 * Puts `amount` unused leased tokens back into `key`'s buckets inside an encoded set, in
 * place (giveBack at `now`): true when the bytes changed; false when the key is not stored
 * under these limits (its state started afresh or left: nothing to give back to).
 */
export function giveBackInPlace(
  bytes: ArrayBuffer,
  key: ArrayBuffer,
  limits: Limit[],
  signature: u32,
  now: i64,
  amount: i64,
  scratch: StaticArray<i64>,
): bool {
  const n = bytes.byteLength;
  const base = changetype<usize>(bytes);
  const stateLength = limits.length * 3;
  if (amount <= 0 || n < 2 || load<u8>(base) != SET_VERSION || scratch.length < stateLength) return false;
  const count = <i32>load<u8>(base + 1);
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 1 > n) return false;
    const length = <i32>load<u8>(base + at);
    at += 1;
    if (at + length + 13 > n) return false;
    const here = at;
    at += length;
    const states = <i32>load<u8>(base + at + 12);
    if (at + 13 + states * 8 > n) return false;
    if (length == key.byteLength && memory.compare(base + here, changetype<usize>(key), length) == 0) {
      if (load<u32>(base + at + 8) != signature || states != stateLength) return false;
      const state = base + at + 13;
      for (let j = 0; j < stateLength; j++) unchecked((scratch[j] = load<i64>(state + j * 8)));
      giveBack(limits, scratch, now, amount);
      for (let j = 0; j < stateLength; j++) store<i64>(state + j * 8, unchecked(scratch[j]));
      return true;
    }
    at += 13 + states * 8;
  }
  return false;
}
