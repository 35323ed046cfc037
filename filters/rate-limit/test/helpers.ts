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
}

export function rateLimitHost(configuration: object, extras: HostExtras = {}): Promise<Host> {
  return createHost({
    module: wasm,
    rootId: "rate-limit",
    vmId: "rate-limit",
    configuration,
    startTimeMs: T0,
    workers: extras.workers,
    properties: extras.properties,
    grpcClusters: extras.grpcClusters,
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

export type { Exchange, Host };
