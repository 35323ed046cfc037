// The foreign functions Envoy registers (verify_signature, clear_route_cache,
// set_envoy_filter_state) and the host's own, with the small protobuf reader and writer their
// arguments and results need.

import { createPublicKey, verify } from "node:crypto";
import type { GuestContext } from "../contexts.ts";
import { Status } from "../status.ts";
import { text, utf8 } from "../wire.ts";
import type { World } from "../world.ts";

/** Envoy's foreign functions: verify_signature, clear_route_cache, set_envoy_filter_state. */
export function callForeign(
  world: World,
  name: string,
  args: Uint8Array,
  c: GuestContext,
): Uint8Array | number {
  const custom = world.foreignFunctions.get(name);
  if (custom) return custom(args);
  if (name === "clear_route_cache") {
    const state = c.streamState();
    if (state) state.routeCacheCleared++;
    return new Uint8Array(0);
  }
  if (name === "set_envoy_filter_state") {
    const fields = readProto(args);
    const key = text(fields.get(1) ?? new Uint8Array(0));
    const value = fields.get(2) ?? new Uint8Array(0);
    const state = c.streamState();
    if (!world.envoyFilterStateKeys.has(key)) return Status.NotFound;
    if (!state) return Status.NotFound;
    state.filterState.set(key, value);
    return new Uint8Array(0);
  }
  if (name === "verify_signature") {
    const fields = readProto(args);
    const hash = text(fields.get(1) ?? new Uint8Array(0));
    let ok = false;
    let error = "";
    if (!["sha1", "sha224", "sha256", "sha384", "sha512"].includes(hash)) {
      error = `${hash} is not supported.`;
    } else {
      try {
        const key = createPublicKey({
          key: Buffer.from(fields.get(2) ?? new Uint8Array(0)),
          format: "der",
          type: "spki",
        });
        ok = verify(
          hash,
          fields.get(4) ?? new Uint8Array(0),
          key,
          fields.get(3) ?? new Uint8Array(0),
        );
        if (!ok) error = "Failed to verify digest. Error code: 0";
      } catch {
        error = "Failed to parse public key.";
      }
    }
    return writeProto(ok, error);
  }
  return Status.NotFound;
}

/** Length-delimited fields (wire type 2) of a flat protobuf message, by field number. */
function readProto(bytes: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    // Stryker disable next-line EqualityOperator: equivalent, a read one past the end gives 0 (`?? 0`), which ends the varint without adding to it
    while (i < bytes.length) {
      const b = bytes[i++] ?? 0;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    return result;
  };
  while (i < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      out.set(field, bytes.subarray(i, i + len));
      i += len;
    } else if (wire === 0) {
      varint();
    } else break;
  }
  return out;
}

/** VerifySignatureResult { bool result = 1; string error = 2; } */
function writeProto(result: boolean, error: string): Uint8Array {
  const e = utf8(error);
  const parts: number[] = [];
  if (result) parts.push(0x08, 1);
  if (e.length) {
    parts.push(0x12);
    let n = e.length;
    while (n >= 0x80) {
      parts.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    parts.push(n);
  }
  const out = new Uint8Array(parts.length + e.length);
  out.set(parts, 0);
  out.set(e, parts.length);
  return out;
}
