// Cluster-wide mode in real Envoy against the real rate limit service (envoyproxy/ratelimit
// with Redis, started by the test): two Envoy processes share one limit of N and admit exactly
// N of a concurrent burst between them; the cost counts as hits; the answer's headers; the
// local pre-check; and the service stopped mid-run (refused connections) or not answering (a
// socket that accepts and never replies: the timeout) gives each process its configured
// outcome, allow or deny, counted in rls_errors. envoy-cluster.yaml validated.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildBootstrap,
  type EnvoyProcess,
  envoyBinary,
  startEnvoy,
} from "../../../src/envoy/index.ts";
import { wasm } from "./helpers.ts";
import { type RateLimitService, serviceCluster, startRateLimitService } from "./rls-service.ts";

const N = 10;
const TRIALS = 20;
// Generous: a loaded machine must not turn a slow answer into on_error (the burst counts).
const TIMEOUT_MS = 3000;
const LIMITS = `domain: meshwasm
descriptors:
  - key: burst
    rate_limit: { unit: day, requests_per_unit: ${N} }
  - key: heavy
    rate_limit: { unit: day, requests_per_unit: 10 }
  - key: pre
    rate_limit: { unit: day, requests_per_unit: 100 }
  - key: outage
    rate_limit: { unit: day, requests_per_unit: 1000000 }
`;

function configuration(onError: "allow" | "deny") {
  return {
    rules: [
      { name: "burst", mode: "cluster", key: [{ header: "x-trial", descriptor_key: "burst" }] },
      {
        name: "heavy",
        mode: "cluster",
        key: [{ header: "x-heavy", descriptor_key: "heavy" }],
        cost: { header: "x-cost", max: 100 },
      },
      {
        name: "pre",
        mode: "local_and_cluster",
        key: [{ header: "x-pre", descriptor_key: "pre" }],
        limits: [{ token_bucket: { capacity: 3, tokens_per_fill: 3, fill_interval: "1h" } }],
      },
      { name: "outage", mode: "cluster", key: [{ header: "x-outage", descriptor_key: "outage" }] },
    ],
    service: {
      cluster: "ratelimit",
      domain: "meshwasm",
      timeout: `${TIMEOUT_MS}ms`,
      on_error: onError,
      error_status: 503,
    },
    response: { headers: "ietf" },
  };
}

function startRateLimitEnvoy(onError: "allow" | "deny", socket: string): Promise<EnvoyProcess> {
  const bootstrap = buildBootstrap({
    upstream: { kind: "direct", status: 200, body: "ok" },
    statsTags: [{ tagName: "rule", regex: "(_rule=([a-z0-9-]+))" }],
    wasmFilters: [
      {
        name: "rate-limit",
        rootId: "rate-limit",
        vmId: "rate-limit",
        wasmPath: wasm,
        configuration: JSON.stringify(configuration(onError)),
      },
    ],
  });
  const resources = bootstrap.static_resources as { clusters: unknown[] };
  resources.clusters.push(serviceCluster("ratelimit", socket));
  return startEnvoy({ concurrency: 2, componentLogLevel: "wasm:error", config: bootstrap });
}

async function get(envoy: EnvoyProcess, headers: Record<string, string>) {
  const started = Date.now();
  const res = await fetch(`${envoy.listenerUrl}/`, {
    headers: { ...headers, connection: "close" },
  });
  await res.arrayBuffer();
  return { status: res.status, headers: res.headers, ms: Date.now() - started };
}

async function stat(envoy: EnvoyProcess, name: string): Promise<number> {
  const stats = await envoy.stats("ratelimit_");
  return stats[`wasmcustom.${name}`] ?? stats[name] ?? 0;
}

/** Waits out the last seconds of a UTC day: the service's day windows start at midnight. */
async function awayFromMidnight() {
  const left = 86_400_000 - (Date.now() % 86_400_000);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 500));
}

describe("cluster mode: two Envoy processes and the rate limit service", () => {
  let service: RateLimitService;
  let allow: EnvoyProcess;
  let deny: EnvoyProcess;
  let blackhole: Server | undefined;
  const held: Socket[] = [];

  beforeAll(async () => {
    service = await startRateLimitService(LIMITS);
    // Both start together; one that did is stopped in afterAll even when the other failed.
    const [a, d] = await Promise.allSettled([
      startRateLimitEnvoy("allow", service.socket),
      startRateLimitEnvoy("deny", service.socket),
    ]);
    if (a.status === "fulfilled") allow = a.value;
    if (d.status === "fulfilled") deny = d.value;
    for (const r of [a, d]) if (r.status === "rejected") throw r.reason;
  }, 45 * 60_000);
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => (blackhole ? blackhole.close(() => r()) : r()));
    await Promise.all([allow?.stop(), deny?.stop()]);
    await service?.stop();
  });

  it(`admits exactly ${N} of a concurrent burst of ${3 * N} spread over both, in each of ${TRIALS} trials`, async () => {
    const admitted: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      await awayFromMidnight();
      const trialKey = `t${trial}-${Date.now()}`;
      const results = await Promise.all(
        Array.from({ length: 3 * N }, (_, i) =>
          get(i % 2 === 0 ? allow : deny, { "x-trial": trialKey }),
        ),
      );
      expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
      admitted.push(results.filter((r) => r.status === 200).length);
      // A refusal says what the service said: the day's limit and the time to its end.
      const refused = results.find((r) => r.status === 429);
      const toMidnight = (86_400_000 - (Date.now() % 86_400_000)) / 1000;
      expect(
        Math.abs(Number(refused?.headers.get("retry-after")) - toMidnight),
      ).toBeLessThanOrEqual(2);
      expect(refused?.headers.get("ratelimit-policy")).toBe(`"burst";q=${N};w=86400`);
      expect(refused?.headers.get("x-envoy-ratelimited")).toBe("true");
    }
    for (const e of [allow, deny]) expect(await stat(e, "ratelimit_rls_errors_rule=burst")).toBe(0);
    expect(admitted).toEqual(new Array(TRIALS).fill(N));
    const total =
      (await stat(allow, "ratelimit_allowed_rule=burst")) +
      (await stat(deny, "ratelimit_allowed_rule=burst"));
    expect(total).toBe(TRIALS * N);
    const limited =
      (await stat(allow, "ratelimit_limited_rule=burst")) +
      (await stat(deny, "ratelimit_limited_rule=burst"));
    expect(limited).toBe(TRIALS * 2 * N);
  });

  it("counts a request's cost as its hits, across both processes", async () => {
    await awayFromMidnight();
    const key = { "x-heavy": `h${Date.now()}`, "x-cost": "4" };
    expect((await get(allow, key)).status).toBe(200); // 4 of 10
    expect((await get(deny, key)).status).toBe(200); // 8
    expect((await get(allow, key)).status).toBe(429); // 12 > 10
    const cheap = await get(deny, { ...key, "x-cost": "1" }); // 13: refused hits count too
    expect(cheap.status).toBe(429);
  });

  it("asks the service only for what the local pre-check admits", async () => {
    await awayFromMidnight();
    const value = `p${Date.now()}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(allow, { "x-pre": value })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    // The service counted three hits: 97 of its 100 left.
    const left = await service.ask({
      domain: "meshwasm",
      descriptors: [{ entries: [{ key: "pre", value }], hits: 0 }],
      hitsAddend: 0,
    });
    expect(left?.statuses[0]?.remaining).toBe(97);
  });

  it("gives each process its on_error outcome when the service stops mid-run, counting rls_errors", async () => {
    const outage = { "x-outage": "o" };
    expect((await get(allow, outage)).status).toBe(200);
    expect((await get(deny, outage)).status).toBe(200);
    await service.stopService();
    const during = await Promise.all(
      Array.from({ length: 6 }, (_, i) => get(i % 2 === 0 ? allow : deny, outage)),
    );
    expect(during.filter((_, i) => i % 2 === 0).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(during.filter((_, i) => i % 2 === 1).map((r) => r.status)).toEqual([503, 503, 503]);
    expect(await stat(allow, "ratelimit_rls_errors_rule=outage")).toBe(3);
    expect(await stat(deny, "ratelimit_rls_errors_rule=outage")).toBe(3);
    expect(await stat(allow, "ratelimit_rls_errors_rule=burst")).toBe(0); // rules not asked count nothing
  });

  it(`waits at most the timeout (${TIMEOUT_MS} ms) for a service that accepts and never answers`, async () => {
    rmSync(service.socket, { force: true });
    blackhole = createServer((s) => held.push(s));
    await new Promise<void>((r) => blackhole?.listen(service.socket, () => r()));
    const outage = { "x-outage": "o" };
    const [a, d] = await Promise.all([get(allow, outage), get(deny, outage)]);
    expect(a.status).toBe(200);
    expect(d.status).toBe(503);
    for (const r of [a, d]) {
      expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(r.ms).toBeLessThan(TIMEOUT_MS + 5000);
    }
    expect(await stat(allow, "ratelimit_rls_errors_rule=outage")).toBe(4);
    expect(await stat(deny, "ratelimit_rls_errors_rule=outage")).toBe(4);
  });
});

describe("envoy-cluster.yaml", () => {
  it("passes envoy --mode validate", () => {
    const result = spawnSync(
      envoyBinary(),
      [
        "--mode",
        "validate",
        "--disable-hot-restart",
        "-c",
        "filters/rate-limit/envoy-cluster.yaml",
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output, output.slice(-3000)).toMatch(/configuration '.*envoy-cluster\.yaml' OK/);
    expect(result.status).toBe(0);
  });
});
