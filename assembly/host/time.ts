// Wall-clock time from the host.

import { proxy_get_current_time_nanoseconds } from "../abi/imports";
import { OUT_U64 } from "../internal/memory";

// A chain runs its members one after another inside one callback, as Envoy would run separate
// plugins back to back: they share one reading of the clock for that callback (taken at the
// first member that asks), instead of one host call each. holdClock/releaseClock bracket a
// chain's pass over its members (nested passes, a member resuming the next ones, count).
let holdDepth: i32 = 0;
let held: u64 = 0;

/** From now until the matching releaseClock, currentTimeNanos answers one reading. */
export function holdClock(): void {
  holdDepth++;
}

/** Ends a holdClock(); the outermost one forgets the reading. */
export function releaseClock(): void {
  if (--holdDepth <= 0) {
    holdDepth = 0;
    held = 0;
  }
}

/** Nanoseconds since the Unix epoch, from the host's clock. Legal in every callback. In a
 *  chain, the members running in one callback read the same instant.
 *  Example: `const started = currentTimeNanos();` */
export function currentTimeNanos(): u64 {
  if (held != 0) return held;
  store<u64>(OUT_U64, 0);
  proxy_get_current_time_nanoseconds(OUT_U64);
  const now = load<u64>(OUT_U64);
  if (holdDepth > 0) held = now;
  return now;
}

/** Milliseconds since the Unix epoch. */
export function currentTimeMillis(): u64 {
  return currentTimeNanos() / 1_000_000;
}
