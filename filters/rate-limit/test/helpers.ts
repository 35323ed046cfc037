// Shared pieces of the rate-limit tests: the module, a host with a day-aligned virtual clock,
// and short request helpers.
import { fileURLToPath } from "node:url";
import { createHost, type Exchange, type GrpcHandler, type Host } from "meshwasm/testing";

export const wasm = fileURLToPath(new URL("../../../build/rate-limit.wasm", import.meta.url));
export const schemaPath = fileURLToPath(new URL("../schema.json", import.meta.url));
export const readmePath = fileURLToPath(new URL("../README.md", import.meta.url));

/** A virtual clock start at the beginning of a UTC day, so every window starts at T0. */
export const T0 = 19_676 * 86_400_000;

export interface HostExtras {
  workers?: number;
  properties?: Record<string, string>;
  /** gRPC clusters: a handler playing the rate limit service. */
  grpcClusters?: Record<string, GrpcHandler | string>;
  /** The virtual clock's start (default T0). */
  startTimeMs?: number;
  /** The token the host's first write of shared data takes (default 1). */
  sharedDataCas?: number;
}

export function rateLimitHost(configuration: object, extras: HostExtras = {}): Promise<Host> {
  return createHost({
    module: wasm,
    rootId: "rate-limit",
    vmId: "rate-limit",
    configuration,
    startTimeMs: extras.startTimeMs ?? T0,
    workers: extras.workers,
    properties: extras.properties,
    grpcClusters: extras.grpcClusters,
    sharedDataCas: extras.sharedDataCas,
  });
}

/** One rule's configuration with defaults for the parts a test does not care about. */
export function rule(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    name: "r",
    key: [{ header: "x-user" }],
    limits: [{ token_bucket: { capacity: 3, tokens_per_fill: 1, fill_interval: "1s" } }],
    ...fields,
  };
}

/** Sends `n` requests with the same headers; the statuses in order. */
export async function statuses(
  host: Host,
  n: number,
  headers: Record<string, string> = {},
  path = "/",
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await host.request({ path, headers })).status);
  return out;
}

export function admitted(list: number[]): number {
  return list.filter((s) => s === 200).length;
}

/** One key of a stored set of the shared-data table. */
export interface StoredKey {
  /** The key's last value, as encodeValues stores it (a tag, a u16 length, the UTF-8). */
  value: string;
  lastSeen: number;
  /** Per limit: tokens or count, then the fill time or window start, then the previous count. */
  state: number[];
}

/**
 * The keys of one set of the table as stored (filters/lib/bucket.ts, BucketSet.encode), in
 * order; [] when the set is absent. Little-endian:
 *   u8 version (1), u8 key count, then per key:
 *   u8 key length, the key, i64 last admitted (ms), u32 limits signature, u8 state length n,
 *   n i64 of state.
 */
export function storedSet(host: Host, name: string): StoredKey[] {
  const bytes = host.sharedData(name);
  if (!bytes) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== 1) throw new Error(`${name}: not a set of version 1`);
  const keys: StoredKey[] = [];
  let at = 2;
  for (let i = 0; i < view.getUint8(1); i++) {
    const length = view.getUint8(at);
    const value = new TextDecoder().decode(bytes.subarray(at + 4, at + 1 + length));
    at += 1 + length;
    const lastSeen = Number(view.getBigInt64(at, true));
    const n = view.getUint8(at + 12);
    at += 13;
    const state: number[] = [];
    for (let j = 0; j < n; j++) state.push(Number(view.getBigInt64(at + j * 8, true)));
    at += n * 8;
    keys.push({ value, lastSeen, state });
  }
  if (at !== bytes.byteLength)
    throw new Error(`${name}: ${bytes.byteLength - at} bytes after the last key`);
  return keys;
}

export type { Exchange, Host };
