// rate-limit in real Envoy with two workers and concurrent clients: exact bursts, refill, key
// isolation, Retry-After against the wall clock, gRPC refusals, a flood of distinct keys
// against the key cap and Envoy's memory, envoy.yaml validated, bad configurations refused.
// The first Envoy runs the module built for its configuration, as `meshwasm build
// --for-config` ships it: local rules with no rate-limit headers on admitted responses keep
// nothing in a stream's context, so it exports neither proxy_on_delete nor the response's
// callbacks, and every decision must hold without them.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter } from "../../../src/build/compile.ts";
import { exportedCallbacks, pruneForConfiguration } from "../../../src/build/for-config.ts";
import {
  buildBootstrap,
  type EnvoyProcess,
  envoyBinary,
  startEnvoy,
} from "../../../src/envoy/index.ts";
import { floodRequests } from "./flood.ts";
import { wasm } from "./helpers.ts";

const N = 10;
const configuration = {
  rules: [
    {
      name: "burst",
      key: [{ header: "x-trial" }],
      limits: [{ token_bucket: { capacity: N, tokens_per_fill: N, fill_interval: "1h" } }],
    },
    {
      name: "refill",
      key: [{ header: "x-refill" }],
      limits: [{ token_bucket: { capacity: 2, tokens_per_fill: 2, fill_interval: "1s" } }],
    },
    {
      name: "minute",
      key: [{ header: "x-minute" }],
      limits: [{ window: { requests: 3, per: "minute" } }],
    },
    {
      name: "flood",
      key: [{ header: "x-flood" }],
      limits: [{ window: { requests: 1, per: "hour" } }],
      max_keys: 1000,
    },
  ],
  response: { headers: "ietf" },
};

/** The rate-limit module built for `config` (what `meshwasm build --for-config` does). */
async function buildFor(config: object, dir: string): Promise<{ path: string; exports: string[] }> {
  const path = join(dir, "rate-limit.wasm");
  const made = await pruneForConfiguration(
    new Uint8Array(readFileSync(wasm)),
    (prunedCallbacks) =>
      compileFilter({
        entry: fileURLToPath(new URL("../assembly/index.ts", import.meta.url)),
        outFile: path,
        prunedCallbacks,
      }),
    path,
    config,
  );
  expect(made.removed.length).toBeGreaterThan(0);
  return { path, exports: exportedCallbacks(new Uint8Array(readFileSync(path))) };
}

function startRateLimitEnvoy(config: object, wasmPath = wasm): Promise<EnvoyProcess> {
  return startEnvoy({
    concurrency: 2,
    componentLogLevel: "wasm:warn",
    config: buildBootstrap({
      upstream: { kind: "direct", status: 200, body: "ok" },
      statsTags: [{ tagName: "rule", regex: "(_rule=([a-z0-9-]+))" }],
      wasmFilters: [
        {
          name: "rate-limit",
          rootId: "rate-limit",
          vmId: "rate-limit",
          wasmPath,
          configuration: JSON.stringify(config),
        },
      ],
    }),
  });
}

/** `total` requests, `parallel` at a time, each on a new connection unless `keepAlive` (new
 *  connections spread over both workers); the statuses in request order. */
async function burst(
  envoy: EnvoyProcess,
  total: number,
  headers: (i: number) => Record<string, string>,
  parallel = total,
  keepAlive = false,
) {
  const statuses: number[] = new Array(total);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const res = await fetch(`${envoy.listenerUrl}/`, {
        headers: keepAlive ? headers(i) : { ...headers(i), connection: "close" },
      });
      await res.arrayBuffer();
      statuses[i] = res.status;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, total) }, worker));
  return statuses;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

describe("rate-limit in Envoy, two workers, built for its configuration", () => {
  let envoy: EnvoyProcess;
  let dir = "";
  let exports: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "meshwasm-rate-limit-envoy-"));
    const built = await buildFor(configuration, dir);
    exports = built.exports;
    envoy = await startRateLimitEnvoy(configuration, built.path);
  }, 300_000);
  afterAll(async () => {
    await envoy?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("exports only the request's headers of the per-stream callbacks", () => {
    expect(exports).toContain("proxy_on_request_headers");
    for (const name of [
      "proxy_on_delete",
      "proxy_on_response_headers",
      "proxy_on_log",
      "proxy_on_done",
    ])
      expect(exports).not.toContain(name);
  });

  it(`admits exactly ${N} of a concurrent burst of ${3 * N}, in each of 20 trials`, async () => {
    const admittedPerTrial: number[] = [];
    for (let trial = 0; trial < 20; trial++) {
      const statuses = await burst(envoy, 3 * N, () => ({ "x-trial": `t${trial}` }));
      admittedPerTrial.push(statuses.filter((s) => s === 200).length);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    }
    expect(admittedPerTrial).toEqual(new Array(20).fill(N));
    const stats = await envoy.stats("ratelimit_");
    expect(
      stats["wasmcustom.ratelimit_allowed_rule=burst"] ?? stats["ratelimit_allowed_rule=burst"],
    ).toBe(20 * N);
  });

  it("keeps keys apart: one exhausted key leaves another full", async () => {
    await burst(envoy, 2 * N, () => ({ "x-trial": "iso-a" }));
    const other = await burst(envoy, N, () => ({ "x-trial": "iso-b" }));
    expect(other.filter((s) => s === 200).length).toBe(N);
  });

  it("refills after the interval and says so in Retry-After", async () => {
    const first = await burst(envoy, 3, () => ({ "x-refill": "r1" }), 1);
    expect(first).toEqual([200, 200, 429]);
    const refused = await envoy.request("/", { headers: { "x-refill": "r1" } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-envoy-ratelimited")).toBe("true");
    await new Promise((r) => setTimeout(r, 1100));
    const after = await burst(envoy, 3, () => ({ "x-refill": "r1" }), 1);
    expect(after).toEqual([200, 200, 429]);
  });

  it("gives a Retry-After within one second of the window's true end", async () => {
    // The window is the wall clock's minute: start well inside one, so that all five
    // requests fall in the same window (the burst takes well under a second).
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await new Promise((done) => setTimeout(done, left + 250));
    const start = Date.now();
    const statuses = await burst(envoy, 4, () => ({ "x-minute": "m1" }), 1);
    const refused = await envoy.request("/", { headers: { "x-minute": "m1" } });
    const now = Date.now();
    expect(Math.floor(now / 60_000)).toBe(Math.floor(start / 60_000));
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(refused.status).toBe(429);
    const truth = Math.ceil((60_000 - (now % 60_000)) / 1000);
    expect(Math.abs(Number(refused.headers.get("retry-after")) - truth)).toBeLessThanOrEqual(1);
    expect(refused.headers.get("ratelimit-policy")).toBe('"minute";q=3;w=60');
  });

  it("refuses gRPC requests with RESOURCE_EXHAUSTED", async () => {
    const grpc = { "x-trial": "grpc", "content-type": "application/grpc" };
    await burst(envoy, N, () => grpc, 1);
    const res = await envoy.request("/pkg.Service/Call", {
      method: "POST",
      headers: grpc,
      body: "",
    });
    expect(res.headers.get("grpc-status")).toBe("8");
  });

  it("holds live keys at the cap through a flood of 100,000 distinct keys, Envoy's memory bounded", async () => {
    const port = Number(new URL(envoy.listenerUrl).port);
    const warmup = await floodRequests(port, 10_000, (i) => `x-flood: warm-${i}\r\n`);
    expect(warmup.get(200)).toBe(10_000);
    const warm = rssBytes(envoy.pid);
    const flood = await floodRequests(port, 100_000, (i) => `x-flood: k-${i}\r\n`);
    expect(flood.get(200)).toBe(100_000); // every key is new to its set
    const stats = await envoy.stats("ratelimit_");
    const live =
      stats["wasmcustom.ratelimit_keys_live_rule=flood"] ?? stats["ratelimit_keys_live_rule=flood"];
    const evicted =
      stats["wasmcustom.ratelimit_keys_evicted_rule=flood"] ??
      stats["ratelimit_keys_evicted_rule=flood"];
    expect(live).toBe(1000);
    expect(evicted).toBe(110_000 - 1000);
    const grown = rssBytes(envoy.pid) - warm;
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  }, 180_000);
});

describe("rate-limit in Envoy, two workers, with leases", () => {
  const L = 1000;
  let envoy: EnvoyProcess;
  beforeAll(async () => {
    envoy = await startRateLimitEnvoy({
      rules: [
        {
          name: "leased",
          key: [{ constant: "all" }],
          limits: [{ token_bucket: { capacity: L, tokens_per_fill: L, fill_interval: "1h" } }],
        },
      ],
      shared: { lease: 64, sweep_interval: "100ms" },
    });
  });
  afterAll(async () => {
    await envoy?.stop();
  });

  it(`never admits more than ${L} across both workers, and all ${L} once leases went back`, async () => {
    // 16 connections kept alive (spread over both workers), so each worker's leases are used.
    const statuses = await burst(envoy, L + 200, () => ({}), 16, true);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const first = statuses.filter((s) => s === 200).length;
    expect(first).toBeLessThanOrEqual(L);
    // Refused only while the other worker held leased tokens: a few at most.
    expect(first).toBeGreaterThanOrEqual(L - 64);
    await new Promise((r) => setTimeout(r, 500)); // ticks give unused leased tokens back
    const rest = await burst(envoy, 100, () => ({}), 4, true);
    expect(first + rest.filter((s) => s === 200).length).toBe(L);
    const stats = await envoy.stats("ratelimit_");
    expect(
      stats["wasmcustom.ratelimit_allowed_rule=leased"] ?? stats["ratelimit_allowed_rule=leased"],
    ).toBe(L);
    // Both workers served: each held leases of the same bucket.
    const perWorker = Object.entries(await envoy.stats("downstream_cx_total")).filter(([k]) =>
      /\.worker_\d+\.downstream_cx_total$/.test(k),
    );
    expect(perWorker.length).toBe(2);
    for (const [, n] of perWorker) expect(n).toBeGreaterThan(0);
  });
});

describe("rate-limit's configuration in Envoy", () => {
  it("envoy.yaml passes envoy --mode validate", () => {
    const result = spawnSync(
      envoyBinary(),
      [
        "--mode",
        "validate",
        "--disable-hot-restart",
        "-c",
        join("filters", "rate-limit", "envoy.yaml"),
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output, output.slice(-3000)).toMatch(/configuration '.*envoy\.yaml' OK/);
    expect(result.status).toBe(0);
  });

  it.each([
    [{ rules: [] }, "rules"],
    [
      {
        rules: [
          { name: "r", key: [{ header: "x" }], limits: [{ window: { requests: 1, per: "week" } }] },
        ],
      },
      "rules[0].limits[0].window.per",
    ],
    [
      {
        rules: [
          {
            name: "r",
            key: [{ header: "x" }],
            limits: [{ token_bucket: { capacity: 1, fill_interval: "1s" } }],
          },
        ],
        colour: 1,
      },
      "colour",
    ],
    [
      {
        rules: [{ name: "g", mode: "cluster", key: [{ header: "x" }] }],
        service: { domain: "shop", timeout: "2m" },
      },
      "service.cluster",
    ],
  ])("refuses a bad configuration without serving (%#)", async (config, field) => {
    const start = startRateLimitEnvoy(config);
    await expect(start).rejects.toThrow(new RegExp(`field "${field.replace(/[[\].]/g, "\\$&")}"`));
  });
});
