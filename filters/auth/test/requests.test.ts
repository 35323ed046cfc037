// Credentials and requirements on the test host: token and key locations in order, duplicates
// refused, credentials removed upstream, API keys (plain and SHA-256), per-route rules (path,
// method, host; none, any-of, all-of), allow-lists (403), CORS preflight bypass, reply bodies.

import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host } from "../../../src/testing/index.ts";
import { buildAuth, hmacKey, jwks, type TestKey, token } from "./helpers.ts";

let wasm = "";
let hs: TestKey;
const KEY_A = "alpha-key-0123456789";
const KEY_B = "bravo-key-0123456789";

beforeAll(async () => {
  wasm = await buildAuth();
  hs = hmacKey("hs");
}, 300_000);

const jwt = (sub = "alice") => token({ alg: "HS256", key: hs, claims: { sub } });

async function hostWith(
  extra: Record<string, unknown> = {},
  provider: Record<string, unknown> = {},
): Promise<Host> {
  return createHost({
    rootId: "auth",
    module: wasm,
    configuration: {
      providers: {
        main: { algorithms: ["HS256"], jwks: jwks(hs), subject_header: "x-sub", ...provider },
      },
      api_keys: {
        from: [{ header: "x-api-key" }, { query: "api_key" }, { cookie: "apikey" }],
        consumers: [
          { name: "alpha", key: KEY_A },
          { name: "bravo", key_sha256: createHash("sha256").update(KEY_B).digest("hex") },
        ],
      },
      ...extra,
    },
  });
}

describe("token locations", () => {
  it("reads the default locations and removes the token before the upstream", async () => {
    const host = await hostWith();
    const h = await host.request({ path: "/a", headers: { authorization: `bearer ${jwt()}` } });
    expect(h.status).toBe(200);
    expect(h.upstream?.headers.authorization).toBeUndefined();
    const q = await host.request({ path: `/a?x=1&access_token=${jwt()}&y=2` });
    expect(q.status).toBe(200);
    expect(q.upstream?.path).toBe("/a?x=1&y=2");
    expect(q.upstream?.headers["x-sub"]).toBe("alice");
  });

  it("reads a cookie and a custom header with a prefix, in the configured order", async () => {
    const host = await hostWith(
      {},
      { from: [{ header: "x-token", prefix: "Token " }, { cookie: "session" }] },
    );
    const c = await host.request({
      headers: { cookie: `theme=dark; session=${jwt("bob")}; lang=en` },
    });
    expect(c.status).toBe(200);
    expect(c.upstream?.headers["x-sub"]).toBe("bob");
    expect(c.upstream?.headers.cookie).toBe("theme=dark; lang=en");
    const x = await host.request({ headers: { "x-token": `Token ${jwt("carol")}` } });
    expect(x.upstream?.headers["x-sub"]).toBe("carol");
    expect(x.upstream?.headers["x-token"]).toBeUndefined();
    // Without the prefix the header holds no credential of this kind.
    expect((await host.request({ headers: { "x-token": jwt() } })).status).toBe(401);
  });

  it("refuses two tokens with 401, never guessing between them", async () => {
    const host = await hostWith();
    const both = await host.request({
      path: `/?access_token=${jwt("b")}`,
      headers: { authorization: `Bearer ${jwt()}` },
    });
    expect(both.status).toBe(401);
    expect(both.headers["www-authenticate"]).toContain('error="invalid_request"');
    const twice = await host.request({
      headers: [
        ["authorization", `Bearer ${jwt()}`],
        ["authorization", `Bearer ${jwt()}`],
      ],
    });
    expect(twice.status).toBe(401);
    expect(
      (await host.request({ path: `/?access_token=${jwt()}&access_token=${jwt()}` })).status,
    ).toBe(401);
    expect(host.counter("auth.denied_reason=duplicate")).toBe(3);
  });

  it("finds a second token in the query of a short path and of one longer than 1 KiB", async () => {
    const host = await hostWith();
    // After the header's token the path is looked at for a query: one that fits the filter's
    // kept buffer (1 KiB) and one that does not are read in different ways.
    for (const segment of ["a".repeat(600), "a".repeat(2000)]) {
      const both = await host.request({
        path: `/${segment}?x=1&access_token=${jwt("b")}`,
        headers: { authorization: `Bearer ${jwt()}` },
      });
      expect(both.status).toBe(401);
      expect(both.headers["www-authenticate"]).toContain('error="invalid_request"');
      const one = await host.request({
        path: `/${segment}?x=1`,
        headers: { authorization: `Bearer ${jwt()}` },
      });
      expect(one.status).toBe(200);
      expect(one.upstream?.path).toBe(`/${segment}?x=1`);
    }
    expect(host.counter("auth.denied_reason=duplicate")).toBe(2);
  });

  it("refuses a request without credentials with every accepted scheme's challenge", async () => {
    const host = await hostWith({ realm: "shop" });
    const res = await host.request({ path: "/" });
    expect(res.status).toBe(401);
    expect(res.headerMap.getAll("www-authenticate")).toEqual([
      'Bearer realm="shop"',
      'Key realm="shop"',
    ]);
    expect(JSON.parse(res.body)).toEqual({
      status: 401,
      error: "unauthorized",
      message: "no credentials",
    });
    expect(host.counter("auth.denied_reason=missing")).toBe(1);
  });
});

describe("API keys", () => {
  it("accepts a consumer's key from a header, a query or a cookie, and names the consumer", async () => {
    const host = await hostWith();
    const h = await host.request({ headers: { "x-api-key": KEY_A, "x-auth-consumer": "bravo" } });
    expect(h.status).toBe(200);
    expect(h.upstream?.headers["x-auth-consumer"]).toBe("alpha");
    expect(h.upstream?.headers["x-api-key"]).toBeUndefined();
    const q = await host.request({ path: `/k?api_key=${KEY_B}` });
    expect(q.upstream?.headers["x-auth-consumer"]).toBe("bravo");
    expect(q.upstream?.path).toBe("/k");
    const c = await host.request({ headers: { cookie: `apikey=${KEY_A}` } });
    expect(c.upstream?.headers["x-auth-consumer"]).toBe("alpha");
  });

  it("refuses a wrong key (401 with the Key challenge) and two keys", async () => {
    const host = await hostWith({ default_requires: { api_key: true } });
    const wrong = await host.request({ headers: { "x-api-key": `${KEY_A}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toBe('Key realm="meshwasm"');
    expect(host.counter("auth.denied_reason=bad-key")).toBe(1);
    const two = await host.request({ path: `/?api_key=${KEY_B}`, headers: { "x-api-key": KEY_A } });
    expect(two.status).toBe(401);
    expect(host.counter("auth.denied_reason=duplicate")).toBe(1);
  });

  it("keeps the key upstream when forward is set", async () => {
    const host = await createHost({
      rootId: "auth",
      module: wasm,
      configuration: { api_keys: { forward: true, consumers: [{ name: "alpha", key: KEY_A }] } },
    });
    const res = await host.request({ headers: { "x-api-key": KEY_A } });
    expect(res.upstream?.headers["x-api-key"]).toBe(KEY_A);
  });
});

describe("per-route rules", () => {
  const rules = {
    rules: [
      { match: { path: { exact: "/healthz" }, methods: ["GET"] }, requires: { none: true } },
      {
        match: { path: { prefix: "/admin/" } },
        requires: { all: [{ provider: "main" }, { api_key: true }] },
      },
      {
        match: { path: { prefix: "/reports/" }, host: "api.example.com" },
        requires: { api_key: true },
        allow: ["bravo"],
      },
      {
        match: { path: { prefix: "/either/" } },
        requires: { any: [{ provider: "main" }, { api_key: true }] },
      },
    ],
    default_requires: { provider: "main" },
  };

  it("chooses the requirement by path, method and host", async () => {
    const host = await hostWith(rules);
    expect((await host.request({ path: "/healthz" })).status).toBe(200);
    expect((await host.request({ path: "/healthz", method: "POST" })).status).toBe(401);
    expect((await host.request({ path: "/healthz/x" })).status).toBe(401);
    // all-of: a token alone or a key alone is not enough.
    expect(
      (await host.request({ path: "/admin/x", headers: { authorization: `Bearer ${jwt()}` } }))
        .status,
    ).toBe(401);
    expect((await host.request({ path: "/admin/x", headers: { "x-api-key": KEY_A } })).status).toBe(
      401,
    );
    const both = await host.request({
      path: "/admin/x",
      headers: { authorization: `Bearer ${jwt()}`, "x-api-key": KEY_A },
    });
    expect(both.status).toBe(200);
    expect(both.upstream?.headers["x-sub"]).toBe("alice");
    expect(both.upstream?.headers["x-auth-consumer"]).toBe("alpha");
    // any-of: either is enough.
    expect(
      (await host.request({ path: "/either/x", headers: { "x-api-key": KEY_A } })).status,
    ).toBe(200);
    expect(
      (await host.request({ path: "/either/x", headers: { authorization: `Bearer ${jwt()}` } }))
        .status,
    ).toBe(200);
    // Default: the provider only; a key is not accepted there.
    expect((await host.request({ path: "/other", headers: { "x-api-key": KEY_A } })).status).toBe(
      401,
    );
  });

  it("strips forged identity headers on every path a request goes on by", async () => {
    const host = await hostWith(rules);
    const forged = { "x-sub": "mallory", "x-auth-consumer": "mallory" };
    // A route that needs nothing reads no credential, and still strips them.
    const open = await host.request({ path: "/healthz", headers: forged });
    expect(open.status).toBe(200);
    expect(open.upstream?.headers["x-sub"]).toBeUndefined();
    expect(open.upstream?.headers["x-auth-consumer"]).toBeUndefined();
    // A token verified, then served from the cache: the filter's own x-sub, no consumer.
    const t = jwt("alice");
    for (let i = 0; i < 2; i++) {
      const res = await host.request({ headers: { ...forged, authorization: `Bearer ${t}` } });
      expect(res.status).toBe(200);
      expect(res.upstream?.headerMap.getAll("x-sub")).toEqual(["alice"]);
      expect(res.upstream?.headers["x-auth-consumer"]).toBeUndefined();
    }
    expect(host.counter("auth.token_cache_hit")).toBe(1);
  });

  it("removes both credentials of an all-of from one header, keeping neither", async () => {
    // Two providers read the same header under two prefixes: the second removal must not
    // put back the first's credential.
    const host = await createHost({
      rootId: "auth",
      module: wasm,
      configuration: {
        providers: {
          a: {
            algorithms: ["HS256"],
            jwks: jwks(hs),
            from: [{ header: "x-token", prefix: "Bearer " }],
          },
          b: {
            algorithms: ["HS256"],
            jwks: jwks(hs),
            from: [{ header: "x-token", prefix: "Token " }],
          },
        },
        default_requires: { all: [{ provider: "a" }, { provider: "b" }] },
      },
    });
    const res = await host.request({
      headers: [
        ["x-token", `Bearer ${jwt("a")}`],
        ["x-token", `Token ${jwt("b")}`],
        ["x-token", "Other kept"],
      ],
    });
    expect(res.status).toBe(200);
    expect(res.upstream?.headerMap.getAll("x-token")).toEqual(["Other kept"]);
  });

  it("answers 403 to an authenticated consumer missing from the allow-list", async () => {
    const host = await hostWith(rules);
    const at = (key: string, authority = "api.example.com:8443") =>
      host.request({ path: "/reports/q?x=1", authority, headers: { "x-api-key": key } });
    expect((await at(KEY_B)).status).toBe(200);
    const alpha = await at(KEY_A);
    expect(alpha.status).toBe(403);
    expect(JSON.parse(alpha.body).error).toBe("forbidden");
    expect(host.counter("auth.denied_reason=not-allowed")).toBe(1);
    // Another host: the rule does not apply; the default (a token) does.
    expect((await at(KEY_B, "other.example.com")).status).toBe(401);
  });

  it("lets CORS preflights through only when asked", async () => {
    const preflight = {
      method: "OPTIONS",
      path: "/orders",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    };
    expect((await (await hostWith()).request(preflight)).status).toBe(401);
    const host = await hostWith({ bypass_cors_preflight: true });
    expect((await host.request(preflight)).status).toBe(200);
    expect(host.counter("auth.cors_preflight_bypassed")).toBe(1);
    // An OPTIONS that is not a preflight still needs credentials.
    expect((await host.request({ method: "OPTIONS", path: "/orders" })).status).toBe(401);
  });
});

describe("reply bodies", () => {
  it("sends text or nothing by option", async () => {
    const text = await (await hostWith({ deny_body: "text" })).request({ path: "/" });
    expect(text.body).toBe("no credentials\n");
    expect(text.headers["content-type"]).toBe("text/plain");
    const empty = await (await hostWith({ deny_body: "empty" })).request({ path: "/" });
    expect(empty.body).toBe("");
    expect(empty.status).toBe(401);
  });
});
