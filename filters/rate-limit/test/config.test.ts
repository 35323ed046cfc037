// The configuration: schema.json and the module's parser agree on the README's examples and on
// a corpus of bad configurations (each refused by both, the module naming the field); and the
// checks only the parser can make.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { createHost, PluginStartError } from "meshwasm/testing";
import { describe, expect, it } from "vitest";
import { neededCallbacks } from "../../../src/build/for-config.ts";
import { readmePath, rule, schemaPath, wasm } from "./helpers.ts";

const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: false });
// JavaScript's RegExp stands in for RE2 on what both refuse (unbalanced groups, bad ranges).
ajv.addFormat("regex", (s: string) => {
  try {
    new RegExp(s, "u");
    return true;
  } catch {
    return false;
  }
});
const validate = ajv.compile(schema);

/** Starts the module with `configuration`: null when accepted, else the error text. */
async function moduleProblem(configuration: object): Promise<string | null> {
  try {
    await createHost({ module: wasm, rootId: "rate-limit", configuration });
    return null;
  } catch (e) {
    if (!(e instanceof PluginStartError)) throw e;
    return e.message;
  }
}

/** The README's JSON configuration examples (blocks that hold "rules"). */
function readmeExamples(): object[] {
  const text = readFileSync(readmePath, "utf8");
  const out: object[] = [];
  for (const m of text.matchAll(/```json\n([\s\S]*?)```/g)) {
    const block = m[1] as string;
    if (block.includes('"rules"')) out.push(JSON.parse(block));
  }
  return out;
}

const good = (r: Record<string, unknown> = {}) => ({ rules: [rule(r)] });
const cl = (r: Record<string, unknown> = {}) => ({
  name: "g",
  mode: "cluster",
  key: [{ header: "x-user" }],
  ...r,
});
const svc = (s: Record<string, unknown> = {}) => ({ cluster: "rls", domain: "shop", ...s });
const tb = (fields: Record<string, unknown>) => [
  { token_bucket: { capacity: 1, fill_interval: "1s", ...fields } },
];

/** Bad configurations and the field the module must name. */
const corpus: Array<[string, object, string]> = [
  ["no rules", {}, "rules"],
  ["rules not an array", { rules: {} }, "rules"],
  ["empty rules", { rules: [] }, "rules"],
  ["unknown top-level field", { ...good(), colour: "red" }, "colour"],
  ["unknown rule field", good({ limit: 3 }), "rules[0].limit"],
  ["rule name missing", { rules: [{ key: [{ header: "x" }], limits: tb({}) }] }, "rules[0].name"],
  ["rule name upper case", good({ name: "PerIp" }), "rules[0].name"],
  ["rule name with underscore", good({ name: "per_ip" }), "rules[0].name"],
  ["rule name too long", good({ name: "a".repeat(41) }), "rules[0].name"],
  ["key missing", { rules: [{ name: "r", limits: tb({}) }] }, "rules[0].key"],
  ["key empty", good({ key: [] }), "rules[0].key"],
  ["key source unknown", good({ key: [{ ip: true }] }), "rules[0].key[0].ip"],
  [
    "key source with two kinds",
    good({ key: [{ header: "a", cookie: "b" }] }),
    "rules[0].key[0].cookie",
  ],
  ["header name with a space", good({ key: [{ header: "x user" }] }), "rules[0].key[0].header"],
  ["method not true", good({ key: [{ method: "GET" }] }), "rules[0].key[0].method"],
  [
    "hops above 16",
    good({ key: [{ client_address: { xff_trusted_hops: 17 } }] }),
    "rules[0].key[0].client_address.xff_trusted_hops",
  ],
  [
    "hops negative",
    good({ key: [{ client_address: { xff_trusted_hops: -1 } }] }),
    "rules[0].key[0].client_address.xff_trusted_hops",
  ],
  [
    "path segments a string",
    good({ key: [{ path: { segments: "2" } }] }),
    "rules[0].key[0].path.segments",
  ],
  ["empty query name", good({ key: [{ query: "" }] }), "rules[0].key[0].query"],
  ["nine key parts", good({ key: Array(9).fill({ method: true }) }), "rules[0].key"],
  ["limits missing", { rules: [{ name: "r", key: [{ header: "x" }] }] }, "rules[0].limits"],
  ["limits empty", good({ limits: [] }), "rules[0].limits"],
  ["five limits", good({ limits: Array(5).fill(tb({})[0]) }), "rules[0].limits"],
  [
    "limit of both kinds",
    good({ limits: [{ ...tb({})[0], window: { requests: 1, per: "second" } }] }),
    "rules[0].limits[0]",
  ],
  ["limit of no kind", good({ limits: [{}] }), "rules[0].limits[0]"],
  [
    "capacity zero",
    good({ limits: tb({ capacity: 0 }) }),
    "rules[0].limits[0].token_bucket.capacity",
  ],
  [
    "capacity huge",
    good({ limits: tb({ capacity: 1e12 }) }),
    "rules[0].limits[0].token_bucket.capacity",
  ],
  [
    "capacity fractional",
    good({ limits: tb({ capacity: 1.5 }) }),
    "rules[0].limits[0].token_bucket.capacity",
  ],
  [
    "fill interval a number",
    good({ limits: tb({ fill_interval: 1000 }) }),
    "rules[0].limits[0].token_bucket.fill_interval",
  ],
  [
    "fill interval without unit",
    good({ limits: tb({ fill_interval: "10" }) }),
    "rules[0].limits[0].token_bucket.fill_interval",
  ],
  [
    "fill interval missing",
    good({ limits: [{ token_bucket: { capacity: 1 } }] }),
    "rules[0].limits[0].token_bucket.fill_interval",
  ],
  [
    "window per week",
    good({ limits: [{ window: { requests: 1, per: "week" } }] }),
    "rules[0].limits[0].window.per",
  ],
  [
    "window requests negative",
    good({ limits: [{ window: { requests: -1, per: "day" } }] }),
    "rules[0].limits[0].window.requests",
  ],
  [
    "window unknown field",
    good({ limits: [{ window: { requests: 1, per: "day", burst: 2 } }] }),
    "rules[0].limits[0].window.burst",
  ],
  [
    "override without value",
    good({ overrides: [{ limits: tb({}) }] }),
    "rules[0].overrides[0].value",
  ],
  [
    "override broken regex",
    good({ overrides: [{ value: { regex: "(ab" }, limits: tb({}) }] }),
    "rules[0].overrides[0].value.regex",
  ],
  [
    "override bucket unknown",
    good({ overrides: [{ value: { exact: "a" }, limits: tb({}), bucket: "each" }] }),
    "rules[0].overrides[0].bucket",
  ],
  ["missing unknown", good({ missing: "allow" }), "rules[0].missing"],
  ["cost negative", good({ cost: -1 }), "rules[0].cost"],
  ["cost header unknown field", good({ cost: { header: "x-cost", min: 1 } }), "rules[0].cost.min"],
  ["max_keys zero", good({ max_keys: 0 }), "rules[0].max_keys"],
  ["shadow a string", good({ shadow: "yes" }), "rules[0].shadow"],
  ["status 200", { ...good(), response: { status: 200 } }, "response.status"],
  ["status 600", { ...good(), response: { status: 600 } }, "response.status"],
  ["header style unknown", { ...good(), response: { headers: "draft-03" } }, "response.headers"],
  ["body too long", { ...good(), response: { body: "x".repeat(5000) } }, "response.body"],
  ["response unknown field", { ...good(), response: { code: 429 } }, "response.code"],
  ["cas attempts zero", { ...good(), shared: { cas_attempts: 0 } }, "shared.cas_attempts"],
  [
    "cas outcome unknown",
    { ...good(), shared: { on_cas_exhausted: "maybe" } },
    "shared.on_cas_exhausted",
  ],
  ["ways above 64", { ...good(), shared: { ways: 65 } }, "shared.ways"],
  ["lease above 1000000", { ...good(), shared: { lease: 1_000_001 } }, "shared.lease"],
  ["lease not an integer", { ...good(), shared: { lease: "64" } }, "shared.lease"],
  [
    "sweep interval malformed",
    { ...good(), shared: { sweep_interval: "1 s" } },
    "shared.sweep_interval",
  ],
  // Cluster mode and the rate limit service.
  ["cluster rule without a service", { rules: [cl()] }, "service"],
  ["service without a cluster rule", { ...good(), service: svc() }, "service"],
  ["service cluster missing", { rules: [cl()], service: { domain: "d" } }, "service.cluster"],
  ["service cluster empty", { rules: [cl()], service: svc({ cluster: "" }) }, "service.cluster"],
  [
    "service cluster with a space",
    { rules: [cl()], service: svc({ cluster: "rate limit" }) },
    "service.cluster",
  ],
  ["service domain missing", { rules: [cl()], service: { cluster: "rls" } }, "service.domain"],
  ["service domain not a string", { rules: [cl()], service: svc({ domain: 7 }) }, "service.domain"],
  [
    "service domain too long",
    { rules: [cl()], service: svc({ domain: "d".repeat(256) }) },
    "service.domain",
  ],
  [
    "service timeout malformed",
    { rules: [cl()], service: svc({ timeout: "fast" }) },
    "service.timeout",
  ],
  [
    "service on_error unknown",
    { rules: [cl()], service: svc({ on_error: "retry" }) },
    "service.on_error",
  ],
  [
    "service error status 200",
    { rules: [cl()], service: svc({ error_status: 200 }) },
    "service.error_status",
  ],
  ["service unknown field", { rules: [cl()], service: svc({ port: 8081 }) }, "service.port"],
  ["mode unknown", { rules: [cl({ mode: "global" })], service: svc() }, "rules[0].mode"],
  [
    "limits in cluster mode",
    { rules: [cl({ limits: tb({}) })], service: svc() },
    "rules[0].limits",
  ],
  [
    "overrides in cluster mode",
    { rules: [cl({ overrides: [] })], service: svc() },
    "rules[0].overrides",
  ],
  [
    "max_keys in cluster mode",
    { rules: [cl({ max_keys: 10 })], service: svc() },
    "rules[0].max_keys",
  ],
  [
    "missing shared in cluster mode",
    { rules: [cl({ missing: "shared" })], service: svc() },
    "rules[0].missing",
  ],
  [
    "local_and_cluster without limits",
    { rules: [cl({ mode: "local_and_cluster" })], service: svc() },
    "rules[0].limits",
  ],
  [
    "descriptor_key in local mode",
    good({ key: [{ header: "x", descriptor_key: "user" }] }),
    "rules[0].key[0].descriptor_key",
  ],
  [
    "descriptor_key empty",
    { rules: [cl({ key: [{ header: "x", descriptor_key: "" }] })], service: svc() },
    "rules[0].key[0].descriptor_key",
  ],
  [
    "descriptor_key alone",
    { rules: [cl({ key: [{ descriptor_key: "user" }] })], service: svc() },
    "rules[0].key[0]",
  ],
];

describe("schema.json and the parser agree", () => {
  it("accept every configuration example in the README", async () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(8);
    for (const example of examples) {
      expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
      expect(await moduleProblem(example)).toBeNull();
    }
  });

  it(`refuse each of the ${corpus.length} bad configurations, the module naming the field`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    const disagreements: string[] = [];
    for (const [what, configuration, field] of corpus) {
      if (validate(configuration)) disagreements.push(`schema accepts: ${what}`);
      const problem = await moduleProblem(configuration);
      if (problem === null) disagreements.push(`module accepts: ${what}`);
      else if (!problem.includes(`"${field}"`)) disagreements.push(`${what}: ${problem}`);
    }
    expect(disagreements).toEqual([]);
  });
});

describe("checks only the parser makes (schema.json says them in words)", () => {
  const cases: Array<[string, object, string]> = [
    ["duplicate rule names", { rules: [rule({}), rule({})] }, "rules[1].name"],
    [
      "fill interval below 50ms",
      good({ limits: tb({ fill_interval: "10ms" }) }),
      "rules[0].limits[0].token_bucket.fill_interval",
    ],
    [
      "fill interval above 31 days",
      good({ limits: tb({ fill_interval: "745h" }) }),
      "rules[0].limits[0].token_bucket.fill_interval",
    ],
    [
      "idle timeout below recovery",
      good({ limits: [{ window: { requests: 1, per: "hour" } }], idle_timeout: "1m" }),
      "rules[0].idle_timeout",
    ],
    [
      "cost default above max",
      good({ cost: { header: "x-cost", default: 5, max: 2 } }),
      "rules[0].cost.default",
    ],
    ["protected header name", good({ key: [{ header: "host" }] }), "rules[0].key[0].header"],
    [
      "service timeout above 60s",
      { rules: [cl()], service: svc({ timeout: "2m" }) },
      "service.timeout",
    ],
    ["service timeout 0ms", { rules: [cl()], service: svc({ timeout: "0ms" }) }, "service.timeout"],
    [
      "RE2 refuses lookahead",
      good({ overrides: [{ value: { regex: "(?=a)" }, limits: tb({}) }] }),
      "rules[0].overrides[0].value.regex",
    ],
  ];
  it.each(cases)("refuses %s", async (_what, configuration, field) => {
    expect(await moduleProblem(configuration)).toContain(`"${field}"`);
  });

  it("logs one line per mistake", async () => {
    const host = createHost({
      module: wasm,
      rootId: "rate-limit",
      configuration: { rules: [rule({ name: "A", shadow: 1 })], colour: 1 },
    });
    await expect(host).rejects.toBeInstanceOf(PluginStartError);
    const message = await host.catch((e: Error) => e.message);
    for (const field of ["colour", "rules[0].name", "rules[0].shadow"])
      expect(message).toContain(`"${field}"`);
  });
});

// What `meshwasm build --for-config` asks the module: the response's headers only for the
// rate-limit headers on admitted responses.
describe("the callbacks a configuration needs", () => {
  it("needs the request's headers, and the response's only with headers_on_allowed", async () => {
    const module = readFileSync(wasm);
    // Local rules decide in the request's headers and keep nothing: no proxy_on_delete.
    expect(
      await neededCallbacks(module, { rules: [rule({})], response: { headers: "ietf" } }),
    ).toEqual(["proxy_on_request_headers"]);
    expect(
      await neededCallbacks(module, {
        rules: [rule({})],
        response: { headers: "x-ratelimit", headers_on_allowed: true },
      }),
    ).toEqual(["proxy_on_request_headers", "proxy_on_response_headers", "proxy_on_delete"]);
  });

  it("keeps the stream's context while the rate limit service is asked", async () => {
    const module = readFileSync(wasm);
    const service = { cluster: "rls", domain: "d" };
    for (const mode of ["cluster", "local_and_cluster"]) {
      const fields: Record<string, unknown> = { mode };
      if (mode === "cluster") fields.limits = undefined;
      expect(
        await neededCallbacks(module, {
          rules: [rule({}), rule({ name: "s", ...fields })],
          service,
        }),
      ).toEqual(["proxy_on_request_headers", "proxy_on_delete"]);
    }
  });
});
