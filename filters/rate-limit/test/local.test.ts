// rate-limit on the test host with its virtual clock: the algorithms, keys, responses, stats,
// the shared-data table (contention, eviction, idle expiry) and shadow mode.
import { describe, expect, it } from "vitest";
import { admitted, type Host, rateLimitHost, rule, statuses, storedSet, T0 } from "./helpers.ts";

const user = (u: string) => ({ "x-user": u });

/** The reads and writes of shared data so far. */
const sharedCalls = (host: Host) => {
  const c = host.coverage.hostCalls;
  return { get: c.get("proxy_get_shared_data") ?? 0, set: c.get("proxy_set_shared_data") ?? 0 };
};

/** Sends one request and checks its status and the reads and writes of shared data it made. */
async function step(
  host: Host,
  headers: Record<string, string>,
  status: number,
  calls: { get: number; set: number },
  worker = 0,
) {
  const before = sharedCalls(host);
  expect((await host.request({ headers, worker })).status).toBe(status);
  const after = sharedCalls(host);
  expect({ get: after.get - before.get, set: after.set - before.set }).toEqual(calls);
}

/** The reads and writes of shared data while the clock moves `ms` (the timer's work). */
function during(host: Host, ms: number) {
  const before = sharedCalls(host);
  host.advance(ms);
  const after = sharedCalls(host);
  return { get: after.get - before.get, set: after.set - before.set };
}

describe("token bucket", () => {
  it("admits the capacity, refills exactly at the end of each interval, says when in Retry-After", async () => {
    const host = await rateLimitHost({ rules: [rule({})] });
    expect(await statuses(host, 4, user("a"))).toEqual([200, 200, 200, 429]);
    host.advance(999);
    const early = await host.request({ headers: user("a") });
    expect(early.status).toBe(429);
    expect(early.headers["retry-after"]).toBe("1");
    expect(early.headers["x-envoy-ratelimited"]).toBe("true");
    expect(early.body).toBe("rate limited\n");
    host.advance(1);
    expect(await statuses(host, 2, user("a"))).toEqual([200, 429]);
    host.advance(10_000);
    expect(admitted(await statuses(host, 5, user("a")))).toBe(3); // full again, never above capacity
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(7);
    expect(host.counter("ratelimit_limited_rule=r")).toBe(5);
  });

  it("gives Retry-After for the whole cost when a request costs several tokens", async () => {
    const host = await rateLimitHost({
      rules: [
        rule({
          limits: [{ token_bucket: { capacity: 10, tokens_per_fill: 1, fill_interval: "2s" } }],
          cost: { header: "x-cost", default: 1, max: 10 },
        }),
      ],
    });
    expect((await host.request({ headers: { ...user("a"), "x-cost": "8" } })).status).toBe(200);
    const res = await host.request({ headers: { ...user("a"), "x-cost": "5" } });
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("6"); // 3 more tokens: 3 fills of 2 s
    host.advance(6000);
    expect((await host.request({ headers: { ...user("a"), "x-cost": "5" } })).status).toBe(200);
    // A malformed or oversized cost is charged the maximum, never less.
    host.advance(20_000);
    expect((await host.request({ headers: { ...user("a"), "x-cost": "bogus" } })).status).toBe(200);
    expect((await host.request({ headers: { ...user("a"), "x-cost": "1" } })).status).toBe(429);
  });
});

describe("windows", () => {
  it("fixed: counts per calendar window and rolls over at its start", async () => {
    const host = await rateLimitHost({
      rules: [rule({ limits: [{ window: { requests: 2, per: "minute" } }] })],
    });
    host.advance(30_000);
    expect(await statuses(host, 3, user("a"))).toEqual([200, 200, 429]);
    expect((await host.request({ headers: user("a") })).headers["retry-after"]).toBe("30");
    host.advance(29_999);
    expect((await host.request({ headers: user("a") })).status).toBe(429);
    host.advance(1);
    expect(await statuses(host, 3, user("a"))).toEqual([200, 200, 429]);
  });

  it("sliding: weights the previous window by the part still inside", async () => {
    const host = await rateLimitHost({
      rules: [rule({ limits: [{ window: { requests: 10, per: "second", sliding: true } }] })],
    });
    host.advance(500);
    expect(admitted(await statuses(host, 12, user("a")))).toBe(10);
    host.advance(600); // 1100: the previous 10 count 0.9 -> 9, one more fits
    expect(await statuses(host, 2, user("a"))).toEqual([200, 429]);
    host.advance(2000);
    expect(admitted(await statuses(host, 12, user("a")))).toBe(10);
  });

  it("several limits on one key: the most restrictive decides", async () => {
    const host = await rateLimitHost({
      rules: [
        rule({
          limits: [
            { token_bucket: { capacity: 5, tokens_per_fill: 5, fill_interval: "1s" } },
            { window: { requests: 7, per: "hour" } },
          ],
        }),
      ],
    });
    expect(admitted(await statuses(host, 6, user("a")))).toBe(5);
    host.advance(1000);
    expect(admitted(await statuses(host, 6, user("a")))).toBe(2);
    const res = await host.request({ headers: user("a") });
    expect(res.headers["retry-after"]).toBe(String(3600 - 1));
  });
});

describe("keys", () => {
  it("keeps one bucket per header value, and skips requests without the header", async () => {
    const host = await rateLimitHost({ rules: [rule({})] });
    expect(admitted(await statuses(host, 4, user("a")))).toBe(3);
    expect(admitted(await statuses(host, 4, user("b")))).toBe(3);
    expect(admitted(await statuses(host, 5))).toBe(5);
  });

  it("puts requests without the key in one shared bucket when missing is shared", async () => {
    const host = await rateLimitHost({ rules: [rule({ missing: "shared" })] });
    expect(admitted(await statuses(host, 5))).toBe(3);
    expect(admitted(await statuses(host, 4, user("a")))).toBe(3);
  });

  it("reads the client address from the socket or the Nth trusted X-Forwarded-For hop", async () => {
    const socket = await rateLimitHost(
      { rules: [rule({ key: [{ client_address: {} }] })] },
      { properties: { "source.address": "10.1.2.3:4444" } },
    );
    expect(admitted(await statuses(socket, 4, { "x-forwarded-for": "1.1.1.1" }))).toBe(3);
    expect(admitted(await statuses(socket, 1, { "x-forwarded-for": "2.2.2.2" }))).toBe(0);
    const xff = await rateLimitHost({
      rules: [rule({ key: [{ client_address: { xff_trusted_hops: 1 } }] })],
    });
    // The client controls the left entries; the hop the trusted proxy appended decides.
    expect(admitted(await statuses(xff, 4, { "x-forwarded-for": "6.6.6.6, 9.9.9.9" }))).toBe(3);
    expect(admitted(await statuses(xff, 1, { "x-forwarded-for": "7.7.7.7, 9.9.9.9" }))).toBe(0);
    expect(admitted(await statuses(xff, 1, { "x-forwarded-for": "9.9.9.9, 8.8.8.8" }))).toBe(1);
  });

  it("builds compound keys from path segments, method, query parameter, cookie and constant", async () => {
    const host = await rateLimitHost({
      rules: [
        rule({
          key: [
            { path: { segments: 2 } },
            { method: true },
            { query: "tenant" },
            { cookie: "sid" },
            { constant: "k" },
          ],
          limits: [{ window: { requests: 1, per: "day" } }],
        }),
      ],
    });
    const req = (path: string, cookie: string, method = "GET") =>
      host.request({ path, method, headers: { cookie } });
    expect((await req("/api/v1/a?tenant=t1", "x=1; sid=s1")).status).toBe(200);
    expect((await req("/api/v1/b?z=0&tenant=t1", "sid=s1")).status).toBe(429); // same key
    expect((await req("/api/v2/a?tenant=t1", "sid=s1")).status).toBe(200);
    expect((await req("/api/v1/a?tenant=t2", "sid=s1")).status).toBe(200);
    expect((await req("/api/v1/a?tenant=t1", "sid=s2")).status).toBe(200);
    expect((await req("/api/v1/a?tenant=t1", "sid=s1", "POST")).status).toBe(200);
    expect((await req("/api/v1/a", "sid=s1")).status).toBe(200); // no tenant: rule skipped
  });

  it("applies overrides: exact and regex values, one shared bucket or one per value", async () => {
    const host = await rateLimitHost({
      rules: [
        rule({
          limits: [{ window: { requests: 1, per: "minute" } }],
          overrides: [
            { value: { exact: "vip" }, limits: [{ window: { requests: 5, per: "minute" } }] },
            {
              value: { regex: "bot-.*" },
              limits: [{ window: { requests: 2, per: "minute" } }],
              bucket: "shared",
            },
            { value: { prefix: "team-" }, limits: [{ window: { requests: 3, per: "minute" } }] },
          ],
        }),
      ],
    });
    expect(admitted(await statuses(host, 6, user("vip")))).toBe(5);
    expect(admitted(await statuses(host, 2, user("bot-1")))).toBe(2);
    expect(admitted(await statuses(host, 2, user("bot-2")))).toBe(0); // shares bot-1's bucket
    expect(admitted(await statuses(host, 4, user("team-a")))).toBe(3);
    expect(admitted(await statuses(host, 4, user("team-b")))).toBe(3); // its own bucket
    expect(admitted(await statuses(host, 2, user("other")))).toBe(1);
  });

  it("uses one bucket for the whole rule when bucket is shared", async () => {
    const host = await rateLimitHost({ rules: [rule({ bucket: "shared" })] });
    expect(
      admitted([...(await statuses(host, 2, user("a"))), ...(await statuses(host, 2, user("b")))]),
    ).toBe(3);
  });
});

describe("responses", () => {
  it("sends the configured status, body and IETF headers, also on allowed responses", async () => {
    const host = await rateLimitHost({
      rules: [rule({ limits: [{ window: { requests: 2, per: "minute" } }] })],
      response: {
        status: 503,
        body: "slow down",
        headers: "ietf",
        headers_on_allowed: true,
        x_envoy_ratelimited: false,
      },
    });
    host.advance(15_000);
    const ok = await host.request({ headers: user("a") });
    expect(ok.status).toBe(200);
    expect(ok.headers["ratelimit-policy"]).toBe('"r";q=2;w=60');
    expect(ok.headers.ratelimit).toBe('"r";r=1;t=45');
    await host.request({ headers: user("a") });
    const no = await host.request({ headers: user("a") });
    expect(no.status).toBe(503);
    expect(no.body).toBe("slow down");
    expect(no.headers.ratelimit).toBe('"r";r=0;t=45');
    expect(no.headers["x-envoy-ratelimited"]).toBeUndefined();
  });

  it("sends X-RateLimit-* headers in that style, only on refusals by default", async () => {
    const host = await rateLimitHost({
      rules: [
        rule({
          limits: [{ token_bucket: { capacity: 2, tokens_per_fill: 1, fill_interval: "10s" } }],
        }),
      ],
      response: { headers: "x-ratelimit" },
    });
    const ok = await host.request({ headers: user("a") });
    expect(ok.headers["x-ratelimit-limit"]).toBeUndefined();
    await host.request({ headers: user("a") });
    const no = await host.request({ headers: user("a") });
    expect(no.headers["x-ratelimit-limit"]).toBe("2");
    expect(no.headers["x-ratelimit-remaining"]).toBe("0");
    expect(no.headers["x-ratelimit-reset"]).toBe("20");
    expect(no.headers["retry-after"]).toBe("10");
  });

  it("answers gRPC requests with RESOURCE_EXHAUSTED", async () => {
    const host = await rateLimitHost({
      rules: [rule({ limits: [{ window: { requests: 0, per: "second" } }] })],
    });
    const res = await host.request({
      method: "POST",
      path: "/pkg.Svc/Call",
      headers: { ...user("a"), "content-type": "application/grpc" },
    });
    expect(res.localReply?.grpcStatus).toBe(8);
  });

  it("shadow mode counts and logs what it would limit and lets everything through", async () => {
    const host = await rateLimitHost({ rules: [rule({ shadow: true })] });
    expect(await statuses(host, 5, user("a"))).toEqual([200, 200, 200, 200, 200]);
    expect(host.counter("ratelimit_shadow_limited_rule=r")).toBe(2);
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(3);
    expect(host.counter("ratelimit_limited_rule=r")).toBe(0);
    expect(host.logs("info").some((l) => l.includes("rule r would limit"))).toBe(true);
  });
});

describe("the shared-data table", () => {
  it("is exact across two workers taking turns", async () => {
    const host = await rateLimitHost({ rules: [rule({})] }, { workers: 2 });
    const got: number[] = [];
    for (let i = 0; i < 6; i++)
      got.push((await host.request({ headers: user("a"), worker: i % 2 })).status);
    expect(admitted(got)).toBe(3);
  });

  it("retries when another worker writes between the read and the write, and counts it", async () => {
    const host = await rateLimitHost({ rules: [rule({ max_keys: 8 })] }); // one set: ratelimit/r/0
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    const same = (v: Uint8Array | undefined) => (v ? v.slice() : new Uint8Array(0));
    // Another worker wrote the set since (so this VM's copy is stale and it reads), and writes
    // it again after each of the next three reads.
    host.setSharedData("ratelimit/r/0", host.sharedData("ratelimit/r/0") as Uint8Array);
    host.contendSharedData("ratelimit/r/0", 3, same);
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    expect(host.counter("ratelimit_cas_retries_rule=r")).toBe(3);
    expect(admitted(await statuses(host, 3, user("a")))).toBe(1); // 3 - 2 taken: nothing lost
  });

  it("writes without a read while it wrote the set last, and reads once another worker wrote", async () => {
    // Never idle here: the sweep timer writes nothing.
    const host = await rateLimitHost(
      { rules: [rule({ max_keys: 8, idle_timeout: "1h" })] },
      { workers: 2 },
    );
    const calls = () => {
      const c = host.coverage.hostCalls;
      return { get: c.get("proxy_get_shared_data") ?? 0, set: c.get("proxy_set_shared_data") ?? 0 };
    };
    const send = async (worker: number) =>
      (await host.request({ headers: user("a"), worker })).status;
    const step = async (worker: number, status: number, gets: number, sets: number) => {
      const before = calls();
      expect(await send(worker)).toBe(status);
      expect(calls()).toEqual({ get: before.get + gets, set: before.set + sets });
    };
    expect(await send(0)).toBe(200); // 3 tokens, 1 per second
    await step(0, 200, 0, 1); // its own copy: one conditional write, no read
    await step(1, 200, 1, 1); // worker 1 has no copy: reads
    // Worker 0's copy still shows a token: its write without a read loses, the read refuses.
    await step(0, 429, 1, 1);
    host.advance(5000); // full again
    await step(1, 200, 0, 1);
    await step(0, 200, 1, 1); // a refusal leaves no copy
    await step(1, 200, 1, 2); // its copy is stale: the write loses, then a read and a write
    await step(0, 429, 1, 1); // its stale copy still shows a token: the write loses again
    expect(host.counter("ratelimit_cas_retries_rule=r")).toBe(0);
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(6);
  });

  it("writes without a read again once it has read and written over another worker's write", async () => {
    const host = await rateLimitHost(
      {
        rules: [
          rule({
            max_keys: 8,
            idle_timeout: "1h",
            limits: [{ token_bucket: { capacity: 10, tokens_per_fill: 1, fill_interval: "1s" } }],
          }),
        ],
      },
      { workers: 2 },
    );
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    await step(host, user("a"), 200, { get: 0, set: 1 });
    await step(host, user("a"), 200, { get: 1, set: 1 }, 1);
    // Worker 1's write took the token worker 0 expected its next write to take: its write
    // loses, it reads (the token its own write then takes is one past the one it read) ...
    await step(host, user("a"), 200, { get: 1, set: 2 });
    // ... and its copy is good again.
    await step(host, user("a"), 200, { get: 0, set: 1 });
  });

  it("keeps writing without a read after reading a set it wrote earlier", async () => {
    // Two sets: a lands in ratelimit/r/0, u3 in ratelimit/r/1.
    const host = await rateLimitHost({
      rules: [
        rule({ max_keys: 16, idle_timeout: "1h", cost: { header: "x-cost", default: 1, max: 10 } }),
      ],
    });
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    expect((await host.request({ headers: user("u3") })).status).toBe(200);
    expect(storedSet(host, "ratelimit/r/0").map((k) => k.value)).toEqual(["a"]);
    expect(storedSet(host, "ratelimit/r/1").map((k) => k.value)).toEqual(["u3"]);
    // a's set, refused on the copy and read: its token is older than u3's write. The worker
    // still knows the token its next write takes, so u3 goes on without reads.
    await step(host, { ...user("a"), "x-cost": "10" }, 429, { get: 1, set: 0 });
    await step(host, user("u3"), 200, { get: 0, set: 1 });
    await step(host, user("u3"), 200, { get: 0, set: 1 });
  });

  it("keeps one copy per 64 sets: a set 64 further on takes the copy's place", async () => {
    // 100 sets: u9 lands in ratelimit/r/2, u100 in ratelimit/r/66.
    const host = await rateLimitHost({ rules: [rule({ max_keys: 800, idle_timeout: "1h" })] });
    await step(host, user("u9"), 200, { get: 2, set: 2 });
    await step(host, user("u100"), 200, { get: 2, set: 2 });
    expect(storedSet(host, "ratelimit/r/2").map((k) => k.value)).toEqual(["u9"]);
    expect(storedSet(host, "ratelimit/r/66").map((k) => k.value)).toEqual(["u100"]);
    await step(host, user("u100"), 200, { get: 0, set: 1 });
    await step(host, user("u9"), 200, { get: 1, set: 1 }); // its copy gave way to u100's
    await step(host, user("u9"), 200, { get: 0, set: 1 });
    await step(host, user("u100"), 200, { get: 1, set: 1 });
  });

  it("stays exact across the wrap of the host's CAS counter, then writes without a read again", async () => {
    // Two sets: a lands in ratelimit/r/0, u3 in ratelimit/r/1. Four tokens before the
    // counter wraps (2^32 - 1, then 1).
    const host = await rateLimitHost(
      {
        rules: [
          rule({
            max_keys: 16,
            idle_timeout: "1h",
            limits: [{ token_bucket: { capacity: 4, tokens_per_fill: 1, fill_interval: "1m" } }],
          }),
        ],
      },
      { workers: 2, sharedDataCas: 2 ** 32 - 5 },
    );
    // Each new key: a read, the absent-key token's write and read, the write (two tokens).
    await step(host, user("a"), 200, { get: 2, set: 2 });
    await step(host, user("u3"), 200, { get: 2, set: 2 });
    await step(host, user("a"), 200, { get: 0, set: 1 }); // on its copy: the token 2^32 - 1
    // The worker's count of the next token wrapped to 0 (unknown). Its copies written before
    // still hold good tokens: u3's write takes 1, a's 2.
    await step(host, user("u3"), 200, { get: 0, set: 1 });
    await step(host, user("a"), 200, { get: 0, set: 1 });
    // Worker 1 takes a's last token. Worker 0 no longer knows the token of its own last
    // writes: it reads, and refuses (its copy would admit a fifth request).
    await step(host, user("a"), 200, { get: 1, set: 1 }, 1);
    await step(host, user("a"), 429, { get: 1, set: 0 });
    await step(host, user("u3"), 200, { get: 1, set: 1 });
    // A read taught it the next token again: writes without a read from here.
    await step(host, user("u3"), 200, { get: 0, set: 1 });
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(8);
  });

  it("counts a key once in the live keys however often it is admitted", async () => {
    const host = await rateLimitHost({ rules: [rule({})] });
    expect(await statuses(host, 3, user("a"))).toEqual([200, 200, 200]);
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(1);
  });

  it("decides a key beside an idle one on its stored state, and stores it once", async () => {
    const host = await rateLimitHost({
      rules: [
        rule({
          max_keys: 8,
          idle_timeout: "30s",
          limits: [{ token_bucket: { capacity: 3, tokens_per_fill: 1, fill_interval: "10s" } }],
        }),
      ],
      shared: { sweep_interval: "1h" },
    });
    expect((await host.request({ headers: user("a") })).status).toBe(200); // the set's first key
    expect((await host.request({ headers: user("b") })).status).toBe(200);
    host.advance(25_000);
    expect(await statuses(host, 3, user("a"))).toEqual([200, 200, 200]);
    host.advance(10_000);
    // b is idle: the set is decoded (and b leaves with this write); a has the one token that
    // came back in those 10 s.
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    expect(storedSet(host, "ratelimit/r/0")).toEqual([
      { value: "a", lastSeen: T0 + 35_000, state: [0, T0 + 35_000, 0] },
    ]);
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(1);
    expect((await host.request({ headers: user("a") })).status).toBe(429);
  });

  it("starts a key afresh when its limits changed, even to as many limits", async () => {
    const before = await rateLimitHost({
      rules: [rule({ max_keys: 8, limits: [{ window: { requests: 1, per: "hour" } }] })],
    });
    expect((await before.request({ headers: user("a") })).status).toBe(200);
    // The set as the earlier configuration left it, under one of 2 an hour.
    const after = await rateLimitHost({
      rules: [rule({ max_keys: 8, limits: [{ window: { requests: 2, per: "hour" } }] })],
    });
    after.setSharedData("ratelimit/r/0", before.sharedData("ratelimit/r/0") as Uint8Array);
    expect(await statuses(after, 3, user("a"))).toEqual([200, 200, 429]);
  });

  it("applies the configured outcome when every attempt loses, and counts it", async () => {
    for (const outcome of ["deny", "allow"]) {
      const host = await rateLimitHost({
        rules: [rule({ max_keys: 8 })],
        shared: { cas_attempts: 2, on_cas_exhausted: outcome },
      });
      host.contendSharedData("ratelimit/r/0", 2, (v) => (v ? v.slice() : new Uint8Array(0)));
      const res = await host.request({ headers: user("a") });
      expect(res.status).toBe(outcome === "deny" ? 429 : 200);
      expect(host.counter("ratelimit_cas_exhausted_rule=r")).toBe(1);
    }
  });

  it("caps live keys, evicting the least recently admitted, and counts evictions", async () => {
    const host = await rateLimitHost({
      rules: [rule({ max_keys: 4, limits: [{ window: { requests: 1, per: "hour" } }] })],
      shared: { ways: 4 },
    });
    for (const u of ["a", "b", "c", "d"])
      expect((await host.request({ headers: user(u) })).status).toBe(200);
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(4);
    host.advance(10);
    expect((await host.request({ headers: user("b") })).status).toBe(429); // b stays limited
    expect((await host.request({ headers: user("e") })).status).toBe(200); // evicts a
    expect(host.counter("ratelimit_keys_evicted_rule=r")).toBe(1);
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(4);
    expect((await host.request({ headers: user("a") })).status).toBe(200); // a starts afresh
    expect((await host.request({ headers: user("e") })).status).toBe(429);
  });

  it("keeps exactly max_keys live when it is not a multiple of the ways", async () => {
    // 3 keys in sets of 2: one set of 2 and one of 1.
    const host = await rateLimitHost({
      rules: [rule({ max_keys: 3, limits: [{ window: { requests: 1, per: "hour" } }] })],
      shared: { ways: 2 },
    });
    for (let i = 0; i < 40; i++)
      expect((await host.request({ headers: user(`u${i}`) })).status).toBe(200);
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(3);
    expect(host.counter("ratelimit_keys_evicted_rule=r")).toBe(37);
  });

  it("lets idle keys leave once their limits have recovered, on the sweep timer", async () => {
    const host = await rateLimitHost({
      rules: [rule({ idle_timeout: "5s" })],
      shared: { sweep_interval: "1s" },
    });
    for (const u of ["a", "b", "c"]) await host.request({ headers: user(u) });
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(3);
    host.advance(4000);
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(3);
    host.advance(12_000); // idle from 5 s; the sweep covers the whole table every 5 s
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(0);
  });

  it("sweeps a key admitted exactly one idle timeout before a tick", async () => {
    // The tick at T0 + 5 s finds a not yet idle (admitted at T0); the next one drops it.
    const host = await rateLimitHost({
      rules: [rule({ max_keys: 8, idle_timeout: "5s" })],
      shared: { sweep_interval: "1s" },
    });
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    host.advance(5000);
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(1);
    expect(during(host, 1000)).toEqual({ get: 1, set: 1 });
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(0);
    expect(storedSet(host, "ratelimit/r/0")).toEqual([]);
  });

  it("looks at a set again when its sweep's write loses, and writes it next without a read", async () => {
    const host = await rateLimitHost({
      rules: [rule({ max_keys: 8, idle_timeout: "5s" })],
      shared: { sweep_interval: "1s" },
    });
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    host.advance(5000);
    // Another worker writes the set right after the sweep reads it.
    host.contendSharedData("ratelimit/r/0", 1, (v) => (v ? v.slice() : new Uint8Array(0)));
    expect(during(host, 1000)).toEqual({ get: 1, set: 1 });
    expect(storedSet(host, "ratelimit/r/0").map((k) => k.value)).toEqual(["a"]);
    expect(during(host, 1000)).toEqual({ get: 1, set: 1 });
    expect(storedSet(host, "ratelimit/r/0")).toEqual([]);
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(0);
    // The sweep's write is this worker's last: the next request decides on it.
    await step(host, user("b"), 200, { get: 0, set: 1 });
  });

  it("sweeps the sets a table before it left, on its first pass", async () => {
    const earlier = await rateLimitHost({
      rules: [rule({ max_keys: 8, idle_timeout: "5s" })],
      shared: { sweep_interval: "1s" },
    });
    expect((await earlier.request({ headers: user("a") })).status).toBe(200);
    // A new table (another host, 10 s later) over the set with a in it, idle by then.
    const host = await rateLimitHost(
      { rules: [rule({ max_keys: 8, idle_timeout: "5s" })], shared: { sweep_interval: "1s" } },
      { startTimeMs: T0 + 10_000 },
    );
    host.setSharedData("ratelimit/r/0", earlier.sharedData("ratelimit/r/0") as Uint8Array);
    expect(during(host, 1000)).toEqual({ get: 1, set: 1 });
    expect(storedSet(host, "ratelimit/r/0")).toEqual([]);
  });

  it("reads a new table's sets at the pace that covers it once per idle timeout", async () => {
    // 100 sets of 8, idle after 5 s, a tick a second: 20 sets a tick.
    const host = await rateLimitHost({
      rules: [rule({ max_keys: 800, idle_timeout: "5s" })],
      shared: { sweep_interval: "1s" },
    });
    expect(during(host, 1000)).toEqual({ get: 20, set: 0 });
    expect(during(host, 4000)).toEqual({ get: 80, set: 0 });
    expect(during(host, 5000)).toEqual({ get: 0, set: 0 });
  });

  it("sweeps, after its first pass over the table, only the sets where a key went idle", async () => {
    // 100 sets of 8, 20 looked at per tick: the whole table every 5 s.
    const host = await rateLimitHost({
      rules: [rule({ max_keys: 800, idle_timeout: "5s" })],
      shared: { sweep_interval: "1s" },
    });
    const reads = () => host.coverage.hostCalls.get("proxy_get_shared_data") ?? 0;
    const writes = () => host.coverage.hostCalls.get("proxy_set_shared_data") ?? 0;
    const during = (ms: number) => {
      const before = { reads: reads(), writes: writes() };
      host.advance(ms);
      return { reads: reads() - before.reads, writes: writes() - before.writes };
    };
    expect((await host.request({ headers: user("a") })).status).toBe(200);
    // The first pass reads the table once (sets an earlier table may have written; a's set only
    // if the pass reaches it once a may have gone idle), writing nothing.
    const first = during(5500);
    expect(first.writes).toBe(0);
    expect(first.reads).toBeGreaterThanOrEqual(99);
    expect(first.reads).toBeLessThanOrEqual(100);
    expect((await host.request({ headers: user("a") })).status).toBe(200); // a stays fresh
    expect(during(4000)).toEqual({ reads: 0, writes: 0 });
    // a went idle: its set is read and written once; then nothing is left to look at.
    expect(during(8000)).toEqual({ reads: 1, writes: 1 });
    expect(host.gauge("ratelimit_keys_live_rule=r")).toBe(0);
    expect(during(20_000)).toEqual({ reads: 0, writes: 0 });
  });
});
