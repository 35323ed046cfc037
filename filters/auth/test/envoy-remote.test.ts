// Remote key sets and Basic in real Envoy with two workers (one Envoy for the file): the key
// set comes from a local HTTP server through an Envoy cluster, once per process (the server
// counts the fetches); the first request naming a new kid waits for the refetch it starts and
// passes, without a restart; random kids cost one fetch and are refused; an outage
// keeps the cached set working; a provider whose set was never fetched refuses (503); Basic
// users with {SHA} and bcrypt hashes.

import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../../src/envoy/index.ts";
import { buildAuth, jwks, rsaKey, type TestKey, token } from "./helpers.ts";

let envoy: EnvoyProcess;
let echo: EchoUpstream;
let idp: Server;
let deadPort = 0;
let k1: TestKey;
let k2: TestKey;
/** What the key server serves, how long it takes, how many times it was asked (and answered
 *  200), and when it last answered. */
const served = { keys: [] as TestKey[], status: 200, delayMs: 0, fetches: 0, ok: 0, answeredAt: 0 };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  const wasm = await buildAuth();
  k1 = rsaKey("k1");
  k2 = rsaKey("k2");
  served.keys = [k1];
  idp = createServer((req, res) => {
    if (req.url === "/keys") served.fetches++;
    if (served.status === 200) served.ok++;
    const body = JSON.stringify(jwks(...served.keys));
    setTimeout(() => {
      served.answeredAt = Date.now();
      res.writeHead(served.status, { "content-type": "application/json" });
      res.end(body);
    }, served.delayMs);
  });
  const idpPort = await listen(idp);
  // A port nobody listens on: the "cold" provider's key server is down from the start.
  const closed = createServer();
  deadPort = await listen(closed);
  await new Promise((ok) => closed.close(ok));
  echo = await startEchoUpstream();
  const remote = {
    refresh_seconds: 3600,
    retry_seconds: 1,
    unknown_kid_refetch_seconds: 1,
    timeout_ms: 1000,
  };
  const configuration = {
    providers: {
      main: {
        algorithms: ["RS256"],
        remote_jwks: { cluster: "idp", path: "/keys", ...remote },
        subject_header: "x-sub",
      },
      cold: { algorithms: ["RS256"], remote_jwks: { cluster: "dead", path: "/keys", ...remote } },
    },
    basic: {
      users: [
        `alice:{SHA}${createHash("sha1").update("alice-pw").digest("base64")}`,
        `bob:${bcrypt.hashSync("bob-pw", 5)}`,
      ],
    },
    rules: [
      { match: { path: { prefix: "/cold" } }, requires: { provider: "cold" } },
      { match: { path: { prefix: "/basic" } }, requires: { basic: true } },
    ],
    default_requires: { provider: "main" },
    unavailable_status: 503,
  };
  envoy = await startEnvoy({
    concurrency: 2,
    startTimeoutMs: 30_000,
    config: buildBootstrap({
      upstream: { kind: "cluster", port: echo.port },
      extraClusters: [
        { name: "idp", port: idpPort },
        { name: "dead", port: deadPort },
      ],
      wasmFilters: [
        {
          name: "auth",
          rootId: "auth",
          vmId: "auth",
          wasmPath: wasm,
          configuration: JSON.stringify(configuration),
        },
      ],
    }),
  });
}, 300_000);

afterAll(async () => {
  await envoy?.stop();
  await echo?.close();
  await new Promise((ok) => (idp ? idp.close(ok) : ok(undefined)));
});

const bearer = (key: TestKey, kid = key.kid) => ({
  authorization: `Bearer ${token({ alg: "RS256", key, kid, claims: { sub: "alice", exp: Math.floor(Date.now() / 1000) + 600 } })}`,
});

/** Polls `path` until it answers `status` (at most `ms`); the last status seen. */
async function until(
  path: string,
  headers: Record<string, string>,
  status: number,
  ms = 15_000,
): Promise<number> {
  const end = Date.now() + ms;
  let last = 0;
  while (Date.now() < end) {
    last = (await envoy.request(path, { headers })).status;
    if (last === status) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

describe("remote key sets in Envoy", () => {
  it("are fetched once for the process, not once per worker", async () => {
    expect(await until("/orders", bearer(k1), 200)).toBe(200);
    // Both workers tick twice a second: give them time to fetch if they were going to.
    await new Promise((r) => setTimeout(r, 2000));
    for (let i = 0; i < 10; i++)
      expect((await envoy.request("/orders", { headers: bearer(k1) })).status).toBe(200);
    expect(served.fetches).toBe(1);
  });

  it("hold the first request naming a new kid until the refetch, then pass it", async () => {
    // Rotation: the key server now has k2; the filter's set does not.
    served.keys = [k1, k2];
    served.delayMs = 300;
    const first = await envoy.request("/orders", { headers: bearer(k2) });
    const receivedAt = Date.now();
    expect(first.status).toBe(200);
    expect(((await first.json()) as { headers: Record<string, string> }).headers["x-sub"]).toBe(
      "alice",
    );
    // It was answered after the key server answered the refetch it started.
    expect(served.fetches).toBe(2);
    expect(receivedAt).toBeGreaterThanOrEqual(served.answeredAt);
    served.delayMs = 0;
    for (let i = 0; i < 6; i++)
      expect((await envoy.request("/orders", { headers: bearer(k2) })).status).toBe(200);
    const stats = await envoy.stats("auth\\.");
    expect(stats["wasmcustom.auth.unknown_kid_held"]).toBe(1);
    expect(stats["wasmcustom.auth.denied_reason=unknown-kid"] ?? 0).toBe(0);
  });

  it("refuse held requests whose kid the refetch did not bring; a burst costs one fetch", async () => {
    // Past the rate limit (1 s) of the last fetch, so the burst may start one.
    await new Promise((r) => setTimeout(r, 1100));
    const before = served.fetches;
    // A slow answer: every request of the burst arrives while the refetch is under way.
    served.delayMs = 300;
    const burst = await Promise.all(
      // Half of them POSTs with a body: a body arriving while held does not carry it through.
      Array.from({ length: 12 }, (_, i) =>
        envoy.request("/orders", {
          headers: bearer(k2, `random-${i}`),
          ...(i % 2 === 0 ? { method: "POST", body: "x".repeat(1000) } : {}),
        }),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual(Array(12).fill(401));
    served.delayMs = 0;
    expect(served.fetches - before).toBe(1);
    expect(burst[0]?.headers.get("www-authenticate")).toContain("no key has the token's kid");
    const stats = await envoy.stats("auth\\.");
    expect(stats["wasmcustom.auth.unknown_kid_held"]).toBe(13);
    expect(stats["wasmcustom.auth.denied_reason=unknown-kid"]).toBe(12);
  });

  it("keep working from the cached set while the key server fails", async () => {
    served.status = 500;
    const before = served.fetches;
    // An unknown kid forces a refetch, which fails.
    await envoy.request("/orders", { headers: bearer(k2, "k3") });
    const end = Date.now() + 10_000;
    while (served.fetches === before && Date.now() < end)
      await new Promise((r) => setTimeout(r, 200));
    expect(served.fetches).toBeGreaterThan(before);
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 4; i++)
      expect((await envoy.request("/orders", { headers: bearer(k1) })).status).toBe(200);
    const prom = await envoy.prometheus();
    expect(prom).toMatch(new RegExp(`^auth_jwks_fetch_ok\\{\\} ${served.ok}$`, "m"));
    expect(prom).toMatch(/^auth_jwks_fetch_failed\{\} [1-9]\d*$/m);
    served.status = 200;
  });

  it("refuse with 503 when the set was never fetched", async () => {
    const res = await envoy.request("/cold/x", { headers: bearer(k1) });
    expect(res.status).toBe(503);
    expect(envoy.logs()).toContain("fetching the key set of provider cold failed");
  });
});

describe("Basic in Envoy", () => {
  it("accepts {SHA} and bcrypt users and refuses a wrong password", async () => {
    const basic = (u: string, p: string) => ({
      authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`,
    });
    for (const [u, p] of [
      ["alice", "alice-pw"],
      ["bob", "bob-pw"],
      ["bob", "bob-pw"],
    ] as const) {
      const res = await envoy.request("/basic/x", { headers: basic(u, p) });
      expect(res.status, u).toBe(200);
      expect(
        ((await res.json()) as { headers: Record<string, string> }).headers["x-auth-consumer"],
      ).toBe(u);
    }
    const wrong = await envoy.request("/basic/x", { headers: basic("bob", "nope") });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe('Basic realm="meshwasm", charset="UTF-8"');
  });
});
