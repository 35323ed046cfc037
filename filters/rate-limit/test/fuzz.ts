// rate-limit under fuzz (found by test/fuzz/targets.ts): hostile requests against typical and
// generated configurations. Start-up model: schema.json (through Ajv) plus the checks only the
// parser makes. Exchange model: hosts are reused, so each decision must not depend on history;
// the model decides only where history cannot matter (a limit of 0 or a cost above capacity
// refuses; capacities of ten million or more admit) from the key it extracts itself (headers,
// X-Forwarded-For hops, path segments, query, cookies, overrides), and otherwise accepts
// either outcome but holds each to its shape: a refusal is the configured reply and never
// reaches the upstream; an admitted request reaches it unchanged and its answer comes back.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
// Envoy's mapping, pinned against real Envoy by the gRPC local-reply conformance scenario.
import { grpcStatusForHttp } from "../../../src/testing/contexts.ts";
import {
  type Decision,
  RESERVED_HEADERS,
  readConfigModel,
} from "../../../test/fuzz/config-model.ts";
import { sameBody, sameHeadersExcept } from "../../../test/fuzz/examples/checks.ts";
import { type FuzzTarget, requestAsFilterSeesIt } from "../../../test/fuzz/target.ts";
import { buildCheckedFilter } from "../../../test/modules/build.ts";
import { schemaPath } from "./helpers.ts";
import { durationMs, type LimitSpec } from "./model.ts";

// biome-ignore lint/suspicious/noExplicitAny: configuration JSON as the schema admits it
type Json = any;

const ajv = new Ajv2020({ allErrors: false, strict: false });
ajv.addFormat("regex", (s: string) => {
  try {
    new RegExp(s, "u");
    return true;
  } catch {
    return false;
  }
});
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));

const ZERO: LimitSpec[] = [{ window: { requests: 0, per: "second" } }];
const HUGE: LimitSpec[] = [{ window: { requests: 1_000_000_000, per: "day" } }];

const PRESETS = [
  {
    rules: [
      {
        name: "users",
        key: [{ header: "x-user" }],
        limits: HUGE,
        overrides: [
          { value: { exact: "blocked" }, limits: ZERO },
          { value: { prefix: "vip-", ignore_case: true }, limits: HUGE, bucket: "shared" },
        ],
      },
      {
        name: "ips",
        key: [{ client_address: { xff_trusted_hops: 1 } }],
        limits: HUGE,
        overrides: [{ value: { exact: "6.6.6.6" }, limits: ZERO }],
      },
      {
        name: "tenants",
        key: [{ query: "tenant" }, { cookie: "sid" }],
        limits: HUGE,
        missing: "shared",
        overrides: [{ value: { contains: "evil" }, limits: ZERO }],
      },
      {
        name: "shadow",
        key: [{ method: true }],
        limits: HUGE,
        shadow: true,
        overrides: [{ value: { exact: "DELETE" }, limits: ZERO }],
      },
    ],
  },
  {
    rules: [
      {
        name: "admin",
        key: [{ path: { segments: 1 } }],
        limits: HUGE,
        overrides: [{ value: { exact: "/admin" }, limits: ZERO }],
      },
      {
        name: "cost",
        key: [{ identity_header: "x-user" }, { constant: "c" }],
        limits: [{ token_bucket: { capacity: 10, tokens_per_fill: 10, fill_interval: "1s" } }],
        cost: { header: "x-cost", default: 1, max: 50 },
      },
    ],
    response: {
      status: 503,
      body: "busy\n",
      headers: "ietf",
      headers_on_allowed: true,
      x_envoy_ratelimited: false,
    },
  },
  {
    rules: [{ name: "all", key: [{ constant: "k" }], limits: ZERO }],
    response: { headers: "x-ratelimit", retry_after: false, grpc_resource_exhausted: false },
  },
];

const sourceArb = fc.constantFrom<Json>(
  { header: "x-user" },
  { header: "X-User" },
  { identity_header: "x-cost" },
  { client_address: {} },
  { client_address: { xff_trusted_hops: 2 } },
  { path: {} },
  { path: { segments: 2 } },
  { method: true },
  { query: "tenant" },
  { cookie: "sid" },
  { constant: "" },
  { header: "host" },
  { header: "x a" },
  { method: false },
);
const limitArb = fc.constantFrom<Json>(
  ...ZERO,
  ...HUGE,
  { token_bucket: { capacity: 10_000_000, fill_interval: "1s" } },
  { token_bucket: { capacity: 3, tokens_per_fill: 1, fill_interval: "1s" } },
  { token_bucket: { capacity: 1, fill_interval: "10ms" } },
  { window: { requests: 2, per: "minute", sliding: true } },
  { window: { requests: -1, per: "hour" } },
  { window: { requests: 1, per: "week" } },
);
const matcherArb = fc.constantFrom<Json>(
  { exact: "blocked" },
  { prefix: "b" },
  { suffix: "ed", invert: true },
  { contains: "6.6" },
  { regex: "bl.*" },
  { regex: "(" },
  { exact: "a", prefix: "b" },
  {},
);
const configArb = fc.record(
  {
    rules: fc.array(
      fc.record(
        {
          name: fc.constantFrom("a", "b", "B", "rule-1", ""),
          key: fc.array(sourceArb, { minLength: 0, maxLength: 3 }),
          limits: fc.array(limitArb, { minLength: 0, maxLength: 3 }),
          overrides: fc.array(
            fc.record({
              value: matcherArb,
              limits: fc.array(limitArb, { minLength: 1, maxLength: 2 }),
            }),
            { maxLength: 2 },
          ),
          missing: fc.constantFrom("skip", "shared", "deny"),
          shadow: fc.boolean(),
          cost: fc.constantFrom<Json>(
            1,
            0,
            100_000_000,
            { header: "x-cost", max: 20 },
            { header: "x-cost", default: 30, max: 20 },
            -1,
          ),
          idle_timeout: fc.constantFrom("1s", "2h", "1x"),
        },
        { requiredKeys: ["name", "key", "limits"] },
      ),
      { maxLength: 3 },
    ),
    response: fc.record(
      {
        status: fc.constantFrom(429, 503, 200),
        body: fc.string({ maxLength: 8 }),
        headers: fc.constantFrom("ietf", "x-ratelimit", "draft"),
      },
      { requiredKeys: [] },
    ),
    shared: fc.record(
      {
        cas_attempts: fc.constantFrom(1, 0),
        ways: fc.constantFrom(1, 8, 100),
        sweep_interval: fc.constantFrom("1s", "5ms"),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ["rules"] },
);

// ---- the start-up model ---------------------------------------------------------------------

function recoveryMs(limits: Json[]): number {
  let worst = 0;
  for (const l of limits) {
    if (l.token_bucket) {
      const b = l.token_bucket;
      worst = Math.max(
        worst,
        Math.ceil(b.capacity / (b.tokens_per_fill ?? 1)) * durationMs(b.fill_interval),
      );
    } else {
      const unit = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 }[
        l.window.per as "second"
      ];
      worst = Math.max(worst, l.window.sliding ? 2 * unit : unit);
    }
  }
  return worst;
}

function decideConfig(bytes: Uint8Array): Decision<Json> {
  const obj = readConfigModel(bytes);
  if (obj === "either") return "either";
  if (typeof obj === "string") return { start: false, why: obj };
  // Numbers written with a fraction or an exponent: the SDK's integer reading is its own.
  if (/[0-9][.eE]/.test(new TextDecoder().decode(bytes))) return "either";
  if (!validate(obj)) return { start: false, why: `schema: ${ajv.errorsText(validate.errors)}` };
  const cfg = obj as Json;
  // Cluster modes ask a rate limit service this model does not play (cluster-fuzz.test.ts
  // fuzzes the service's answers).
  if (cfg.service !== undefined) return "either";
  const names = new Set<string>();
  let either = false;
  const headerNames: string[] = [];
  for (const rule of cfg.rules) {
    if (names.has(rule.name)) return { start: false, why: "duplicate rule name" };
    names.add(rule.name);
    const all = [rule.limits, ...(rule.overrides ?? []).map((o: Json) => o.limits)];
    for (const limits of all)
      for (const l of limits)
        if (l.token_bucket && durationMs(l.token_bucket.fill_interval) < 50)
          return { start: false, why: "fill interval" };
    const recovery = Math.max(...all.map(recoveryMs));
    if (rule.idle_timeout !== undefined) {
      const idle = durationMs(rule.idle_timeout);
      if (idle < 1000 || idle > 2 * 31 * 86_400_000 || idle < recovery)
        return { start: false, why: "idle timeout" };
    }
    if (typeof rule.cost === "object" && (rule.cost.default ?? 1) > (rule.cost.max ?? 1000))
      return { start: false, why: "cost" };
    for (const s of rule.key)
      for (const k of ["header", "identity_header"]) if (s[k] !== undefined) headerNames.push(s[k]);
    if (typeof rule.cost === "object") headerNames.push(rule.cost.header);
    for (const o of rule.overrides ?? [])
      if (
        o.value.regex !== undefined ||
        o.value.range !== undefined ||
        o.value.segment_prefix !== undefined
      )
        either = true;
  }
  const sweep = cfg.shared?.sweep_interval;
  if (sweep !== undefined && (durationMs(sweep) < 100 || durationMs(sweep) > 3_600_000))
    return { start: false, why: "sweep" };
  // Names the SDK protects (pseudo-headers, framing): its own rules decide.
  if (headerNames.some((h) => h.startsWith(":") || RESERVED_HEADERS.has(h.toLowerCase())))
    either = true;
  return either ? "either" : { start: true, config: cfg };
}

// ---- the exchange model ---------------------------------------------------------------------

type Seen = Array<[string, string]>;
const first = (h: Seen, name: string) => h.find(([k]) => k === name)?.[1];
const all = (h: Seen, name: string) => h.filter(([k]) => k === name).map(([, v]) => v);

/** A key part as the filter reads it; undefined when missing, null when the model cannot tell. */
function part(s: Json, h: Seen): string | undefined | null {
  const path = first(h, ":path") ?? "";
  if (s.header !== undefined || s.identity_header !== undefined) {
    const name = (s.header ?? s.identity_header).toLowerCase();
    const values = all(h, name);
    if (values.length > 1) return null; // which of several the host hands over is its own
    return values[0] ? values[0] : undefined;
  }
  if (s.client_address) {
    const hops = s.client_address.xff_trusted_hops ?? 0;
    if (hops === 0) return "127.0.0.1";
    const lines = all(h, "x-forwarded-for");
    if (lines.some((v) => /[^\x20-\x7e]/.test(v))) return null; // trimming beyond ASCII differs
    const entries = lines.flatMap((v) => v.split(",").map((e) => e.trim()));
    const e = entries[entries.length - hops];
    return e ? e : undefined;
  }
  if (s.path) {
    let p = path.split("?")[0] as string;
    const n = s.path.segments ?? 0;
    if (n > 0) {
      const cut = p.split("/").slice(0, n + 1);
      p = cut.join("/");
    }
    return p;
  }
  if (s.method) return first(h, ":method");
  if (s.query !== undefined) {
    const q = path.indexOf("?");
    if (q < 0) return undefined;
    const hash = path.indexOf("#", q);
    for (const pair of path.slice(q + 1, hash < 0 ? undefined : hash).split("&")) {
      const eq = pair.indexOf("=");
      if ((eq < 0 ? pair : pair.slice(0, eq)) === s.query) return eq < 0 ? "" : pair.slice(eq + 1);
    }
    return undefined;
  }
  if (s.cookie !== undefined) {
    if (all(h, "cookie").some((v) => /[^\x20-\x7e]/.test(v))) return null;
    for (const line of all(h, "cookie"))
      for (const pair of line.split(";")) {
        const t = pair.trim();
        const eq = t.indexOf("=");
        if (eq >= 0 && t.slice(0, eq).trim() === s.cookie) return t.slice(eq + 1).trim();
      }
    return undefined;
  }
  return s.constant;
}

/** Whether matcher `m` matches `text`; null when the model does not cover its kind. */
function matches(m: Json, text: string): boolean | null {
  const fold = (x: string) => (m.ignore_case ? x.replace(/[A-Z]/g, (c) => c.toLowerCase()) : x);
  const t = fold(text);
  let r: boolean;
  if (m.exact !== undefined) r = t === fold(m.exact);
  else if (m.prefix !== undefined) r = t.startsWith(fold(m.prefix));
  else if (m.suffix !== undefined) r = t.endsWith(fold(m.suffix));
  else if (m.contains !== undefined) r = t.includes(fold(m.contains));
  else return null;
  return m.invert ? !r : r;
}

function cost(rule: Json, h: Seen): number {
  if (typeof rule.cost !== "object") return rule.cost ?? 1;
  const max = rule.cost.max ?? 1000;
  const values = all(h, rule.cost.header.toLowerCase());
  if (values.length > 1) return Number.NaN; // which one the host hands over is its own
  const v = values[0];
  if (v === undefined) return rule.cost.default ?? 1;
  if (!/^[0-9]{1,10}$/.test(v)) return max;
  return Math.min(Number(v), max);
}

/** "deny", "allow" (whatever came before), or "unknown" for one rule. */
function ruleOutcome(rule: Json, h: Seen): "deny" | "allow" | "unknown" | "skip" {
  const parts = rule.key.map((s: Json) => part(s, h));
  if (parts.includes(null)) return "unknown";
  let limits: Json[] = rule.limits;
  if (parts.includes(undefined)) {
    if (rule.missing !== "shared") return "skip";
  } else {
    const text = parts.join("|");
    for (const o of rule.overrides ?? []) {
      const m = matches(o.value, text);
      if (m === null) return "unknown";
      if (m) {
        limits = o.limits;
        break;
      }
    }
  }
  const c = cost(rule, h);
  if (Number.isNaN(c)) return "unknown";
  const capacity = (l: Json) => (l.token_bucket ? l.token_bucket.capacity : l.window.requests);
  if (limits.some((l) => c > capacity(l))) return "deny";
  if (c <= 100 && limits.every((l) => capacity(l) >= 10_000_000)) return "allow";
  return "unknown";
}

const target: FuzzTarget<Json> = {
  name: "rate-limit",
  module: () => buildCheckedFilter("rate-limit"),
  vocabulary: {
    presets: PRESETS,
    headerNames: ["x-user", "x-forwarded-for", "cookie", "x-cost", "content-type", "X-User"],
    tokens: [
      "blocked",
      "vip-1",
      "VIP-2",
      "6.6.6.6",
      "1.1.1.1, 6.6.6.6",
      "sid=evil",
      "sid=ok; a=b",
      "application/grpc",
      "7",
      "100",
      "-1",
      "99999999999",
      "/admin",
    ],
    configs: configArb,
  },
  decide: decideConfig,

  check(config, input, seen) {
    if (config === null) return [];
    const fi = requestAsFilterSeesIt(input);
    const h = fi.headers;
    const outcomes = config.rules
      .filter((r: Json) => !r.shadow)
      .map((r: Json) => ruleOutcome(r, h));
    const expected = outcomes.includes("deny")
      ? "refused"
      : outcomes.every((o: string) => o !== "unknown")
        ? "admitted"
        : "either";
    const refused = seen.localReply;
    if (expected === "refused" && !refused) return ["decision: admitted, the model refuses"];
    if (expected === "admitted" && refused) return ["decision: refused, the model admits"];
    const problems: string[] = [];
    const response = config.response ?? {};
    if (refused) {
      if (seen.upstream !== null) problems.push("upstream: a refused request reached it");
      const contentTypes = all(h, "content-type");
      const grpc =
        (response.grpc_resource_exhausted ?? true) &&
        contentTypes.some((v) => v.startsWith("application/grpc"));
      // Envoy answers a gRPC client's local reply trailers-only: 200, the status in grpc-status
      // (RESOURCE_EXHAUSTED when configured, else the HTTP status mapped).
      const type = contentTypes[0];
      if (
        seen.kind === "exchange" &&
        type !== undefined &&
        (type === "application/grpc" || /^application\/grpc[+;]/.test(type))
      ) {
        const want = grpc ? 8 : grpcStatusForHttp(response.status ?? 429);
        const got = seen.response?.headers.get("grpc-status");
        if (seen.status !== 200 || got !== String(want))
          problems.push(
            `gRPC reply: status ${seen.status}, grpc-status ${got}, expected 200 and ${want}`,
          );
        return problems;
      }
      if (seen.kind === "exchange" && !grpc) {
        const headers = seen.response?.headers;
        if (seen.status !== (response.status ?? 429))
          problems.push(`status: ${seen.status}, configured ${response.status ?? 429}`);
        const retry = headers?.get("retry-after");
        if (
          (response.retry_after ?? true) !==
          (retry !== null && retry !== undefined && Number(retry) >= 1)
        )
          problems.push(`retry-after: ${retry}`);
        if (
          (response.x_envoy_ratelimited ?? true) !==
          (headers?.get("x-envoy-ratelimited") === "true")
        )
          problems.push("x-envoy-ratelimited: not as configured");
        const body = Buffer.from(seen.response?.body ?? []).toString("utf8");
        if (body !== (response.body ?? "rate limited\n"))
          problems.push(`reply body: ${JSON.stringify(body)}`);
      }
      return problems;
    }
    if (seen.upstream === null)
      return seen.kind === "exchange" ? ["upstream: an admitted request never reached it"] : [];
    problems.push(...sameHeadersExcept("upstream", h, seen.upstream.headers, []));
    if (seen.kind === "exchange") {
      problems.push(...sameBody("upstream body", input.request.chunks, seen.upstream.body));
      if (seen.status !== input.response.status)
        problems.push(`status: ${seen.status}, the upstream answered ${input.response.status}`);
      problems.push(
        ...sameBody(
          "response body",
          input.response.chunks,
          seen.response?.body ?? new Uint8Array(),
        ),
      );
    }
    return problems;
  },
};

export default target;
