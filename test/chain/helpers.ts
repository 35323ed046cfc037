// Shared by the chain tests: the mark fixtures' modules (as one chain and as separate plugins),
// demo tokens, and a request runner that records what the client and the upstreams saw in a
// form two Envoys can be compared on.

import { createHmac } from "node:crypto";
import { existsSync, readdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { compileChain } from "../../src/build/chain.ts";
import { compileFilter, sdkAssemblyDir } from "../../src/build/compile.ts";
import { packageRoot } from "../../src/cli/project.ts";
import type { EchoRequest, EchoUpstream, EnvoyProcess } from "../../src/envoy/index.ts";

export const MARKS = ["first", "pauser", "last"] as const;
const FIXTURES = join(packageRoot, "test", "chain", "fixtures");
const OUT = join(packageRoot, "build", "test-modules");

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = 0;
  for (const e of readdirSync(path)) n = Math.max(n, newest(join(path, e)));
  return n;
}

async function fresh(out: string, build: (tmp: string) => Promise<unknown>): Promise<string> {
  const sources = Math.max(newest(FIXTURES), newest(sdkAssemblyDir()));
  if (existsSync(out) && statSync(out).mtimeMs > sources) return out;
  const tmp = out.replace(/\.wasm$/, `.${process.pid}.tmp.wasm`);
  await build(tmp);
  renameSync(tmp, out);
  return out;
}

const markEntry = (name: string) => join(FIXTURES, name, "assembly", "index.ts");

/** The three mark fixtures as one chained module. */
export function marksChain(): Promise<string> {
  return fresh(join(OUT, "chain-marks.wasm"), (tmp) =>
    compileChain({
      chain: MARKS.map((name) => ({ name, entry: markEntry(name) })),
      outFile: tmp,
      baseDir: packageRoot,
      // Every access bounds-checked, as the test modules are (test/modules/build.ts).
      boundsChecked: true,
    }),
  );
}

/** Each mark fixture as its own module. */
export async function markModules(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of MARKS) {
    out[name] = await fresh(join(OUT, `mark-${name}.wasm`), (tmp) =>
      compileFilter({
        entry: markEntry(name),
        outFile: tmp,
        baseDir: packageRoot,
        boundsChecked: true,
      }),
    );
  }
  return out;
}

/** An HS256 JWT signed with `secret`, kid "demo". */
export function hs256(secret: Buffer, claims: Record<string, unknown>): string {
  const b64 = (v: string | Buffer) => Buffer.from(v).toString("base64url");
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT", kid: "demo" }));
  const body = b64(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims }));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64(sig)}`;
}

/** What one request looked like from the outside, with per-run random values masked. */
export interface Observed {
  status: number;
  /** Response headers as the client got them, in order. */
  client: [string, string][];
  body: string;
  /** Which upstream got the request ("none" when it never left Envoy). */
  upstream: "stable" | "canary" | "none";
  /** Request headers as that upstream saw them (sorted by name). */
  seen: [string, string][];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;
// Differ per run or per Envoy (host carries each side's own listener port).
const VOLATILE = new Set([
  "date",
  "host",
  "x-envoy-upstream-service-time",
  "x-envoy-expected-rq-timeout-ms",
]);

/** Masks values that differ on every run (request ids, new span ids) but keeps their shape. */
export function mask(name: string, value: string, keep: readonly string[] = []): string {
  if (keep.includes(value)) return value;
  if (UUID.test(value)) return "<uuid>";
  if (name === "traceparent" && TRACEPARENT.test(value))
    return `00-<trace>-<span>-${value.slice(-2)}`;
  return value;
}

/** Sends one request to `envoy` and records what the client and the upstreams saw. */
export async function observe(
  envoy: EnvoyProcess,
  upstreams: { stable: EchoUpstream; canary: EchoUpstream },
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Observed> {
  const before = {
    stable: upstreams.stable.requests.length,
    canary: upstreams.canary.requests.length,
  };
  const res = await envoy.request(path, {
    method: init.method ?? "GET",
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  let upstream: Observed["upstream"] = "none";
  let seenBy: EchoRequest | undefined;
  for (const side of ["stable", "canary"] as const) {
    if (upstreams[side].requests.length > before[side]) {
      upstream = side;
      seenBy = upstreams[side].requests[before[side]];
    }
  }
  const keep = Object.values(init.headers ?? {});
  const client: [string, string][] = [];
  res.headers.forEach((value, name) => {
    if (!VOLATILE.has(name)) client.push([name, mask(name, value, keep)]);
  });
  const seen = Object.entries(seenBy?.headers ?? {})
    .filter(([name]) => !VOLATILE.has(name))
    .map(([name, value]): [string, string] => [name, mask(name, value, keep)])
    .sort(([a], [b]) => a.localeCompare(b));
  return {
    status: res.status,
    client,
    body: upstream === "none" ? text : "<echo>",
    upstream,
    seen,
  };
}

/** The filters' own counters and gauges (`wasmcustom.*`) of an Envoy. */
export async function filterStats(envoy: EnvoyProcess): Promise<Record<string, number>> {
  return envoy.stats("^wasmcustom\\.");
}
