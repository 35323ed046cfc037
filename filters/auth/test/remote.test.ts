// Remote key sets on the test host with two workers: fetched through a cluster once for the
// process (shared data), refreshed on a timer, kept when a refresh fails, refetched
// (rate-limited) on an unknown kid, refused when nothing was ever fetched, OIDC discovery.

import { beforeAll, describe, expect, it } from "vitest";
import type { HttpCall, HttpCallReply } from "../../../src/testing/index.ts";
import { createHost, type Host } from "../../../src/testing/index.ts";
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

/** A JWKS server the test controls: what it serves, and every path it was asked for. */
class Idp {
  keys: TestKey[] = [];
  status = 200;
  body: string | null = null;
  paths: string[] = [];
  discovery: Record<string, unknown> | null = null;
  handle = (call: HttpCall): HttpCallReply => {
    const path = call.headers.get(":path") ?? "";
    this.paths.push(path);
    if (path === "/.well-known/openid-configuration" && this.discovery) {
      return { status: 200, body: JSON.stringify(this.discovery) };
    }
    return { status: this.status, body: this.body ?? JSON.stringify(jwks(...this.keys)) };
  };
}

async function hostWith(
  idp: Idp,
  remote: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<Host> {
  return createHost({
    rootId: "auth",
    module: wasm,
    workers: 2,
    startTimeMs: T0 * 1000,
    clusters: { idp: idp.handle },
    configuration: {
      providers: {
        main: {
          issuer: "https://idp.example",
          algorithms: ["RS256"],
          remote_jwks: {
            cluster: "idp",
            path: "/keys",
            refresh_seconds: 60,
            retry_seconds: 5,
            unknown_kid_refetch_seconds: 10,
            ...remote,
          },
        },
      },
      ...extra,
    },
  });
}

const bearer = (key: TestKey, kid = key.kid) => ({
  authorization: `Bearer ${token({ alg: "RS256", key, kid, claims: { iss: "https://idp.example", sub: "a", exp: T0 + 3600 } })}`,
});

/** Lets `ms` of virtual time pass in ticks, delivering callout answers. */
async function pass(host: Host, ms: number) {
  for (let t = 0; t < ms; t += 250) {
    host.advance(250);
    await host.settle();
  }
}

describe("remote key sets", () => {
  it("are fetched once for the process, used by both workers, and refreshed on the timer", async () => {
    const idp = new Idp();
    idp.keys = [k1];
    const host = await hostWith(idp);
    await pass(host, 1000);
    expect(idp.paths).toEqual(["/keys"]);
    for (const worker of [0, 1]) {
      expect((await host.request({ worker, headers: bearer(k1) })).status, `worker ${worker}`).toBe(
        200,
      );
    }
    expect(host.counter("auth.jwks_fetch_ok")).toBe(1);
    await pass(host, 60_000);
    expect(idp.paths).toEqual(["/keys", "/keys"]);
  });

  it("rotate without a restart: an unknown kid waits for the rate-limited refetch", async () => {
    const idp = new Idp();
    idp.keys = [k1];
    const host = await hostWith(idp);
    // The refetch is rate-limited from the last fetch: let unknown_kid_refetch_seconds pass.
    await pass(host, 10_000);
    idp.keys = [k1, k2];
    // The first request naming the new kid is held until the refetch ends, then verified.
    const first = await host.request({ worker: 1, headers: bearer(k2) });
    expect(first.status).toBe(200);
    expect(host.counter("auth.unknown_kid_held")).toBe(1);
    expect(host.counter("auth.denied_reason=unknown-kid")).toBe(0);
    expect(idp.paths).toHaveLength(2);
    for (const worker of [0, 1])
      expect((await host.request({ worker, headers: bearer(k2) })).status).toBe(200);
    // More unknown kids within unknown_kid_refetch_seconds: no new fetch.
    for (let i = 0; i < 5; i++)
      await host.request({ worker: i % 2, headers: bearer(k2, `nope${i}`) });
    await pass(host, 2000);
    expect(idp.paths).toHaveLength(2);
    // Once the window has passed, one fetch answers all of them.
    await pass(host, 9000);
    expect(idp.paths).toHaveLength(3);
    await host.request({ headers: bearer(k2, "still-unknown") });
    await pass(host, 1000);
    expect(idp.paths).toHaveLength(3);
  });

  it("keep the last good set when a refresh fails, and count the failure", async () => {
    const idp = new Idp();
    idp.keys = [k1];
    const host = await hostWith(idp);
    await pass(host, 1000);
    idp.status = 500;
    await pass(host, 61_000);
    expect(host.counter("auth.jwks_fetch_failed")).toBe(1);
    expect((await host.request({ headers: bearer(k1) })).status).toBe(200);
    // A body that is not a key set is a failure too; the retry waits retry_seconds.
    idp.status = 200;
    idp.body = '{"keys": "no"}';
    await pass(host, 5000);
    expect(host.counter("auth.jwks_fetch_failed")).toBe(2);
    expect((await host.request({ worker: 1, headers: bearer(k1) })).status).toBe(200);
    expect(host.logs("warn").some((l) => l.includes("the last good set stays in use"))).toBe(true);
  });

  it("refuse requests while no set was ever fetched (401 or 503), then recover", async () => {
    const idp = new Idp();
    idp.status = 503;
    const host = await hostWith(idp, {}, { unavailable_status: 503 });
    await pass(host, 1000);
    const res = await host.request({ headers: bearer(k1) });
    expect(res.status).toBe(503);
    expect(host.counter("auth.denied_reason=unavailable")).toBe(1);
    const dflt = await hostWith(new Idp());
    const none = await dflt.request({ headers: bearer(k1) });
    expect(none.status).toBe(401);
    idp.status = 200;
    idp.keys = [k1];
    await pass(host, 5000);
    expect((await host.request({ headers: bearer(k1) })).status).toBe(200);
  });

  it("find the key set by OIDC discovery, checking the issuer", async () => {
    const idp = new Idp();
    idp.keys = [k1];
    idp.discovery = {
      issuer: "https://idp.example",
      jwks_uri: "https://idp.example/oauth/jwks?v=2",
    };
    const host = await hostWith(idp, { path: undefined, oidc_discovery: true });
    await pass(host, 1000);
    expect(idp.paths).toEqual(["/.well-known/openid-configuration", "/oauth/jwks?v=2"]);
    expect((await host.request({ headers: bearer(k1) })).status).toBe(200);
    const evil = new Idp();
    evil.keys = [k1];
    evil.discovery = { issuer: "https://evil.example", jwks_uri: "https://idp.example/keys" };
    const refused = await hostWith(evil, { path: undefined, oidc_discovery: true });
    await pass(refused, 1000);
    expect(evil.paths).toEqual(["/.well-known/openid-configuration"]);
    expect(refused.counter("auth.jwks_fetch_failed")).toBe(1);
    expect((await refused.request({ headers: bearer(k1) })).status).toBe(401);
  });
});
