// The auth filter built for its configuration (`meshwasm build --for-config`): a configuration
// that decides every request in its headers needs neither the request's body and trailers nor
// proxy_on_delete, so the module is built without them and the SDK forgets each stream's
// context when its request headers are decided. That module must still fail closed (expiry
// checked on a cache hit, a tampered or missing token refused, forged identity headers
// stripped), leak nothing over thousands of requests, and refuse a configuration that holds
// requests for a refetch (it would need the missing callbacks), naming the field; and serve in
// real Envoy (two workers), which skips the missing callbacks.

import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter } from "../../../src/build/compile.ts";
import { neededCallbacks, pruneForConfiguration } from "../../../src/build/for-config.ts";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../../src/envoy/index.ts";
import { createHost, type Host, PluginStartError } from "../../../src/testing/index.ts";
import { readWasmModule } from "../../../src/wasm/binary.ts";
import { buildAuth, hmacKey, jwks, ROOT, type TestKey, token } from "./helpers.ts";

const T0 = 1_900_000_000;
let dir = "";
let full: Uint8Array;
let built = "";
let hs: TestKey;

/** Decided in the request's headers: inline keys, the token cache on. */
const inline = () => ({
  providers: {
    main: { algorithms: ["HS256"], jwks: jwks(hs), subject_header: "x-sub", issuer: "https://t" },
  },
  token_cache_size: 64,
});

/** A remote key set whose unknown kids hold requests (the default unknown_kid_max_held). */
const holding = {
  providers: { main: { algorithms: ["RS256"], remote_jwks: { cluster: "keys", path: "/jwks" } } },
};

beforeAll(async () => {
  hs = hmacKey("hs");
  dir = await mkdtemp(join(tmpdir(), "meshwasm-auth-for-config-"));
  full = new Uint8Array(readFileSync(await buildAuth()));
  // What `meshwasm build --for-config` does, with the module every other test uses as its
  // first build: ask that module what the configuration needs, compile without the rest.
  built = join(dir, "auth.wasm");
  const made = await pruneForConfiguration(
    full,
    (prunedCallbacks) =>
      compileFilter({
        entry: join(ROOT, "filters", "auth", "assembly", "index.ts"),
        outFile: built,
        prunedCallbacks,
      }),
    built,
    inline(),
  );
  expect(made.removed.length).toBeGreaterThan(0);
}, 300_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

const exportsOf = (wasm: Uint8Array) => readWasmModule(wasm).exports.map((e) => e.name);

async function host(): Promise<Host> {
  return createHost({
    rootId: "auth",
    module: built,
    startTimeMs: T0 * 1000,
    configuration: inline(),
  });
}

const bearer = (claims: Record<string, unknown>) =>
  `Bearer ${token({ alg: "HS256", key: hs, claims: { iss: "https://t", ...claims } })}`;

describe("what a configuration needs", () => {
  it("inline keys: the request's headers only (no proxy_on_delete); a holding remote set: body, trailers and deletion too", async () => {
    expect(await neededCallbacks(full, inline())).toEqual(["proxy_on_request_headers"]);
    expect(await neededCallbacks(full, holding)).toEqual([
      "proxy_on_request_headers",
      "proxy_on_request_body",
      "proxy_on_request_trailers",
      "proxy_on_delete",
    ]);
    expect(
      await neededCallbacks(full, {
        ...holding,
        providers: {
          main: {
            ...holding.providers.main,
            remote_jwks: { ...holding.providers.main.remote_jwks, unknown_kid_max_held: 0 },
          },
        },
      }),
    ).toEqual(["proxy_on_request_headers"]);
  });

  it("the module built for inline keys exports the request's headers and nothing after them", () => {
    const names = exportsOf(new Uint8Array(readFileSync(built)));
    expect(names).toContain("proxy_on_request_headers");
    for (const gone of ["proxy_on_request_body", "proxy_on_request_trailers", "proxy_on_delete"]) {
      expect(names).not.toContain(gone);
      expect(exportsOf(full)).toContain(gone);
    }
  });
});

describe("the module built without proxy_on_delete", () => {
  it("verifies, caches, strips forged identity headers, and checks expiry on a cache hit", async () => {
    const h = await host();
    const auth = bearer({ sub: "alice", exp: T0 + 100 });
    const first = await h.request({
      path: "/a",
      headers: { authorization: auth, "x-sub": "mallory" },
    });
    expect(first.status).toBe(200);
    expect(first.upstream?.headers["x-sub"]).toBe("alice");
    expect(first.upstream?.headers.authorization).toBeUndefined();
    const again = await h.request({
      path: "/a",
      headers: { authorization: auth, "x-sub": "mallory" },
    });
    expect(again.status).toBe(200);
    expect(again.upstream?.headers["x-sub"]).toBe("alice");
    expect(h.counter("auth.token_cache_hit")).toBe(1);
    h.advance(161_000); // past exp + the 60 s skew: the cached token is refused
    const late = await h.request({ path: "/a", headers: { authorization: auth } });
    expect(late.status).toBe(401);
    expect(late.headers["www-authenticate"]).toContain("token expired");
    expect(h.counter("auth.allowed")).toBe(2);
  });

  it("refuses a tampered, missing or duplicated token", async () => {
    const h = await host();
    const good = bearer({ sub: "bob" });
    const tampered = await h.request({
      path: "/a",
      headers: { authorization: `${good.slice(0, -2)}AA` },
    });
    expect(tampered.status).toBe(401);
    expect(tampered.headers["www-authenticate"]).toContain('error="invalid_token"');
    const none = await h.request({ path: "/a" });
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="meshwasm"');
    const two = await h.request({
      path: `/a?access_token=${good.slice(7)}`,
      headers: { authorization: good },
    });
    expect(two.status).toBe(401);
    expect(h.counter("auth.allowed")).toBe(0);
  });

  it("keeps linear memory flat: each stream's context is forgotten with its request headers", async () => {
    const h = await host();
    const tokens = [0, 1, 2, 3].map((i) => bearer({ sub: `u${i}` }));
    const run = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const s = h.stream();
        s.requestHeaders({
          ":method": "GET",
          ":path": `/m/${i}`,
          ":authority": "a",
          authorization: i % 5 === 4 ? "Bearer x.y.z" : (tokens[i % 4] as string),
        });
        s.responseHeaders({ ":status": "200" }, { endOfStream: true });
        s.complete();
      }
    };
    run(0, 1_000);
    const warm = h.memoryBytes();
    run(1_000, 5_000);
    expect(h.memoryBytes()).toBe(warm);
    expect(h.counter("auth.allowed")).toBe(4_800);
  });

  it("retires a root replaced by a newer one with the same root_id (nothing says it is gone)", async () => {
    // Two plugins with root_id auth in one VM, as after a configuration update: the newer
    // root (key B) decides every request, the older one (key A) is retired, not kept.
    const other = hmacKey("other");
    const h = await createHost({
      rootId: "auth",
      module: built,
      startTimeMs: T0 * 1000,
      configuration: inline(),
      sharedVm: [
        {
          name: "updated",
          rootId: "auth",
          configuration: {
            ...inline(),
            providers: { main: { ...inline().providers.main, jwks: jwks(other) } },
          },
        },
      ],
    });
    const signed = (key: TestKey) =>
      `Bearer ${token({ alg: "HS256", key, claims: { iss: "https://t", sub: "s" } })}`;
    for (const plugin of ["test", "updated"]) {
      const res = await h.request({
        plugin,
        path: "/a",
        headers: { authorization: signed(other) },
      });
      expect(res.upstream?.headers["x-sub"]).toBe("s");
      const old = await h.request({ plugin, path: "/a", headers: { authorization: signed(hs) } });
      expect(old.status).toBe(401);
    }
    h.advance(5_000);
    expect(h.logs("error")).toEqual([]);
  });

  it("refuses a configuration that holds requests for a refetch, naming the field and the callback", async () => {
    const refused = await createHost({
      rootId: "auth",
      module: built,
      configuration: holding,
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PluginStartError);
    expect((refused as PluginStartError).logs.join("\n")).toMatch(
      /providers\.main\.remote_jwks\.unknown_kid_max_held: 100 \(requests are held for a refetch\) needs the callback proxy_on_request_body, which this module was built without/,
    );
  });
});

describe("the module built without proxy_on_delete, in Envoy with two workers", () => {
  let echo: EchoUpstream | undefined;
  let envoy: EnvoyProcess | undefined;
  afterAll(async () => {
    await envoy?.stop();
    await echo?.close();
  });

  it("allows a valid token (cached after its first use), refuses the rest, and strips forged identity headers", async () => {
    echo = await startEchoUpstream();
    envoy = await startEnvoy({
      concurrency: 2,
      startTimeoutMs: 30_000,
      config: buildBootstrap({
        upstream: { kind: "cluster", port: echo.port },
        wasmFilters: [
          {
            name: "auth",
            rootId: "auth",
            vmId: "auth",
            wasmPath: built,
            configuration: JSON.stringify(inline()),
          },
        ],
      }),
    });
    const good = bearer({ sub: "alice", exp: Math.floor(Date.now() / 1000) + 600 });
    const expired = bearer({ sub: "alice", exp: Math.floor(Date.now() / 1000) - 600 });
    for (let i = 0; i < 10; i++) {
      const res = await envoy.request("/orders", {
        headers: { authorization: good, "x-sub": "mallory" },
      });
      expect(res.status).toBe(200);
      const seen = (await res.json()) as { headers: Record<string, string> };
      expect(seen.headers["x-sub"]).toBe("alice");
      expect(seen.headers.authorization).toBeUndefined();
      expect((await envoy.request("/orders", { headers: { authorization: expired } })).status).toBe(
        401,
      );
      expect(
        (await envoy.request("/orders", { headers: { authorization: `${good}x` } })).status,
      ).toBe(401);
      expect((await envoy.request("/orders")).status).toBe(401);
    }
    const stats = await envoy.stats("auth\\.");
    expect(stats["wasmcustom.auth.allowed"]).toBe(10);
    // One miss per worker at most; every other valid request was a cache hit.
    expect(stats["wasmcustom.auth.token_cache_hit"]).toBeGreaterThanOrEqual(8);
  }, 120_000);
});
