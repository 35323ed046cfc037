// Claim checks and outputs on the test host: iss, aud (any of, 403), exp and nbf with skew,
// required exp, maximum lifetime, nested claims copied to headers, claim rules and scopes
// (403), the payload header, forwarding the token, and the verified-token cache.

import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host } from "../../../src/testing/index.ts";
import { buildAuth, hmacKey, jwks, rsaKey, type TestKey, token } from "./helpers.ts";

let wasm = "";
let rs: TestKey;
let hs: TestKey;
// A fixed virtual clock: tokens are made relative to it.
const T0 = 1_900_000_000;

beforeAll(async () => {
  wasm = await buildAuth();
  rs = rsaKey("rs");
  hs = hmacKey("hs");
}, 300_000);

async function hostWith(
  provider: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<Host> {
  return createHost({
    rootId: "auth",
    module: wasm,
    startTimeMs: T0 * 1000,
    configuration: {
      providers: { main: { algorithms: ["RS256", "HS256"], jwks: jwks(rs, hs), ...provider } },
      ...extra,
    },
  });
}

const send = (host: Host, claims: Record<string, unknown>, headers: Record<string, string> = {}) =>
  host.request({
    path: "/r",
    headers: { authorization: `Bearer ${token({ alg: "RS256", key: rs, claims })}`, ...headers },
  });

describe("time claims", () => {
  it("refuses an expired token beyond the 60 s default skew, and accepts one within it", async () => {
    const host = await hostWith();
    expect((await send(host, { exp: T0 - 30 })).status).toBe(200);
    const res = await send(host, { exp: T0 - 61 });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(
      'Bearer realm="meshwasm", error="invalid_token", error_description="token expired"',
    );
    expect(JSON.parse(res.body)).toEqual({
      status: 401,
      error: "invalid_token",
      message: "token expired",
    });
    expect(host.counter("auth.denied_reason=expired")).toBe(1);
  });

  it("refuses a token not yet valid, with a configurable skew", async () => {
    const host = await hostWith({ clock_skew_seconds: 5 });
    expect((await send(host, { nbf: T0 + 4 })).status).toBe(200);
    const res = await send(host, { nbf: T0 + 10 });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toContain("token not yet valid");
    expect((await send(host, { exp: T0 - 6 })).status).toBe(401);
  });

  it("requires exp by option and bounds the lifetime", async () => {
    const host = await hostWith({ require_expiration: true, max_lifetime_seconds: 3600 });
    expect((await send(host, {})).headers["www-authenticate"]).toContain("token has no exp");
    expect((await send(host, { iat: T0, exp: T0 + 3600 })).status).toBe(200);
    const long = await send(host, { iat: T0, exp: T0 + 3601 });
    expect(long.status).toBe(401);
    expect(long.headers["www-authenticate"]).toContain("lifetime longer than allowed");
    const open = await hostWith();
    expect((await send(open, {})).status).toBe(200);
  });

  it("refuses non-numeric time claims", async () => {
    const host = await hostWith();
    expect((await send(host, { exp: "tomorrow" })).status).toBe(401);
  });
});

describe("issuer and audience", () => {
  it("refuses a wrong issuer with 401 and a wrong audience with 403", async () => {
    const host = await hostWith({ issuer: "https://id.example", audiences: ["api", "web"] });
    expect((await send(host, { iss: "https://id.example", aud: "web" })).status).toBe(200);
    expect((await send(host, { iss: "https://id.example", aud: ["x", "api"] })).status).toBe(200);
    expect((await send(host, { iss: "https://evil.example", aud: "api" })).status).toBe(401);
    expect((await send(host, { aud: "api" })).status).toBe(401);
    const aud = await send(host, { iss: "https://id.example", aud: ["x", "y"] });
    expect(aud.status).toBe(403);
    expect(JSON.parse(aud.body).error).toBe("forbidden");
    expect((await send(host, { iss: "https://id.example" })).status).toBe(403);
    expect(host.counter("auth.denied_reason=bad-issuer")).toBe(2);
    expect(host.counter("auth.denied_reason=bad-audience")).toBe(2);
  });
});

describe("claims to headers", () => {
  it("copies nested claims, the subject and the payload, and strips client copies first", async () => {
    const host = await hostWith({
      subject_header: "x-sub",
      payload_header: "x-payload",
      claims_to_headers: [
        { claim: "realm.roles", header: "x-roles" },
        { claim: "tenant.id", header: "x-tenant" },
        { claim: "admin", header: "x-admin" },
        { claim: "missing.claim", header: "x-missing" },
        { claim: "evil", header: "x-evil" },
      ],
    });
    const claims = {
      sub: "alice",
      realm: { roles: ["reader", "writer"] },
      tenant: { id: 42 },
      admin: false,
      evil: "a\r\nx-injected: 1",
    };
    const t = token({ alg: "RS256", key: rs, claims });
    const res = await host.request({
      headers: {
        authorization: `Bearer ${t}`,
        "x-sub": "mallory",
        "x-missing": "forged",
        "x-evil": "forged",
      },
    });
    expect(res.status).toBe(200);
    const up = res.upstream?.headers ?? {};
    expect(up["x-sub"]).toBe("alice");
    expect(up["x-roles"]).toBe("reader,writer");
    expect(up["x-tenant"]).toBe("42");
    expect(up["x-admin"]).toBe("false");
    expect(up["x-missing"]).toBeUndefined();
    expect(up["x-evil"]).toBeUndefined();
    expect(up["x-injected"]).toBeUndefined();
    expect(JSON.parse(Buffer.from(up["x-payload"] as string, "base64url").toString())).toEqual(
      claims,
    );
    // A refused request has its forged identity removed too (nothing reaches upstream anyway),
    // and an unauthenticated route never forwards one.
    const forged = await host.request({ headers: { "x-sub": "mallory" } });
    expect(forged.status).toBe(401);
  });

  it("keeps the token upstream when forward is set", async () => {
    const host = await hostWith({ forward: true });
    const t = token({ alg: "RS256", key: rs, claims: {} });
    const res = await host.request({ headers: { authorization: `Bearer ${t}` } });
    expect(res.upstream?.headers.authorization).toBe(`Bearer ${t}`);
  });
});

describe("claim rules and scopes", () => {
  it("answers 403 insufficient_scope when a claim rule or a scope fails", async () => {
    const host = await hostWith({
      require_claims: [
        { claim: "realm.roles", contains: "admin" },
        { claim: "org", equals: "acme" },
      ],
      scopes: ["read", "write"],
    });
    const good = { org: "acme", realm: { roles: ["admin"] }, scope: "read write other" };
    expect((await send(host, good)).status).toBe(200);
    expect((await send(host, { ...good, scope: undefined, scp: ["write", "read"] })).status).toBe(
      200,
    );
    const noRole = await send(host, { ...good, realm: { roles: ["user"] } });
    expect(noRole.status).toBe(403);
    expect(noRole.headers["www-authenticate"]).toContain('error="insufficient_scope"');
    expect((await send(host, { ...good, org: "other" })).status).toBe(403);
    expect((await send(host, { ...good, scope: "read" })).status).toBe(403);
    expect(host.counter("auth.denied_reason=claims")).toBe(2);
    expect(host.counter("auth.denied_reason=scope")).toBe(1);
  });
});

describe("verified-token cache", () => {
  it("verifies a token once, then serves it from the cache until exp", async () => {
    const host = await hostWith();
    const t = token({ alg: "RS256", key: rs, claims: { sub: "a", exp: T0 + 100 } });
    for (let i = 0; i < 5; i++) {
      expect((await host.request({ headers: { authorization: `Bearer ${t}` } })).status).toBe(200);
    }
    expect(host.counter("auth.token_cache_miss")).toBe(1);
    expect(host.counter("auth.token_cache_hit")).toBe(4);
    host.advance(161_000); // past exp + skew
    const res = await host.request({ headers: { authorization: `Bearer ${t}` } });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toContain("token expired");
  });

  it("is bounded: the oldest entries leave when it is full", async () => {
    const host = await hostWith({}, { token_cache_size: 2 });
    const ts = [1, 2, 3].map((i) => token({ alg: "HS256", key: hs, claims: { n: i } }));
    for (const t of [...ts, ts[0] as string])
      await host.request({ headers: { authorization: `Bearer ${t}` } });
    expect(host.counter("auth.token_cache_miss")).toBe(4);
    expect(host.counter("auth.token_cache_hit")).toBe(0);
    await host.request({ headers: { authorization: `Bearer ${ts[2]}` } });
    expect(host.counter("auth.token_cache_hit")).toBe(1);
  });

  it("keeps each provider's verdicts apart, and tells tokens apart by every byte", async () => {
    // "other" trusts only its own key, and requires an issuer: a token "main" verified (and
    // cached) is still refused there.
    const otherKey = hmacKey("hs");
    const host = await hostWith(
      {},
      {
        providers: {
          main: { algorithms: ["HS256"], jwks: jwks(hs) },
          other: { algorithms: ["HS256"], jwks: jwks(otherKey), issuer: "https://other" },
        },
        rules: [{ match: { path: { prefix: "/other" } }, requires: { provider: "other" } }],
        default_requires: { provider: "main" },
      },
    );
    const t = token({ alg: "HS256", key: hs, claims: { sub: "a" } });
    const auth = { authorization: `Bearer ${t}` };
    expect((await host.request({ path: "/main", headers: auth })).status).toBe(200);
    expect((await host.request({ path: "/main", headers: auth })).status).toBe(200);
    expect(host.counter("auth.token_cache_hit")).toBe(1);
    const there = await host.request({ path: "/other", headers: auth });
    expect(there.status).toBe(401);
    expect(there.headers["www-authenticate"]).toContain("signature does not verify");
    // A token one byte away from a cached one is verified on its own (and fails).
    const last = t.at(-1) === "A" ? "B" : "A";
    const near = await host.request({
      path: "/main",
      headers: { authorization: `Bearer ${t.slice(0, -1)}${last}` },
    });
    expect(near.status).toBe(401);
    expect(host.counter("auth.token_cache_hit")).toBe(1);
  });

  it("caches nothing for a token that fails", async () => {
    const host = await hostWith();
    const t = token({ alg: "RS256", key: rsaKey("rs"), claims: {} });
    for (let i = 0; i < 3; i++)
      expect((await host.request({ headers: { authorization: `Bearer ${t}` } })).status).toBe(401);
    expect(host.counter("auth.token_cache_hit")).toBe(0);
  });
});
