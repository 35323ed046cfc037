// Requests naming a kid the remote key set lacks, on the test host with two workers and a key
// server the test answers by hand: held (paused) until the refetch they start or join ends,
// then verified with the new set (passed on) or refused; at most unknown_kid_max_held per
// worker; refused when the refetch outlasts unknown_kid_hold_ms; forgotten when the client
// goes away; random kids cost one fetch per rate-limit window.

import { beforeAll, describe, expect, it } from "vitest";
import type { HttpCall, TestStream } from "../../../src/testing/index.ts";
import { createHost, type Host } from "../../../src/testing/index.ts";
import { sendHeaders } from "../../lib/test/send-headers.ts";
import { buildAuth, jwks, rsaKey, type TestKey, token } from "./helpers.ts";

let wasm = "";
let k1: TestKey;
let k2: TestKey;
const T0 = 1_900_000_000;

beforeAll(async () => {
  wasm = await buildAuth();
  k1 = rsaKey("k1");
  k2 = rsaKey("k2");
}, 300_000);

/** A key server whose fetches wait until the test answers them. */
class Idp {
  calls: HttpCall[] = [];
  handle = (call: HttpCall) => {
    this.calls.push(call);
    return undefined;
  };
  answer(keys: TestKey[], status = 200) {
    const open = this.calls.filter((c) => !c.done);
    expect(open).toHaveLength(1);
    open[0]?.respond({ status, body: JSON.stringify(jwks(...keys)) });
  }
}

/** A host whose key set (k1) was fetched and whose refetch rate limit has passed. */
async function ready(
  idp: Idp,
  remote: Record<string, unknown> = {},
  extra = {},
  allowOnHeadersStopIteration = false,
): Promise<Host> {
  const host = await start(idp, remote, extra, allowOnHeadersStopIteration);
  await pass(host, 500);
  idp.answer([k1]);
  await pass(host, 10_000);
  expect(idp.calls).toHaveLength(1);
  return host;
}

/** A host with two workers whose key set comes from `idp` (nothing fetched yet). */
async function start(
  idp: Idp,
  remote: Record<string, unknown> = {},
  extra = {},
  allowOnHeadersStopIteration = false,
): Promise<Host> {
  return createHost({
    rootId: "auth",
    module: wasm,
    allowOnHeadersStopIteration,
    workers: 2,
    startTimeMs: T0 * 1000,
    clusters: { idp: idp.handle },
    configuration: {
      providers: {
        main: {
          algorithms: ["RS256"],
          remote_jwks: {
            cluster: "idp",
            path: "/keys",
            refresh_seconds: 3600,
            unknown_kid_refetch_seconds: 10,
            ...remote,
          },
          subject_header: "x-sub",
        },
      },
      ...extra,
    },
  });
}

async function pass(host: Host, ms: number) {
  for (let t = 0; t < ms; t += 100) {
    host.advance(100);
    await host.settle();
  }
}

const bearer = (key: TestKey, kid = key.kid) => ({
  authorization: `Bearer ${token({ alg: "RS256", key, kid, claims: { sub: `user-${kid}`, exp: T0 + 3600 } })}`,
});

const send = (host: Host, worker: number, headers: Record<string, string>) =>
  sendHeaders(host, headers, worker);

const passedOn = (s: TestStream) => s.upstream.complete && s.localReply === null;

describe("requests naming an unknown kid", () => {
  it("wait for the refetch they start or join, then pass with the new key", async () => {
    const idp = new Idp();
    const host = await ready(idp);
    const a = send(host, 1, bearer(k2));
    expect(a.action).toBe("Pause");
    expect(idp.calls).toHaveLength(2); // started at once, not on the next tick
    // The other worker's request joins the fetch under way: no second fetch.
    const b = send(host, 0, bearer(k2));
    expect(b.action).toBe("Pause");
    await pass(host, 300);
    expect(idp.calls).toHaveLength(2);
    expect(passedOn(a.s) || passedOn(b.s)).toBe(false);
    expect(host.counter("auth.unknown_kid_held")).toBe(2);
    idp.answer([k1, k2]);
    await pass(host, 200);
    for (const { s } of [a, b]) {
      expect(passedOn(s)).toBe(true);
      // Changed through the handle: the token removed, the identity set.
      expect(s.upstream.headers?.get("x-sub")).toBe("user-k2");
      expect(s.upstream.headers?.has("authorization")).toBe(false);
    }
    expect(host.counter("auth.allowed")).toBe(2);
    expect(host.counter("auth.denied_reason=unknown-kid")).toBe(0);
    // Known now on both workers, without another fetch.
    for (const worker of [0, 1])
      expect((await host.request({ worker, headers: bearer(k2) })).status).toBe(200);
    expect(idp.calls).toHaveLength(2);
  });

  it("are refused when the kid is still unknown after the refetch; random kids cost one fetch", async () => {
    const idp = new Idp();
    const host = await ready(idp, { unknown_kid_max_held: 3 });
    const held = [0, 1, 2, 3, 4].map((i) => send(host, 0, bearer(k2, `random-${i}`)));
    // Past the bound: refused at once.
    expect(held.map((h) => h.s.localReply?.status ?? h.action)).toEqual([
      "Pause",
      "Pause",
      "Pause",
      401,
      401,
    ]);
    expect(host.counter("auth.unknown_kid_hold_full")).toBe(2);
    const other = send(host, 1, bearer(k2, "random-5"));
    expect(other.s.localReply).toBeNull();
    expect(idp.calls).toHaveLength(2);
    idp.answer([k1]);
    await pass(host, 200);
    for (const h of [...held, other]) {
      expect(h.s.localReply?.status).toBe(401);
      expect(h.s.localReply?.headers).toContainEqual([
        "www-authenticate",
        'Bearer realm="meshwasm", error="invalid_token", error_description="no key has the token\'s kid"',
      ]);
    }
    expect(host.counter("auth.denied_reason=unknown-kid")).toBe(6);
    // Within the rate limit (10 s, longer than the hold timeout) nothing more is held or fetched.
    for (let i = 0; i < 10; i++) {
      const r = await host.request({ worker: i % 2, headers: bearer(k2, `again-${i}`) });
      expect(r.status).toBe(401);
    }
    await pass(host, 2000);
    expect(idp.calls).toHaveLength(2);
    expect(host.counter("auth.unknown_kid_held")).toBe(4);
  });

  it("fail closed when the refetch outlasts unknown_kid_hold_ms (401, counted, logged)", async () => {
    const idp = new Idp();
    const host = await ready(idp, { unknown_kid_hold_ms: 1000, timeout_ms: 5000 });
    const a = send(host, 0, bearer(k2));
    const b = send(host, 1, bearer(k2));
    expect([a.s.localReply, b.s.localReply]).toEqual([null, null]);
    await pass(host, 800);
    expect(a.s.localReply).toBeNull();
    await pass(host, 400);
    for (const { s } of [a, b]) {
      expect(s.localReply?.status).toBe(401);
      expect(s.localReply?.body).toContain("the key set was not fetched in time");
    }
    expect(host.counter("auth.denied_reason=hold-timeout")).toBe(2);
    const warnings = host
      .logs("warn")
      .filter((l) => l.includes("waiting for the key set of provider main"));
    expect(warnings).toHaveLength(2); // one per worker
    expect(warnings.join("\n")).not.toContain("Bearer");
    // The late answer still lands: the new key works from then on.
    idp.answer([k1, k2]);
    await pass(host, 200);
    expect((await host.request({ headers: bearer(k2) })).status).toBe(200);
  });

  // Envoy turns a headers pause into "stop all" (it holds the body itself) unless the plugin
  // sets allow_on_headers_stop_iteration; then the body callbacks run, and a body that went on
  // would take the undecided headers with it.
  it.each([false, true])(
    "keep a held request's body and trailers back until it is decided (allow_on_headers_stop_iteration %s)",
    async (allow) => {
      const idp = new Idp();
      const host = await ready(idp, {}, {}, allow);
      const post = (kid: string, trailers: boolean) => {
        const s = host.stream({ worker: 0 });
        s.requestHeaders(
          { ":method": "POST", ":path": "/", ":authority": "a", ...bearer(k2, kid) },
          { endOfStream: false },
        );
        s.requestBody("body", { endOfStream: !trailers });
        if (trailers) s.requestTrailers({ "x-t": "1" });
        return s;
      };
      const refused = post("random", false);
      const passes = post("k2", true);
      // Nothing went on while they wait (a body going on would carry the headers with it).
      for (const s of [refused, passes]) {
        expect(s.upstream.headers).toBeNull();
        expect(s.localReply).toBeNull();
      }
      idp.answer([k1, k2]);
      await pass(host, 200);
      expect(refused.localReply?.status).toBe(401);
      expect(refused.upstream.headers).toBeNull();
      expect(passedOn(passes)).toBe(true);
      expect(Buffer.from(passes.upstream.body).toString()).toBe("body");
      expect(passes.upstream.trailers?.get("x-t")).toBe("1");
    },
  );

  it("ask for no second fetch when they found no keys while the first fetch ran", async () => {
    const idp = new Idp();
    const host = await start(idp, { unknown_kid_refetch_seconds: 1 });
    await pass(host, 800);
    expect(idp.calls).toHaveLength(1);
    // Both workers refuse (no keys yet: not held) and ask for keys, after the fetch started.
    for (const worker of [0, 1])
      expect((await host.request({ worker, headers: bearer(k1) })).status).toBe(401);
    idp.answer([k1]);
    await pass(host, 5000);
    // The fetch under way answered both asks.
    expect(idp.calls).toHaveLength(1);
    for (const worker of [0, 1])
      expect((await host.request({ worker, headers: bearer(k1) })).status).toBe(200);
  });

  it("forget a request whose client went away, and free its place", async () => {
    const idp = new Idp();
    const host = await ready(idp, { unknown_kid_max_held: 1 });
    const gone = send(host, 0, bearer(k2));
    expect(gone.action).toBe("Pause");
    gone.s.reset();
    const next = send(host, 0, bearer(k2));
    expect(next.action).toBe("Pause");
    idp.answer([k1, k2]);
    await pass(host, 200);
    expect(passedOn(next.s)).toBe(true);
    expect(host.counter("auth.allowed")).toBe(1);
    expect(host.logs("error")).toEqual([]);
  });

  it("wait under an any-of requirement too, and are never held when unknown_kid_max_held is 0", async () => {
    const idp = new Idp();
    const host = await ready(
      idp,
      {},
      {
        api_keys: { consumers: [{ name: "ops", key: "ops-key-0123456789" }] },
        default_requires: { any: [{ api_key: true }, { provider: "main" }] },
      },
    );
    const a = send(host, 0, bearer(k2));
    expect(a.action).toBe("Pause");
    idp.answer([k1, k2]);
    await pass(host, 200);
    expect(passedOn(a.s)).toBe(true);
    const idp2 = new Idp();
    const off = await ready(idp2, { unknown_kid_max_held: 0 });
    const r = await off.request({ headers: bearer(k2) });
    expect(r.status).toBe(401);
    expect(off.counter("auth.unknown_kid_held")).toBe(0);
    expect(off.counter("auth.denied_reason=unknown-kid")).toBe(1);
  });
});
