// filters/auth under fuzz (found by test/fuzz: 10,000 inputs in npm test, more with npm run
// fuzz). Hostile requests carry valid tokens and keys, tampered and truncated ones, Basic
// credentials, repeats, huge and control-character values. Model (for the preset
// configurations): `/orders...` needs nothing; elsewhere the request passes exactly when it
// carries one Bearer token that is one of the valid ones here, or one API key equal to the
// consumer's; identity headers are always the filter's own; anything else gets 401 and never
// reaches the upstream. Other configurations (mutated objects and bytes) are judged for traps
// only.

import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { type Decision, readConfigModel } from "../../../test/fuzz/config-model.ts";
import { type FuzzTarget, requestAsFilterSeesIt } from "../../../test/fuzz/target.ts";
import { buildCheckedFilter } from "../../../test/modules/build.ts";

// Derived, not random, so inputs saved by `npm run fuzz` replay with valid signatures.
const SECRET = createHash("sha256").update("meshwasm auth fuzz secret").digest();
const KEY = "fuzz-key-0123456789";
const b64u = (v: string | Buffer) => Buffer.from(v).toString("base64url");

function hs256(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: "HS256", kid: "f" },
): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  return `${input}.${createHmac("sha256", SECRET).update(input).digest("base64url")}`;
}

const VALID = [hs256({ sub: "fuzz-sub" }), hs256({ sub: "fuzz-sub", n: 1 }, { alg: "HS256" })];
const INVALID = [
  `${VALID[0]}x`,
  (VALID[0] as string).slice(0, -2),
  hs256({ sub: "fuzz-sub" }, { alg: "none" }),
  hs256({ sub: "fuzz-sub" }, { alg: "HS256", kid: "other" }),
  `${(VALID[0] as string).split(".").slice(0, 2).join(".")}.`,
  "a.b.c",
];

interface Config {
  preset: number;
}

const PRESETS = [
  {
    providers: {
      main: {
        algorithms: ["HS256"],
        jwks: { keys: [{ kty: "oct", kid: "f", k: SECRET.toString("base64url") }] },
        subject_header: "x-sub",
      },
    },
    api_keys: { consumers: [{ name: "alpha", key: KEY }] },
    rules: [{ match: { path: { prefix: "/orders" } }, requires: { none: true } }],
  },
];

const IDENTITY = ["x-sub", "x-auth-consumer"];

function startsWithFolded(v: string, prefix: string): boolean {
  return v.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
}

const trim = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, "");

/** The model's verdict on what the filter sees. */
function decideRequest(headers: Array<[string, string]>): "token" | "key" | "none" | "deny" {
  const path = headers.find(([k]) => k === ":path")?.[1] ?? "/";
  const bare = path.split("?")[0] as string;
  if (bare.startsWith("/orders")) return "none";
  const tokens: string[] = [];
  for (const [k, v] of headers) {
    if (k !== "authorization" || !startsWithFolded(v, "Bearer ")) continue;
    const parts = v.split(",");
    const extra = parts.slice(1).filter((p) => startsWithFolded(trim(p), "Bearer ")).length;
    if (extra > 0) for (let i = 0; i <= extra; i++) tokens.push("");
    else tokens.push(trim(v.slice(7)));
  }
  const q = path.indexOf("?");
  if (q >= 0) {
    for (const param of path.slice(q + 1).split("&")) {
      const eq = param.indexOf("=");
      if ((eq >= 0 ? param.slice(0, eq) : param) === "access_token")
        tokens.push(eq >= 0 ? param.slice(eq + 1) : "");
    }
  }
  if (tokens.length === 1 && VALID.includes(tokens[0] as string)) return "token";
  const keys = headers.filter(([k]) => k === "x-api-key").map(([, v]) => trim(v));
  if (keys.length === 1 && keys[0] === KEY) return "key";
  return "deny";
}

const target: FuzzTarget<Config> = {
  name: "auth",
  module: () => buildCheckedFilter("auth"),
  writesRequestHeaders: IDENTITY,
  counters: ["auth.allowed"],
  vocabulary: {
    presets: PRESETS,
    headerNames: ["authorization", "x-api-key", "x-sub", "x-auth-consumer", "cookie"],
    tokens: [
      ...VALID.map((t) => `Bearer ${t}`),
      ...INVALID.map((t) => `Bearer ${t}`),
      `bearer  ${VALID[0]}`,
      `Bearer ${VALID[0]}, Bearer ${VALID[1]}`,
      KEY,
      `${KEY} `,
      `Basic ${Buffer.from("a:b").toString("base64")}`,
      "Bearer",
      ...VALID,
    ],
    configs: fc.oneof(
      fc.constantFrom(...PRESETS),
      fc.record(
        {
          providers: fc.constantFrom(PRESETS[0]?.providers, {}, { m: { algorithms: ["none"] } }, 3),
          api_keys: fc.constantFrom(
            PRESETS[0]?.api_keys,
            { consumers: [] },
            { consumers: [{ name: "a", key_sha256: "zz" }] },
          ),
          rules: fc.constantFrom(
            [],
            PRESETS[0]?.rules,
            [{ match: {}, requires: { any: [] } }],
            "x",
          ),
          token_cache_size: fc.oneof(fc.integer({ min: -2, max: 5000 }), fc.constant("1")),
          realm: fc.string({ maxLength: 8 }),
        },
        { requiredKeys: [] },
      ),
    ),
  },

  decide(bytes): Decision<Config> {
    const obj = readConfigModel(bytes);
    if (typeof obj !== "object") return "either";
    const preset = PRESETS.findIndex((p) => JSON.stringify(p) === JSON.stringify(obj));
    return preset >= 0 ? { start: true, config: { preset } } : "either";
  },

  check(config, input, seen) {
    if (config === null) return [];
    const filterSees = requestAsFilterSeesIt(input, IDENTITY);
    if (filterSees.refused !== null || filterSees.unroutable) return [];
    const verdict = decideRequest(filterSees.headers);
    const problems: string[] = [];
    if (verdict === "deny") {
      if (seen.upstream !== null) problems.push("upstream: reached without a valid credential");
      if (seen.kind === "exchange" && seen.status !== 401)
        problems.push(`status: ${seen.status}, expected 401`);
      if ((seen.counters["auth.allowed"] ?? 0) !== 0)
        problems.push("auth.allowed moved on a refusal");
      return problems;
    }
    if (seen.localReply)
      return [`local reply: sent, but the model lets the request through (${verdict})`];
    const up = seen.upstream;
    if (up === null) return seen.kind === "reset" ? [] : ["upstream: the request never reached it"];
    const sub = up.headers.getAll("x-sub");
    const consumer = up.headers.getAll("x-auth-consumer");
    if (JSON.stringify(sub) !== JSON.stringify(verdict === "token" ? ["fuzz-sub"] : [])) {
      problems.push(`upstream x-sub: ${JSON.stringify(sub)} (${verdict})`);
    }
    if (JSON.stringify(consumer) !== JSON.stringify(verdict === "key" ? ["alpha"] : [])) {
      problems.push(`upstream x-auth-consumer: ${JSON.stringify(consumer)} (${verdict})`);
    }
    if (
      verdict === "token" &&
      up.headers.getAll("authorization").some((v) => startsWithFolded(v, "Bearer "))
    ) {
      problems.push("upstream: the bearer token was not removed");
    }
    if (verdict === "key" && up.headers.has("x-api-key"))
      problems.push("upstream: the API key was not removed");
    if ((seen.counters["auth.allowed"] ?? 0) !== 1)
      problems.push("auth.allowed did not move by one");
    return problems;
  },
};

export default target;
