// The auth filter in real Envoy (--concurrency 2, one Envoy for the file): RS256 and ES256
// through Envoy's own verify_signature, PS256 and HS256 in the module, API keys, per-route
// rules, identity headers, stats with their stats_tags; the shipped envoy.yaml validated by
// Envoy; bad configurations refused by Envoy (the listener never serves).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter } from "../../../src/build/compile.ts";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  EnvoyStartError,
  envoyBinary,
  startEchoUpstream,
  startEnvoy,
} from "../../../src/envoy/index.ts";
import { buildAuth, ecKey, hmacKey, jwks, ROOT, rsaKey, type TestKey, token } from "./helpers.ts";

let wasm = "";
let echo: EchoUpstream;
let envoy: EnvoyProcess;
let rs: TestKey;
let es: TestKey;
let ps: TestKey;
let hs: TestKey;
const KEY = "ops-key-0123456789";

function bootstrap(configuration: object) {
  return buildBootstrap({
    upstream: { kind: "cluster", port: echo.port },
    statsTags: [{ tagName: "reason", regex: "(_reason=([^_.]+))" }],
    wasmFilters: [
      {
        name: "auth",
        rootId: "auth",
        vmId: "auth",
        wasmPath: wasm,
        configuration: JSON.stringify(configuration),
      },
    ],
  });
}

beforeAll(async () => {
  wasm = await buildAuth();
  rs = rsaKey("rs", 3072);
  es = ecKey("es", "P-256");
  ps = rsaKey("ps", 2048, "PS256");
  hs = hmacKey("hs");
  echo = await startEchoUpstream();
  envoy = await startEnvoy({
    concurrency: 2,
    startTimeoutMs: 30_000,
    config: bootstrap({
      providers: {
        main: {
          issuer: "https://id.example",
          algorithms: ["RS256", "ES256", "PS256", "HS256"],
          jwks: jwks(rs, es, ps, hs),
          subject_header: "x-sub",
        },
      },
      api_keys: { consumers: [{ name: "ops", key: KEY }] },
      rules: [
        { match: { path: { exact: "/healthz" } }, requires: { none: true } },
        { match: { path: { prefix: "/ops/" } }, requires: { api_key: true }, allow: ["ops"] },
      ],
      default_requires: { provider: "main" },
    }),
  });
}, 300_000);

afterAll(async () => {
  await envoy?.stop();
  await echo?.close();
});

const claims = () => ({
  iss: "https://id.example",
  sub: "alice",
  exp: Math.floor(Date.now() / 1000) + 600,
});

describe("in Envoy with two workers", () => {
  it("verifies RS256 and ES256 (Envoy's verify_signature), PS256 and HS256, and refuses tampering", async () => {
    for (const [alg, key] of [
      ["RS256", rs],
      ["ES256", es],
      ["PS256", ps],
      ["HS256", hs],
    ] as const) {
      const t = token({ alg, key, claims: claims() });
      for (let i = 0; i < 2; i++) {
        // Twice, so both workers (round robin is not guaranteed, but both get traffic) see it.
        const res = await envoy.request("/orders", {
          headers: { authorization: `Bearer ${t}`, "x-sub": "mallory" },
        });
        expect(res.status, alg).toBe(200);
        const seen = (await res.json()) as { headers: Record<string, string> };
        expect(seen.headers["x-sub"]).toBe("alice");
        expect(seen.headers.authorization).toBeUndefined();
      }
      const bad = `${t.slice(0, -6)}${t.slice(-6).split("").reverse().join("")}`;
      const res = await envoy.request("/orders", { headers: { authorization: `Bearer ${bad}` } });
      expect(res.status, `${alg} tampered`).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
    // Envoy 1.40 has verify_signature for RSA and EC keys: the module never fell back.
    expect(envoy.logs()).not.toContain("verify_signature is unavailable");
  });

  it("answers 401 with a challenge and a JSON body, and 403 to a consumer not allowed", async () => {
    const none = await envoy.request("/orders");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="meshwasm"');
    expect(await none.json()).toEqual({
      status: 401,
      error: "unauthorized",
      message: "no credentials",
    });
    expect((await envoy.request("/healthz")).status).toBe(200);
    const ops = await envoy.request("/ops/restart", { headers: { "x-api-key": KEY } });
    expect(ops.status).toBe(200);
    expect(
      ((await ops.json()) as { headers: Record<string, string> }).headers["x-auth-consumer"],
    ).toBe("ops");
    // A valid token on a key-only route: not the credential this route takes.
    const tokenOnOps = await envoy.request("/ops/restart", {
      headers: { authorization: `Bearer ${token({ alg: "HS256", key: hs, claims: claims() })}` },
    });
    expect(tokenOnOps.status).toBe(401);
    expect(tokenOnOps.headers.get("www-authenticate")).toBe('Key realm="meshwasm"');
  });

  it("counts decisions under Envoy-style names with a reason label", async () => {
    const prom = await envoy.prometheus();
    expect(prom).toMatch(/^auth_allowed\{\} \d+$/m);
    const count = (reason: string) =>
      Number(prom.match(new RegExp(`^auth_denied\\{reason="${reason}"\\} (\\d+)$`, "m"))?.[1] ?? 0);
    // The four tampered tokens: a changed signature, or one no longer canonical base64url.
    expect(count("bad-signature") + count("malformed")).toBe(4);
    expect(prom).toMatch(/^auth_denied\{reason="missing"\} [1-9]\d*$/m);
  });
});

describe("configuration in Envoy", () => {
  it("filters/auth/envoy.yaml passes envoy --mode validate", async () => {
    const built = join(ROOT, "build", "auth.wasm");
    if (!existsSync(built)) {
      await compileFilter({
        entry: join(ROOT, "filters", "auth", "assembly", "index.ts"),
        outFile: built,
      });
    }
    const result = spawnSync(
      envoyBinary(),
      ["--mode", "validate", "--disable-hot-restart", "-c", join("filters", "auth", "envoy.yaml")],
      { encoding: "utf8", timeout: 60_000, cwd: ROOT },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output, output.slice(-3000)).toMatch(/configuration '.*envoy\.yaml' OK/);
    expect(result.status).toBe(0);
  });

  for (const [name, configuration, field] of [
    [
      "alg none in the allow-list",
      { providers: { m: { algorithms: ["none"], jwks: { keys: [] } } } },
      '"providers.m.algorithms[0]"',
    ],
    [
      "a short API key",
      { api_keys: { consumers: [{ name: "a", key: "short" }] } },
      '"api_keys.consumers[0].key"',
    ],
  ] as const) {
    it(`is refused by Envoy with ${name}, naming the field`, async () => {
      const started = await startEnvoy({
        config: bootstrap(configuration),
        startTimeoutMs: 20_000,
      }).catch((error: unknown) => error);
      if (!(started instanceof EnvoyStartError)) {
        await (started as EnvoyProcess).stop();
        throw new Error("Envoy served with a bad configuration");
      }
      expect(started.logs).toContain(field);
    });
  }
});
