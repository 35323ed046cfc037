// Wall-clock time from the host.

import { proxy_get_current_time_nanoseconds } from "../abi/imports";
import { OUT_U64 } from "../internal/memory";

/** Nanoseconds since the Unix epoch, from the host's clock. Legal in every callback.
 *  Example: `const started = currentTimeNanos();` */
export function currentTimeNanos(): u64 {
  store<u64>(OUT_U64, 0);
  proxy_get_current_time_nanoseconds(OUT_U64);
  return load<u64>(OUT_U64);
}

/** Milliseconds since the Unix epoch. */
export function currentTimeMillis(): u64 {
  return currentTimeNanos() / 1_000_000;
}
