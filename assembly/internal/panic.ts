// Aborts for broken host contracts, and replacements for AssemblyScript's hidden imports.
//
// AssemblyScript's standard library imports `env.abort`, `env.trace` and `env.seed`, which
// Envoy does not provide: a module importing them fails to load. The build maps them to the
// functions below (asconfig `use`), which only use proxy_log and WASI calls Envoy links.
// They are `@global` so the aliases (`abort=meshwasmAbort`) hold wherever the SDK is installed.

import { proxy_log, wasi_random_get } from "../abi/imports";
// The allocator's counting aliases (asconfig `use`) name functions there: every module the
// SDK's settings build has this file, so it has them too.
import "./heapcount";

/** Shared texts of contract failures, so every abort names what broke the same way. */
export namespace Broken {
  export const UNKNOWN_CONTEXT = "unknown context id in ";
  export const UNKNOWN_ROOT = "no root context registered for root_id ";
  export const NOT_HTTP = "context is not an HTTP context in ";
  export const NOT_STREAM = "context is not a stream context in ";
  export const NOT_ROOT = "context is not a root context in ";
}

/** Writes one critical line through the host; safe anywhere, including near out of memory. */
export function logCritical(message: string): void {
  const bytes = String.UTF8.encode(message);
  proxy_log(5, changetype<usize>(bytes), bytes.byteLength);
}

/**
 * Logs `message` at critical level and traps. Use only when the host broke its contract
 * (an unknown context id, a failed call that cannot fail): the VM is then unusable.
 */
export function panic(message: string): void {
  logCritical("meshwasm: " + message);
  unreachable();
}

/** Replacement for AssemblyScript's `abort` (failed assertions, out-of-range accesses, throw). */
@global
export function meshwasmAbort(
  message: string | null,
  fileName: string | null,
  line: u32,
  column: u32,
): void {
  let text = "abort: " + (message !== null ? message : "(no message)");
  if (fileName !== null) {
    text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  }
  logCritical(text);
  unreachable();
}

/** Replacement for AssemblyScript's `trace`: logs at info through the host. */
@global
export function meshwasmTrace(
  message: string,
  n: i32 = 0,
  a0: f64 = 0,
  a1: f64 = 0,
  a2: f64 = 0,
  a3: f64 = 0,
  a4: f64 = 0,
): void {
  let text = "trace: " + message;
  if (n > 0) text += " " + a0.toString();
  if (n > 1) text += " " + a1.toString();
  if (n > 2) text += " " + a2.toString();
  if (n > 3) text += " " + a3.toString();
  if (n > 4) text += " " + a4.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(2, changetype<usize>(bytes), bytes.byteLength);
}

/** Replacement for AssemblyScript's `seed` (Math.random): entropy from WASI random_get. */
@global
export function meshwasmSeed(): f64 {
  const slot = memory.data(8, 8);
  wasi_random_get(slot, 8);
  return reinterpret<f64>((load<u64>(slot) >> 12) | 0x3ff0000000000000) - 1.0;
}
