// rate-limit's leases (`shared.lease`) on the test host: what a worker takes ahead never lets
// the workers admit more than the bucket, unused tokens go back, the counters catch up, and
// leases stay off where they would change an answer (rate-limit headers, windows, small
// buckets).
import { describe, expect, it } from "vitest";
import { type Host, rateLimitHost, rule, storedSet } from "./helpers.ts";

const one = { "x-user": "a" };
const bucket = (capacity: number, tokensPerFill = capacity, fillInterval = "1h") => ({
  limits: [
    { token_bucket: { capacity, tokens_per_fill: tokensPerFill, fill_interval: fillInterval } },
  ],
});
const sharedCalls = (host: Awaited<ReturnType<typeof rateLimitHost>>) => {
  const c = host.coverage.hostCalls;
  return (c.get("proxy_get_shared_data") ?? 0) + (c.get("proxy_set_shared_data") ?? 0);
};

/** Sends one admitted request; checks how many reads and writes of shared data it made. */
async function admit(host: Host, headers: Record<string, string>, calls: number, worker = 0) {
  const before = sharedCalls(host);
  expect((await host.request({ headers, worker })).status).toBe(200);
  expect(sharedCalls(host) - before).toBe(calls);
}

/** The reads and writes of shared data while the clock moves `ms` (the tick's work). */
function during(host: Host, ms: number): number {
  const before = sharedCalls(host);
  host.advance(ms);
  return sharedCalls(host) - before;
}

/** The tokens of `value`'s first limit in the one-set table ratelimit/r/0. */
function tokens(host: Host, value: string): number | undefined {
  return storedSet(host, "ratelimit/r/0").find((k) => k.value === value)?.state[0];
}

/** 6400 tokens in one set, leases of up to 1000, ticks as configured (`sweep`). */
const oneSet = (sweep: string, fields: Record<string, unknown> = {}) => ({
  rules: [rule({ ...bucket(6400), max_keys: 8, ...fields })],
  shared: { lease: 1000, sweep_interval: sweep },
});

describe("leases", () => {
  it("never admits more than the bucket across two workers, and the whole bucket once leases go back", async () => {
    const N = 2000;
    const host = await rateLimitHost(
      { rules: [rule(bucket(N))], shared: { lease: 32, sweep_interval: "1s" } },
      { workers: 2 },
    );
    let admitted = 0;
    let firstRefusal = -1;
    const before = sharedCalls(host);
    // Uneven turns (worker 0 three times as often), so one worker drains while the other
    // still holds a lease.
    for (let i = 0; i < N + 500; i++) {
      const status = (await host.request({ headers: one, worker: i % 4 === 0 ? 1 : 0 })).status;
      expect([200, 429]).toContain(status);
      if (status === 200) admitted++;
      else if (firstRefusal < 0) firstRefusal = admitted;
      expect(admitted).toBeLessThanOrEqual(N);
      // While the bucket holds far more than a lease, most requests never touch shared data
      // (a lease covers up to 31 of them here; each costs a read and a write or two).
      if (i === N / 2) expect(sharedCalls(host) - before).toBeLessThan(N / 8);
    }
    // The first refusal came with at most the other worker's lease outstanding: at most
    // 1/64 of what the bucket held when it was taken.
    expect(firstRefusal).toBeGreaterThanOrEqual(N - 32);
    // What a lease still holds goes back on the tick; then the bucket gives exactly its rest.
    host.advance(1000);
    for (let i = 0; i < 100; i++) {
      if ((await host.request({ headers: one, worker: i % 2 })).status === 200) admitted++;
    }
    expect(admitted).toBe(N);
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(N);
  });

  it("at one worker admits exactly what the exact bucket admits, through bursts and fill steps", async () => {
    // The same requests at the same virtual times to a worker with leases and to one without
    // (the exact decision, one write each): with one worker no other VM holds leased tokens,
    // and a lease's leftovers go back with its next write, so every answer is the same. The
    // bucket drains (leases shrink to nothing near empty), refills in steps of 64 a second,
    // and the clock jumps across fill steps at uneven points; no tick comes (an hour apart),
    // so only the next write can give the leftovers back.
    const config = (lease: number) => ({
      rules: [rule(bucket(6400, 64, "1s"))],
      shared: { lease, sweep_interval: "1h" },
    });
    const leased = await rateLimitHost(config(1000));
    const exact = await rateLimitHost(config(0));
    const writes = (h: typeof leased) => h.coverage.hostCalls.get("proxy_set_shared_data") ?? 0;
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    let admitted = 0;
    for (let burst = 0; burst < 60; burst++) {
      const n = Math.floor(next() * 400);
      for (let i = 0; i < n; i++) {
        const a = (await leased.request({ headers: one })).status;
        const b = (await exact.request({ headers: one })).status;
        expect(a, `burst ${burst}, request ${i}`).toBe(b);
        if (a === 200) admitted++;
      }
      const ms = Math.floor(next() * 1500);
      leased.advance(ms);
      exact.advance(ms);
    }
    // The run drained the bucket (refusals happened) and the leases did their work.
    expect(admitted).toBeGreaterThan(6400);
    expect(writes(leased)).toBeLessThan(writes(exact) / 4);
  });

  it("counts requests admitted from a lease in `allowed` on the next tick at the latest", async () => {
    const host = await rateLimitHost({
      rules: [rule(bucket(100_000))],
      shared: { lease: 100, sweep_interval: "1s" },
    });
    for (let i = 0; i < 50; i++) expect((await host.request({ headers: one })).status).toBe(200);
    // The first request stored the key, the second took a lease (100_000 / 64 > 100: the
    // largest); both were counted. The 48 admitted from the lease since wait for the tick.
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(2);
    host.advance(1000);
    expect(host.counter("ratelimit_allowed_rule=r")).toBe(50);
  });

  it("takes one write per lease, gives the unused tokens back on the tick", async () => {
    const host = await rateLimitHost({
      rules: [rule({ ...bucket(6400), max_keys: 8 })], // one set: ratelimit/r/0
      shared: { lease: 1000, sweep_interval: "1s" },
    });
    const writes = () => host.coverage.hostCalls.get("proxy_set_shared_data") ?? 0;
    expect((await host.request({ headers: one })).status).toBe(200); // stores the key
    const w0 = writes();
    // 6399 tokens: a lease of 99 (1/64), this request plus 98 held by the worker.
    for (let i = 0; i < 99; i++) expect((await host.request({ headers: one })).status).toBe(200);
    expect(writes() - w0).toBe(1);
    // The 101st takes a new lease: 6300 / 64 = 98.
    expect((await host.request({ headers: one })).status).toBe(200);
    expect(writes() - w0).toBe(2);
    // 97 unused tokens go back on the tick: 6400 - 101 left, all of them admitted after it.
    host.advance(1000);
    expect(writes() - w0).toBe(3);
    const second = await rateLimitHost({
      rules: [rule({ ...bucket(6400), max_keys: 8 })],
      shared: { lease: 1000, sweep_interval: "1s" },
    });
    // The same bucket's bytes on another host: what the first gave back is in the state.
    second.setSharedData("ratelimit/r/0", host.sharedData("ratelimit/r/0") as Uint8Array);
    let n = 0;
    for (let i = 0; i < 6400; i++) {
      if ((await second.request({ headers: one })).status !== 200) break;
      n++;
    }
    expect(n).toBe(6400 - 101);
  });

  it("stops using a lease at the buckets' next fill step", async () => {
    // Ticks once an hour: nothing gives the lease back; only its end stops it.
    const host = await rateLimitHost(
      { rules: [rule(bucket(640, 640, "1s"))], shared: { lease: 100, sweep_interval: "1h" } },
      { workers: 2 },
    );
    // Worker 0 stores the key (one token), then takes a lease of 9 (639 / 64) and uses one;
    // worker 1 empties the bucket.
    expect((await host.request({ headers: one, worker: 0 })).status).toBe(200);
    expect((await host.request({ headers: one, worker: 0 })).status).toBe(200);
    let w1 = 0;
    while ((await host.request({ headers: one, worker: 1 })).status === 200) w1++;
    expect(w1).toBe(640 - 10);
    host.advance(1000); // one fill: the bucket is full again (640)
    // Were worker 0 still to use its 8 leased tokens, the two workers would admit 648 now.
    let total = 0;
    for (let i = 0; i < 700; i++) {
      if ((await host.request({ headers: one, worker: i % 2 })).status === 200) total++;
    }
    expect(total).toBeLessThanOrEqual(640);
  });

  it("admits from a lease after another rule refused the request before", async () => {
    const host = await rateLimitHost({
      ...oneSet("1h"),
      rules: [
        rule({ ...bucket(6400), max_keys: 8 }),
        rule({
          name: "s",
          key: [{ header: "x-other" }],
          limits: [{ window: { requests: 0, per: "hour" } }],
        }),
      ],
    });
    await admit(host, one, 4); // stores the key (a read, the absent-key token, a write)
    await admit(host, one, 1); // takes a lease
    expect((await host.request({ headers: { "x-other": "z" } })).status).toBe(429);
    await admit(host, one, 0);
  });

  it("leaves another key's lease in its slot alone, and takes none itself meanwhile", async () => {
    const host = await rateLimitHost(oneSet("1h"));
    const a = { "x-user": "a" };
    const b = { "x-user": "b" };
    await admit(host, a, 4);
    await admit(host, a, 1); // a lease of 99 (6399 / 64): 98 held
    await admit(host, b, 1); // b is stored, with no lease: a's holds the slot
    await admit(host, a, 0);
    // Another worker wrote the set: b's write on the copy loses, it reads and writes.
    host.setSharedData("ratelimit/r/0", host.sharedData("ratelimit/r/0") as Uint8Array);
    await admit(host, b, 3);
    for (let i = 0; i < 96; i++) await admit(host, a, 0);
    await admit(host, b, 1); // a still holds one token
    await admit(host, a, 0); // the last one
    await admit(host, b, 1); // a's used-up lease gives way: b takes one
    await admit(host, b, 0);
  });

  it("gives a lease back with the write of a request that costs nothing", async () => {
    const host = await rateLimitHost(
      oneSet("1h", { cost: { header: "x-cost", default: 1, max: 10 } }),
    );
    await admit(host, one, 4);
    await admit(host, one, 1); // 6300 stored, 98 held
    expect(tokens(host, "a")).toBe(6300);
    await admit(host, { ...one, "x-cost": "0" }, 1);
    expect(tokens(host, "a")).toBe(6398);
    await admit(host, one, 1); // a new lease
  });

  it("uses a lease of the rule's one shared bucket", async () => {
    const host = await rateLimitHost(oneSet("1h", { bucket: "shared" }));
    await admit(host, { "x-user": "a" }, 4);
    await admit(host, { "x-user": "b" }, 1);
    for (let i = 0; i < 10; i++) await admit(host, { "x-user": `u${i}` }, 0);
  });

  it("gives a lease back on the tick, then decides on its own copy of the set", async () => {
    const host = await rateLimitHost(oneSet("1s"));
    await admit(host, one, 4);
    await admit(host, one, 1);
    expect(during(host, 1000)).toBe(2); // a read and a write
    expect(tokens(host, "a")).toBe(6398);
    await admit(host, one, 1); // a new lease, written without a read
  });

  it("gives a last leased token back, and reads nothing for a used-up lease", async () => {
    const host = await rateLimitHost(oneSet("1s"));
    await admit(host, one, 4);
    await admit(host, one, 1); // 6300 stored, 98 held
    for (let i = 0; i < 97; i++) await admit(host, one, 0);
    expect(during(host, 1000)).toBe(2);
    expect(tokens(host, "a")).toBe(6301);
    await admit(host, one, 1); // 6301 / 64 = 98: 6203 stored, 97 held
    for (let i = 0; i < 97; i++) await admit(host, one, 0);
    expect(during(host, 1000)).toBe(0);
    expect(tokens(host, "a")).toBe(6203);
    await admit(host, one, 1);
  });

  it("makes no host call at the tick for leases while none is held, whatever the table's size", async () => {
    // Tables of 1 to 8 sets: the first tick's sweep reads each set once (a new table owes
    // every set a visit; at least 16 sets a tick), the next tick nothing.
    for (let sets = 1; sets <= 8; sets++) {
      const host = await rateLimitHost({
        rules: [rule({ max_keys: sets, idle_timeout: "5s" })],
        shared: { ways: 1, lease: 1000, sweep_interval: "1s" },
      });
      expect(during(host, 1000), `${sets} sets`).toBe(sets);
      expect(during(host, 1000), `${sets} sets`).toBe(0);
    }
  });

  it("gives a lease back within cas_attempts when other writes land between, else keeps it", async () => {
    const host = await rateLimitHost({
      ...oneSet("1s"),
      shared: { lease: 1000, sweep_interval: "1s", cas_attempts: 2 },
    });
    const same = (v: Uint8Array | undefined) => (v ? v.slice() : new Uint8Array(0));
    await admit(host, one, 4);
    await admit(host, one, 1);
    host.contendSharedData("ratelimit/r/0", 1, same);
    expect(during(host, 1000)).toBe(4); // the first write loses, the second lands
    expect(tokens(host, "a")).toBe(6398);
    await admit(host, one, 1); // a new lease, on the copy of the write that landed
    // Both tries lose: the lease stays, and is used.
    host.contendSharedData("ratelimit/r/0", 2, same);
    expect(during(host, 1000)).toBe(4);
    await admit(host, one, 0);
  });

  it("drops a lease whose key left the set", async () => {
    const host = await rateLimitHost(oneSet("1s", { max_keys: 1 }));
    await admit(host, one, 4);
    await admit(host, one, 1);
    await admit(host, { "x-user": "b" }, 1); // takes a's place
    expect(during(host, 1000)).toBe(1); // nothing of a's to give back to
    await admit(host, one, 1); // a comes back afresh, without the lease
    expect(storedSet(host, "ratelimit/r/0").map((k) => k.value)).toEqual(["a"]);
  });

  it("gives a lease back on the tick after another worker's write, and goes on without a read", async () => {
    const host = await rateLimitHost(oneSet("1s"), { workers: 2 });
    await admit(host, one, 4);
    await admit(host, one, 1);
    await admit(host, { "x-user": "b" }, 2, 1); // worker 1 reads and writes
    expect(during(host, 1000)).toBe(2);
    await admit(host, one, 1);
  });

  it("gives a lease back with a request decided on the decoded set", async () => {
    // Two fills of 10 min recover the bucket: keys go idle after 20 min. No tick for an hour.
    const host = await rateLimitHost(
      oneSet("1h", {
        ...bucket(6400, 3200, "600s"),
        idle_timeout: "1200s",
        cost: { header: "x-cost", default: 1, max: 10 },
      }),
    );
    await admit(host, { "x-user": "b" }, 4);
    host.advance(15 * 60_000);
    await admit(host, one, 1);
    await admit(host, one, 1); // 6300 stored, 98 held until the fill at 25 min
    host.advance(6 * 60_000);
    // b is idle: the set is decoded, and the lease goes back into a's state there.
    await admit(host, { ...one, "x-cost": "0" }, 1);
    expect(storedSet(host, "ratelimit/r/0").map((k) => [k.value, k.state[0]])).toEqual([
      ["a", 6398],
    ]);
  });

  it("stays off for small buckets, windows and rate-limit headers: every decision writes", async () => {
    const configs = [
      { rules: [rule(bucket(100))], shared: { lease: 100 } }, // 100 / 64 < 2 requests
      {
        rules: [rule({ limits: [{ window: { requests: 100_000, per: "hour" } }] })],
        shared: { lease: 100 },
      },
      { rules: [rule(bucket(100_000))], shared: { lease: 100 }, response: { headers: "ietf" } },
      { rules: [rule(bucket(100_000))] }, // lease 0: the default
    ];
    for (const config of configs) {
      const host = await rateLimitHost(config);
      const writes = () => host.coverage.hostCalls.get("proxy_set_shared_data") ?? 0;
      expect((await host.request({ headers: one })).status).toBe(200); // stores the key
      const w0 = writes();
      for (let i = 0; i < 20; i++) expect((await host.request({ headers: one })).status).toBe(200);
      expect(writes() - w0).toBe(20);
      expect(host.counter("ratelimit_allowed_rule=r")).toBe(21);
    }
  });

  it("refuses a bad lease size, naming the field", async () => {
    await expect(rateLimitHost({ rules: [rule({})], shared: { lease: -1 } })).rejects.toThrow(
      /shared\.lease/,
    );
  });
});
