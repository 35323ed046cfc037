// The configuration: the README's examples and a corpus of bad configurations run through
// both schema.json (Ajv, JSON Schema 2020-12) and the real module on the test host. Every bad
// configuration is refused by the module with one log line naming the field; the schema
// refuses it too, except for the few checks JSON Schema cannot express (listed with why).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { neededCallbacks } from "../../../src/build/for-config.ts";
import { createHost, PluginStartError } from "../../../src/testing/index.ts";
import { buildAuth, ecKey, hmacKey, jwks, ROOT, rsaKey, type TestKey } from "./helpers.ts";

let wasm = "";
let rsa: TestKey;
let ec: TestKey;
let oct: TestKey;
const schema = JSON.parse(readFileSync(join(ROOT, "filters", "auth", "schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

beforeAll(async () => {
  wasm = await buildAuth();
  rsa = rsaKey("r1");
  ec = ecKey("e1");
  oct = hmacKey("h1");
}, 300_000);

/** The module's verdict: null when it starts, else its log lines. */
async function moduleRefusal(configuration: unknown): Promise<string[] | null> {
  try {
    const host = await createHost({
      rootId: "auth",
      module: wasm,
      configuration: configuration as object,
    });
    host.close();
    return null;
  } catch (error) {
    if (error instanceof PluginStartError) return error.logs;
    throw error;
  }
}

/** README examples elide key material as "…": filled here with freshly generated keys. */
function fillKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fillKeys);
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  if (o.kty === "RSA" && o.n === "…") return { ...rsa.jwk, ...o, n: rsa.jwk.n, e: rsa.jwk.e };
  if (o.kty === "EC" && o.x === "…") return { ...o, crv: "P-256", x: ec.jwk.x, y: ec.jwk.y };
  if (o.kty === "oct" && o.k === "…") return { ...o, k: oct.jwk.k };
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fillKeys(v)]));
}

/** Every ```json block of the README's configuration reference. */
function readmeExamples(): unknown[] {
  const readme = readFileSync(join(ROOT, "filters", "auth", "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks.map((b) => JSON.parse(b));
}

describe("README examples", () => {
  it("are accepted by the schema and by the module", async () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const [i, example] of examples.entries()) {
      const config = fillKeys(example);
      const ok = validate(config);
      expect(ok, `example ${i}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(await moduleRefusal(config), `example ${i}`).toBeNull();
    }
  });
});

const p = (extra: Record<string, unknown> = {}) => ({
  providers: { main: { algorithms: ["RS256"], jwks: jwks(rsa), ...extra } },
});
const k = (extra: Record<string, unknown> = {}) => ({
  api_keys: { consumers: [{ name: "a", key: "0123456789abcdef" }], ...extra },
});

interface Bad {
  name: string;
  config: () => unknown;
  /** What the log line must contain (the field path, and what is wrong). */
  field: string;
  /** Set when JSON Schema cannot see the mistake: why. */
  schemaCannot?: string;
}

const BAD: Bad[] = [
  { name: "a top-level array", config: () => [], field: "expected a JSON object" },
  {
    name: "a misspelt top-level field",
    config: () => ({ ...p(), provider: {} }),
    field: 'field "provider": unknown field (did you mean "providers"?)',
  },
  { name: "nothing to authenticate with", config: () => ({}), field: 'field "providers"' },
  {
    name: "providers as an array",
    config: () => ({ providers: [] }),
    field: 'field "providers": expected an object',
  },
  {
    name: "no provider",
    config: () => ({ providers: {} }),
    field: "must name at least one provider",
  },
  {
    name: "a provider without algorithms",
    config: () => ({ providers: { m: { jwks: jwks(rsa) } } }),
    field: 'field "providers.m.algorithms"',
  },
  {
    name: "an empty algorithm list",
    config: () => p({ algorithms: [] }),
    field: '"providers.main.algorithms": must list',
  },
  {
    name: "alg none",
    config: () => p({ algorithms: ["none"] }),
    field: '"providers.main.algorithms[0]": "none" is not supported',
  },
  {
    name: "ES512",
    config: () => p({ algorithms: ["RS256", "ES512"] }),
    field: '"providers.main.algorithms[1]"',
  },
  {
    name: "algorithms as a string",
    config: () => p({ algorithms: "RS256" }),
    field: '"providers.main.algorithms": expected an array',
  },
  {
    name: "no key set",
    config: () => ({ providers: { m: { algorithms: ["RS256"] } } }),
    field: '"providers.m.jwks": is required',
  },
  {
    name: "an empty key set",
    config: () => p({ jwks: { keys: [] } }),
    field: '"providers.main.jwks.keys"',
  },
  {
    name: "a key without kty",
    config: () => p({ jwks: { keys: [{ n: "AQAB", e: "AQAB" }] } }),
    field: '"providers.main.jwks.keys[0].kty": is required',
  },
  {
    name: "a modulus that is not base64url",
    config: () => p({ jwks: { keys: [{ ...rsa.jwk, n: "ab+/" }] } }),
    field: '"providers.main.jwks.keys[0].n": is not unpadded base64url',
  },
  {
    name: "a 1024-bit RSA key",
    config: () => p({ jwks: jwks(rsaKey("small", 1024)) }),
    field: '"providers.main.jwks.keys[0].n": is not a usable RSA key',
    schemaCannot: "the modulus size is a property of the decoded bytes",
  },
  {
    name: "an EC point off the curve",
    config: () => ({
      providers: { m: { algorithms: ["ES256"], jwks: { keys: [{ ...ec.jwk, y: ec.jwk.x }] } } },
    }),
    field: '"providers.m.jwks.keys[0].x": x and y are not a point on P-256',
    schemaCannot: "curve membership is arithmetic on the decoded coordinates",
  },
  {
    name: "curve P-521",
    config: () => p({ algorithms: ["ES256"], jwks: { keys: [{ ...ec.jwk, crv: "P-521" }] } }),
    field: '"providers.main.jwks.keys[0].crv": "P-521" is not supported',
  },
  {
    name: "a short HMAC secret",
    config: () => p({ algorithms: ["HS256"], jwks: jwks(hmacKey("s", 16)) }),
    field: '"providers.main.jwks.keys[0].k": is 16 bytes',
  },
  {
    name: "a key whose alg does not fit its type",
    config: () => p({ jwks: { keys: [{ ...rsa.jwk, alg: "ES256" }] } }),
    field: '"providers.main.jwks.keys[0].alg": "ES256" does not match the key type RSA',
    schemaCannot: "the pairing of kty and alg is left to the module",
  },
  {
    name: "a key set given as text that is not JSON",
    config: () => p({ jwks: "{keys" }),
    field: '"providers.main.jwks": is not JSON',
    schemaCannot: "the text's content is not parsed by JSON Schema",
  },
  {
    name: "a negative skew",
    config: () => p({ clock_skew_seconds: -1 }),
    field: '"providers.main.clock_skew_seconds": -1 is out of range',
  },
  {
    name: "a huge skew",
    config: () => p({ clock_skew_seconds: 99999 }),
    field: '"providers.main.clock_skew_seconds": 99999',
  },
  {
    name: "a tiny token limit",
    config: () => p({ max_token_bytes: 10 }),
    field: '"providers.main.max_token_bytes"',
  },
  {
    name: "a huge lifetime",
    config: () => p({ max_lifetime_seconds: 1e12 }),
    field: '"providers.main.max_lifetime_seconds"',
  },
  {
    name: "no token location",
    config: () => p({ from: [] }),
    field: '"providers.main.from": must list',
  },
  {
    name: "a location of two kinds",
    config: () => p({ from: [{ header: "x-t", query: "t" }] }),
    field: '"providers.main.from[0]": needs exactly one of header, query, cookie',
  },
  {
    name: "a query name with a space",
    config: () => p({ from: [{ query: "a b" }] }),
    field: '"providers.main.from[0].query"',
  },
  {
    name: "a header name that is not a token",
    config: () => p({ from: [{ header: "x bad" }] }),
    field: '"providers.main.from[0].header": "x bad" is not a token',
  },
  {
    name: "a prefix on a cookie",
    config: () => p({ from: [{ cookie: "t", prefix: "Bearer " }] }),
    field: '"providers.main.from[0].prefix"',
  },
  {
    name: "a protected identity header",
    config: () => p({ subject_header: "content-length" }),
    field: '"providers.main.subject_header": "content-length" is protected',
  },
  {
    name: "a claim path with an empty name",
    config: () => p({ claims_to_headers: [{ claim: "a..b", header: "x-a" }] }),
    field: '"providers.main.claims_to_headers[0].claim"',
  },
  {
    name: "a claim rule with two tests",
    config: () => p({ require_claims: [{ claim: "a", equals: "1", contains: "2" }] }),
    field: '"providers.main.require_claims[0]": needs exactly one of equals, contains',
  },
  {
    name: "a scope with a space",
    config: () => p({ scopes: ["a b"] }),
    field: '"providers.main.scopes[0]"',
  },
  {
    name: "a misspelt provider field",
    config: () => p({ issuers: "x" }),
    field: '"providers.main.issuers": unknown field (did you mean "issuer"?)',
  },
  {
    name: "API keys without consumers",
    config: () => ({ api_keys: {} }),
    field: '"api_keys.consumers": required field missing',
  },
  {
    name: "a short API key",
    config: () => ({ api_keys: { consumers: [{ name: "a", key: "short" }] } }),
    field: '"api_keys.consumers[0].key": is 5 characters',
  },
  {
    name: "a key hash that is not hex",
    config: () => ({ api_keys: { consumers: [{ name: "a", key_sha256: "zz" }] } }),
    field: '"api_keys.consumers[0].key_sha256"',
  },
  {
    name: "two consumers of one name",
    config: () => ({
      api_keys: {
        consumers: [
          { name: "a", key: "0123456789abcdef" },
          { name: "a", key: "fedcba9876543210" },
        ],
      },
    }),
    field: '"api_keys.consumers[1].name": "a" is used twice',
    schemaCannot: "uniqueness of one member across array items",
  },
  {
    name: "a rule without requires",
    config: () => ({ ...p(), rules: [{ match: {} }] }),
    field: '"rules[0].requires": required field missing',
  },
  {
    name: "a rule naming an unknown provider",
    config: () => ({ ...p(), rules: [{ match: {}, requires: { provider: "other" } }] }),
    field: '"rules[0].requires.provider": "other" is not a configured provider',
    schemaCannot: "a reference to another part of the document",
  },
  {
    name: "a requirement of two kinds",
    config: () => ({ ...p(), rules: [{ match: {}, requires: { provider: "main", none: true } }] }),
    field: '"rules[0].requires": needs exactly one of',
  },
  {
    name: "a Basic requirement without basic",
    config: () => ({ ...p(), rules: [{ match: {}, requires: { basic: true } }] }),
    field: '"rules[0].requires.basic": needs basic to be configured',
    schemaCannot: "a reference to another part of the document",
  },
  {
    name: "an htpasswd line without a colon",
    config: () => ({ basic: { users: ["alice"] } }),
    field: '"basic.users[0]": is not an htpasswd line',
  },
  {
    name: "a plain-text password line",
    config: () => ({ basic: { users: ["alice:hunter22"] } }),
    field: '"basic.users[0]": the hash of user "alice" is neither {SHA} nor bcrypt',
  },
  {
    name: "a {SHA} hash of the wrong size",
    config: () => ({ basic: { users: ["alice:{SHA}AAAA"] } }),
    field: '"basic.users[0]": the {SHA} hash of user "alice" is not base64 of 20 bytes',
  },
  {
    name: "a $2x$ bcrypt hash",
    config: () => ({ basic: { users: [`alice:$2x$05$${"a".repeat(53)}`] } }),
    field: '"basic.users[0]": user "alice": bcrypt variant',
  },
  {
    name: "a bcrypt cost above the limit",
    config: () => ({ basic: { users: [`alice:$2b$13$${"a".repeat(53)}`] } }),
    field: "bcrypt cost 13 is above max_bcrypt_cost 12",
    schemaCannot: "a relation between two fields' values",
  },
  {
    name: "a user listed twice",
    config: () => ({
      basic: { users: [`a:{SHA}${"A".repeat(27)}=`, `a:{SHA}${"A".repeat(27)}=`] },
    }),
    field: '"basic.users[1]": user "a" is listed twice',
    schemaCannot: "uniqueness of a part of array items",
  },
  {
    name: "no users",
    config: () => ({ basic: { users: [] } }),
    field: '"basic.users": must list at least one user',
  },
  {
    name: "a negative Basic cache",
    config: () => ({ basic: { users: [`a:{SHA}${"A".repeat(27)}=`], cache_size: -1 } }),
    field: '"basic.cache_size"',
  },
  {
    name: "a path prefix without a slash",
    config: () => ({
      ...p(),
      rules: [{ match: { path: { prefix: "api" } }, requires: { none: true } }],
    }),
    field: '"rules[0].match.path.prefix": "api" must start with /',
  },
  {
    name: "api_key: false",
    config: () => ({ ...k(), rules: [{ match: {}, requires: { api_key: false } }] }),
    field: '"rules[0].requires.api_key": must be true',
  },
  {
    name: "status 500 when keys are missing",
    config: () => ({ ...p(), unavailable_status: 500 }),
    field: '"unavailable_status": 500 is not 401 or 503',
  },
  {
    name: "an unknown body style",
    config: () => ({ ...p(), deny_body: "html" }),
    field: '"deny_body"',
  },
  {
    name: "a huge token cache",
    config: () => ({ ...p(), token_cache_size: 1e9 }),
    field: '"token_cache_size"',
  },
  {
    name: "an unknown verifier",
    config: () => ({ ...p(), signature_verifier: "fast" }),
    field: '"signature_verifier"',
  },
  {
    name: "a stat prefix with capitals",
    config: () => ({ ...p(), stat_prefix: "Auth-X" }),
    field: '"stat_prefix"',
  },
  {
    name: "a huge stat prefix",
    config: () => ({ ...p(), stat_prefix: "a".repeat(5000) }),
    field: '"stat_prefix"',
  },
  {
    name: "an identity header that holds credentials",
    config: () => p({ subject_header: "authorization" }),
    field:
      '"providers.main.subject_header": identity header "authorization" would hold credentials',
    schemaCannot: "a relation between two fields' values",
  },
  {
    name: "requirements nested too deep",
    config: () => {
      let r: object = { provider: "main" };
      for (let i = 0; i < 7; i++) r = { any: [r] };
      return { ...p(), rules: [{ match: {}, requires: r }] };
    },
    field: "requirements nest at most 5 deep",
    schemaCannot: "recursion depth",
  },
  {
    name: "a provider name with a dot",
    config: () => ({ providers: { "a.b": { algorithms: ["RS256"], jwks: jwks(rsa) } } }),
    field: "provider names are",
  },
  {
    name: "one identity header for two fields",
    config: () => ({ ...p({ subject_header: "x-who" }), consumer_header: "x-who" }),
    field:
      '"providers.main.subject_header": "x-who" is already an identity header (consumer_header)',
    schemaCannot: "a relation between two fields' values",
  },
  {
    name: "a token header that is also an identity header",
    config: () => p({ subject_header: "x-who", from: [{ header: "x-who" }] }),
    field: '"providers.main.from[0].header": "x-who" is also an identity header',
    schemaCannot: "a relation between two fields' values",
  },
  {
    name: "an API key header that is also an identity header",
    config: () => ({ ...k({ from: [{ header: "x-auth-consumer" }] }) }),
    field: '"api_keys.from[0].header": "x-auth-consumer" is also an identity header',
    schemaCannot: "a relation between two fields' values",
  },
  {
    name: "both jwks and remote_jwks",
    config: () => p({ remote_jwks: { cluster: "idp", path: "/k" } }),
    field: '"providers.main.remote_jwks": only one of jwks, remote_jwks',
  },
  {
    name: "remote_jwks without a cluster",
    config: () => ({ providers: { m: { algorithms: ["RS256"], remote_jwks: { path: "/k" } } } }),
    field: '"providers.m.remote_jwks.cluster": required field missing',
  },
  {
    name: "remote_jwks without a path",
    config: () => ({
      providers: { m: { algorithms: ["RS256"], remote_jwks: { cluster: "idp" } } },
    }),
    field: '"providers.m.remote_jwks.path": required field missing',
  },
  {
    name: "a JWKS path without a slash",
    config: () => ({
      providers: { m: { algorithms: ["RS256"], remote_jwks: { cluster: "idp", path: "keys" } } },
    }),
    field: '"providers.m.remote_jwks.path": "keys" must be a path',
  },
  {
    name: "a path with discovery",
    config: () => ({
      providers: {
        m: {
          algorithms: ["RS256"],
          remote_jwks: { cluster: "idp", path: "/k", oidc_discovery: true },
        },
      },
    }),
    field: '"providers.m.remote_jwks.path": is found by discovery',
  },
  {
    name: "a zero refresh",
    config: () => ({
      providers: {
        m: {
          algorithms: ["RS256"],
          remote_jwks: { cluster: "idp", path: "/k", refresh_seconds: 0 },
        },
      },
    }),
    field: '"providers.m.remote_jwks.refresh_seconds"',
  },
  {
    name: "a huge callout timeout",
    config: () => ({
      providers: {
        m: {
          algorithms: ["RS256"],
          remote_jwks: { cluster: "idp", path: "/k", timeout_ms: 600000 },
        },
      },
    }),
    field: '"providers.m.remote_jwks.timeout_ms"',
  },
  {
    name: "a hold timeout below 100 ms",
    config: () => ({
      providers: {
        m: {
          algorithms: ["RS256"],
          remote_jwks: { cluster: "idp", path: "/k", unknown_kid_hold_ms: 10 },
        },
      },
    }),
    field: '"providers.m.remote_jwks.unknown_kid_hold_ms"',
  },
  {
    name: "a negative bound on held requests",
    config: () => ({
      providers: {
        m: {
          algorithms: ["RS256"],
          remote_jwks: { cluster: "idp", path: "/k", unknown_kid_max_held: -1 },
        },
      },
    }),
    field: '"providers.m.remote_jwks.unknown_kid_max_held"',
  },
  {
    name: "a requirement naming something else",
    config: () => ({ ...p(), default_requires: { urlPath: "/x" } }),
    field: '"default_requires',
  },
  {
    name: "a misspelt remote field",
    config: () => ({
      providers: {
        m: { algorithms: ["RS256"], remote_jwks: { cluster: "idp", path: "/k", refresh: 5 } },
      },
    }),
    field: '"providers.m.remote_jwks.refresh": unknown field',
  },
  {
    name: "65 keys in a set",
    config: () =>
      p({ algorithms: ["HS256"], jwks: { keys: Array.from({ length: 65 }, () => oct.jwk) } }),
    field: '"providers.main.jwks.keys": holds 65 keys',
  },
];

describe("bad configurations", () => {
  it("has a corpus of at least 30", () => {
    expect(BAD.length).toBeGreaterThanOrEqual(30);
  });

  for (const bad of BAD) {
    it(`refuses ${bad.name}`, async () => {
      const config = bad.config();
      const logs = await moduleRefusal(config);
      expect(logs, "the module started").not.toBeNull();
      const errors = (logs ?? []).filter((l) => l.startsWith("error: "));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(bad.field);
      const schemaOk = validate(config);
      if (bad.schemaCannot)
        expect(schemaOk, "the schema now sees this: drop schemaCannot").toBe(true);
      else expect(schemaOk, "the schema accepts what the module refuses").toBe(false);
    });
  }

  it("never echoes a secret in its message", async () => {
    const logs = await moduleRefusal({ api_keys: { consumers: [{ name: "a", key: "s3cr3t" }] } });
    expect(logs?.join("\n")).not.toContain("s3cr3t");
    const plain = await moduleRefusal({ basic: { users: ["alice:hunter22"] } });
    expect(plain?.join("\n")).not.toContain("hunter22");
    const hs = hmacKey("s", 16);
    const logs2 = await moduleRefusal(p({ algorithms: ["HS256"], jwks: jwks(hs) }));
    expect(logs2?.join("\n")).not.toContain(hs.jwk.k as string);
  });
});

// What `meshwasm build --for-config` asks the module: the request's body and trailers only
// while a request may be held for a remote key set's refetch.
describe("the callbacks a configuration needs", () => {
  type Remote = { unknown_kid_max_held?: number };
  type Shape = { providers?: Record<string, { remote_jwks?: Remote }> };
  const headers = "proxy_on_request_headers";
  const held = [headers, "proxy_on_request_body", "proxy_on_request_trailers", "proxy_on_delete"];

  it("needs the body, trailers and deletion only when a remote key set may hold requests", async () => {
    const module = readFileSync(wasm);
    const seen = { holding: 0, plain: 0 };
    for (const example of readmeExamples()) {
      const config = fillKeys(example) as Shape;
      const remotes = Object.values(config.providers ?? {}).flatMap((p) =>
        p.remote_jwks ? [p.remote_jwks] : [],
      );
      const holds = remotes.some((r) => r.unknown_kid_max_held !== 0);
      seen[holds ? "holding" : "plain"]++;
      expect(await neededCallbacks(module, config)).toEqual(holds ? held : [headers]);
      if (!holds) continue;
      // The same configuration holding nothing needs the headers only.
      for (const r of remotes) r.unknown_kid_max_held = 0;
      expect(await neededCallbacks(module, config)).toEqual([headers]);
    }
    expect(seen.holding).toBeGreaterThan(0);
    expect(seen.plain).toBeGreaterThan(0);
  });
});
