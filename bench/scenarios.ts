// Every benchmark scenario, one entry each. A scenario is a unit of work ("headers20") done by
// one implementation ("meshwasm", "rust", "lua", ...). Adding one is one entry here, plus, for
// a Wasm peer, a module in that peer's source folder (bench/peers/meshwasm/<work>/ for meshwasm,
// bench/peers/<peer>/ for the others); peers.ts builds it by the work's name.
//
// The same work in every implementation (what each scenario's filter does per request):
// - none:        no filter (the floor; direct_response route). none/upstream: no filter, proxied
//                to a small Node server the bench starts (the proxied floor).
// - empty:       a Wasm filter whose HTTP context overrides nothing (the Wasm per-request floor).
//                meshwasm's says it keeps no stream state and is built for its configuration,
//                so it exports no per-stream callback. Native: header_mutation with no
//                mutation, an HTTP filter in the chain that does nothing (what any filter costs).
// - empty-all:   meshwasm only: the same module built with every callback exported
//                (--export-all), as before the build left unused callbacks out.
// - empty-headers: meshwasm only: onRequestHeaders overridden to do nothing (one more VM entry
//                per request than empty: the floor of every filter that reads request headers).
// - header1:     add one request header (x-bench-one: 1).
// - headers20:   read 20 request headers the client sent (x-bench-in-0..19), add 20
//                (x-bench-out-0..19: value-N), remove the 20 read. Native header_mutation cannot
//                read a header, so it only adds and removes. meshwasm batches the 40 edits.
// - headers20-pairs: the same effect as headers20 in two host calls (read the whole map once,
//                write it back once) on bytes by hand; meshwasm only, the batch's lower bound.
// - shared-cas:  increment a u64 shared-data counter with compare-and-swap.
// - properties5: read request.path, request.method, request.host, request.protocol and
//                source.address (Lua: the same five from headers and streamInfo()).
// - body4k:      read the whole 4 KiB request body and replace it with as many bytes. Runs in
//                front of an upstream (Envoy's own second listener), with its own floor.
// - header-router: filters/header-router with the five rules its envoy.yaml ships (reset a
//                client's x-route-bucket, a sticky 10% split by x-user, canary by header, by
//                cookie or query, an /api/v<n>/ rewrite) in front of two routes (canary when
//                x-route-bucket is canary, else stable). Native: the same route table matching
//                x-canary, the cookie, the query parameter and a 10% runtime fraction for
//                requests with x-user (random, not sticky: no native route match hashes a
//                header into buckets), plus header_mutation removing x-route-bucket and
//                x-debug-*, copying x-user and setting x-routed-by on the response.
// - jwt-rs256, jwt-es256: filters/auth verifying one RS256 (2048-bit) or ES256 token per
//                request against an inline key set, its token cache off, signatures through
//                Envoy's verify_signature; native: jwt_authn with the same key set and token,
//                its cache off. jwt-rs256-cached: both with their token caches on.
//                jwt-rs256-wasm, jwt-es256-wasm: meshwasm with its own AssemblyScript verifier
//                (signature_verifier "wasm"). Keys and tokens are made by node:crypto when the
//                bench starts.
// - telemetry:   filters/telemetry with its access log off: the request counter and three
//                histograms (labelled), an x-request-id check, a new traceparent.
// - telemetry-log: the same with the access log on: the JSON line built per request, stored
//                as filter state and written by the connection manager's file access log (to
//                /dev/null). Native: Envoy's own stats plus a JSON access log of the same
//                fields (json_format, to /dev/null).
// - rate-limit, rate-limit-2w, rate-limit-cluster: filters/rate-limit in local mode at one and
//                two workers and in cluster mode, against Envoy's local_ratelimit and ratelimit
//                filters; rate-limit-lease: local mode at one worker with `shared.lease`
//                (scenarios-rate-limit.ts says what each does). none-2w: the floor at
//                two workers; upstream: the floor of a GET routed to the upstream.

import { generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { rateLimitScenarios } from "./scenarios-rate-limit.ts";

/** Who implements a scenario. "floor" is no filter at all. */
export type Peer = "floor" | "meshwasm" | "native" | "lua" | "rust" | "solo" | "go";
/** Wasm peers: the ones whose module the bench builds. */
export type WasmPeer = "meshwasm" | "rust" | "solo" | "go";

export type Work =
  | "none"
  | "empty"
  | "empty-all"
  | "empty-headers"
  | "header1"
  | "headers20"
  | "headers20-pairs"
  | "shared-cas"
  | "properties5"
  | "body4k"
  | "header-router"
  | "jwt-rs256"
  | "jwt-rs256-cached"
  | "jwt-rs256-wasm"
  | "jwt-es256"
  | "jwt-es256-wasm"
  | "telemetry"
  | "telemetry-log"
  | "rate-limit"
  | "none-2w"
  | "upstream"
  | "rate-limit-2w"
  | "rate-limit-lease"
  | "rate-limit-cluster";

export interface Scenario {
  /** `<work>/<peer>`, unique. */
  name: string;
  work: Work;
  peer: Peer;
  /** Native HTTP filters (raw `http_filters` entries) placed before the router. */
  httpFilters?: unknown[];
  /** The Wasm filter's configuration (JSON text); none when absent. */
  configuration?: string;
  /** The virtual host's routes, replacing the one direct-response route. */
  routes?: unknown[];
  /** The root id its module registers, when it is not the work's name. */
  rootId?: string;
  /** The connection manager's `access_log` entries. */
  accessLog?: unknown[];
  /** Envoy's worker threads (--concurrency); default 1. */
  workers?: number;
  /** Needs Envoy's rate limit service: the bench starts one and adds its cluster. */
  rateLimitService?: boolean;
  /** Route to the bench's Node upstream instead of a direct response (the proxied floor). */
  proxied?: boolean;
}

export function isWasmPeer(peer: Peer): peer is WasmPeer {
  return peer === "meshwasm" || peer === "rust" || peer === "solo" || peer === "go";
}

/** Works that need a request body, or a route to a cluster (Envoy's ratelimit filter acts only
 *  on such routes), and so an upstream rather than a direct response. */
export function needsUpstream(work: Work): boolean {
  return work === "body4k" || work === "upstream" || work === "rate-limit-cluster";
}

const COUNT = 20;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function headerMutation(mutations: unknown[]): unknown {
  return {
    name: "envoy.filters.http.header_mutation",
    typed_config: {
      "@type":
        "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
      mutations: { request_mutations: mutations },
    },
  };
}

function append(key: string, value: string): unknown {
  return { append: { header: { key, value }, append_action: "APPEND_IF_EXISTS_OR_ADD" } };
}

export function lua(source: string): unknown {
  return {
    name: "envoy.filters.http.lua",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
      default_source_code: { inline_string: source },
    },
  };
}

export const LUA_HEADER1 = `
function envoy_on_request(h)
  h:headers():add("x-bench-one", "1")
end
`;

const LUA_HEADERS20 = `
local inNames, outNames, outValues = {}, {}, {}
for i = 0, ${COUNT - 1} do
  inNames[i + 1] = "x-bench-in-" .. i
  outNames[i + 1] = "x-bench-out-" .. i
  outValues[i + 1] = "value-" .. i
end
function envoy_on_request(h)
  local headers = h:headers()
  local seen = 0
  for i = 1, ${COUNT} do
    if headers:get(inNames[i]) ~= nil then seen = seen + 1 end
  end
  for i = 1, ${COUNT} do headers:add(outNames[i], outValues[i]) end
  for i = 1, ${COUNT} do headers:remove(inNames[i]) end
end
`;

const LUA_PROPERTIES5 = `
function envoy_on_request(h)
  local headers = h:headers()
  local info = h:streamInfo()
  local path = headers:get(":path")
  local method = headers:get(":method")
  local host = headers:get(":authority")
  local protocol = info:protocol()
  local source = info:downstreamRemoteAddress()
end
`;

const LUA_BODY4K = `
function envoy_on_request(h)
  local body = h:body()
  if body == nil then return end
  local n = body:length()
  local bytes = body:getBytes(0, n)
  body:setBytes(string.rep("b", #bytes))
end
`;

export function direct(body: string, match: Record<string, unknown>): unknown {
  return {
    match: { prefix: "/", ...match },
    direct_response: { status: 200, body: { inline_string: body } },
  };
}

/** The shipped header-router configuration, read once. */
export const ROUTER_CONFIG = readFileSync(
  fileURLToPath(new URL("../filters/header-router/config.example.json", import.meta.url)),
  "utf8",
);

export const BUCKET_ROUTES = [
  direct("canary", { headers: [{ name: "x-route-bucket", string_match: { exact: "canary" } }] }),
  direct("stable", {}),
];

export const NATIVE_ROUTER_ROUTES = [
  direct("canary", { headers: [{ name: "x-canary", string_match: { exact: "1" } }] }),
  direct("canary", {
    headers: [
      { name: "cookie", string_match: { safe_regex: { regex: "(.*;\\s*)?group=beta(;.*)?" } } },
    ],
  }),
  direct("canary", { query_parameters: [{ name: "canary", string_match: { exact: "true" } }] }),
  direct("canary", {
    headers: [{ name: "x-user", present_match: true }],
    runtime_fraction: { default_value: { numerator: 10, denominator: "HUNDRED" } },
  }),
  direct("stable", {}),
];

export const NATIVE_ROUTER_MUTATIONS = {
  name: "envoy.filters.http.header_mutation",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
    mutations: {
      request_mutations: [
        { remove: "x-route-bucket" },
        { remove_on_match: { key_matcher: { prefix: "x-debug-" } } },
        {
          append: {
            header: { key: "x-forwarded-user", value: "%REQ(x-user)%" },
            append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
          },
        },
      ],
      response_mutations: [
        {
          append: {
            header: { key: "x-routed-by", value: "native" },
            append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
          },
        },
      ],
    },
  },
};

/** A key pair and a token signed with it (exp a day after the bench starts). */
function jwtFixture(kind: "rsa" | "ec"): { jwks: string; token: string } {
  const { publicKey, privateKey } =
    kind === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const alg = kind === "rsa" ? "RS256" : "ES256";
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "bench", alg };
  const b64u = (v: string | Buffer) => Buffer.from(v).toString("base64url");
  const claims = {
    iss: "https://bench.example",
    sub: "bench",
    exp: Math.floor(Date.now() / 1000) + 86_400,
  };
  const input = `${b64u(JSON.stringify({ alg, kid: "bench", typ: "JWT" }))}.${b64u(JSON.stringify(claims))}`;
  const signature =
    kind === "rsa"
      ? sign("sha256", Buffer.from(input), privateKey)
      : sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
  return { jwks: JSON.stringify({ keys: [jwk] }), token: `${input}.${b64u(signature)}` };
}

const RSA_JWT = jwtFixture("rsa");
const EC_JWT = jwtFixture("ec");

function jwtOf(work: Work): { jwks: string; token: string } {
  return work.startsWith("jwt-es") ? EC_JWT : RSA_JWT;
}

/** filters/auth's configuration in the scenarios of `work` (a jwt-* work); its module is built
 *  for it (lib/peers.ts). */
export function authConfig(work: Work): string {
  const f = jwtOf(work);
  return JSON.stringify({
    providers: {
      main: {
        issuer: "https://bench.example",
        algorithms: ["RS256", "ES256"],
        jwks: JSON.parse(f.jwks),
      },
    },
    token_cache_size: work.endsWith("-cached") ? 1024 : 0,
    signature_verifier: work.endsWith("-wasm") ? "wasm" : "host",
  });
}

function jwtAuthn(work: Work): unknown {
  const provider: Record<string, unknown> = {
    issuer: "https://bench.example",
    local_jwks: { inline_string: jwtOf(work).jwks },
  };
  if (work.endsWith("-cached")) provider.jwt_cache_config = { jwt_cache_size: 1024 };
  return {
    name: "envoy.filters.http.jwt_authn",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
      providers: { main: provider },
      rules: [{ match: { prefix: "/" }, requires: { provider_name: "main" } }],
    },
  };
}

function authScenario(work: Work): Scenario {
  return { ...wasm(work, "meshwasm"), rootId: "auth", configuration: authConfig(work) };
}

/** A file access log to /dev/null writing `format` (a JSON object template or a text line). */
export function devNullLog(format: { json: Record<string, string> } | { text: string }): unknown {
  const logFormat =
    "json" in format
      ? { json_format: format.json }
      : { text_format_source: { inline_string: format.text } };
  return {
    name: "envoy.access_loggers.file",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
      path: "/dev/null",
      log_format: logFormat,
    },
  };
}

/** The telemetry filter's access-log fields as Envoy's own JSON access log writes them. */
export const TELEMETRY_JSON: Record<string, string> = {
  timestamp: "%START_TIME%",
  method: "%REQ(:METHOD)%",
  path: "%REQ(:PATH)%",
  authority: "%REQ(:AUTHORITY)%",
  protocol: "%PROTOCOL%",
  status: "%RESPONSE_CODE%",
  duration_ms: "%DURATION%",
  request_bytes: "%BYTES_RECEIVED%",
  response_bytes: "%BYTES_SENT%",
  request_id: "%REQ(X-REQUEST-ID)%",
  trace_id: "%REQ(TRACEPARENT)%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  upstream_host: "%UPSTREAM_HOST%",
  route: "%ROUTE_NAME%",
  client_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
  user_agent: "%REQ(USER-AGENT)%",
};

function telemetry(work: "telemetry" | "telemetry-log"): Scenario {
  const log = work === "telemetry-log";
  return {
    name: `${work}/meshwasm`,
    work,
    peer: "meshwasm",
    rootId: "telemetry",
    configuration: JSON.stringify(
      log ? { access_log: { level: "debug" } } : { access_log: { enabled: false } },
    ),
    accessLog: log
      ? [devNullLog({ text: "%FILTER_STATE(wasm.meshwasm.access_log:PLAIN)%\n" })]
      : undefined,
  };
}

/** One process-wide bucket that never refuses, for both the filter and the native one. */
function wasm(work: Work, peer: WasmPeer): Scenario {
  return { name: `${work}/${peer}`, work, peer };
}

function native(work: Work, peer: "native" | "lua", filter: unknown): Scenario {
  return { name: `${work}/${peer}`, work, peer, httpFilters: [filter] };
}

/** All scenarios, in report order. */
export const scenarios: Scenario[] = [
  { name: "none/floor", work: "none", peer: "floor" },
  { name: "none/upstream", work: "none", peer: "floor", proxied: true },

  wasm("empty", "meshwasm"),
  wasm("empty", "rust"),
  native("empty", "native", headerMutation([])),
  { ...wasm("empty-all", "meshwasm"), rootId: "empty" },
  wasm("empty-headers", "meshwasm"),

  wasm("header1", "meshwasm"),
  wasm("header1", "rust"),
  wasm("header1", "solo"),
  wasm("header1", "go"),
  native("header1", "native", headerMutation([append("x-bench-one", "1")])),
  native("header1", "lua", lua(LUA_HEADER1)),

  wasm("headers20", "meshwasm"),
  wasm("headers20", "rust"),
  wasm("headers20", "solo"),
  wasm("headers20", "go"),
  native(
    "headers20",
    "native",
    headerMutation([
      ...range(COUNT).map((i) => append(`x-bench-out-${i}`, `value-${i}`)),
      ...range(COUNT).map((i) => ({ remove: `x-bench-in-${i}` })),
    ]),
  ),
  native("headers20", "lua", lua(LUA_HEADERS20)),
  wasm("headers20-pairs", "meshwasm"),

  wasm("shared-cas", "meshwasm"),
  wasm("shared-cas", "rust"),
  wasm("shared-cas", "solo"),
  wasm("shared-cas", "go"),

  wasm("properties5", "meshwasm"),
  wasm("properties5", "rust"),
  wasm("properties5", "solo"),
  wasm("properties5", "go"),
  native("properties5", "lua", lua(LUA_PROPERTIES5)),

  { name: "body4k/floor", work: "body4k", peer: "floor" },
  wasm("body4k", "meshwasm"),
  wasm("body4k", "rust"),
  wasm("body4k", "solo"),
  wasm("body4k", "go"),
  native("body4k", "lua", lua(LUA_BODY4K)),

  { ...wasm("header-router", "meshwasm"), configuration: ROUTER_CONFIG, routes: BUCKET_ROUTES },
  { ...native("header-router", "native", NATIVE_ROUTER_MUTATIONS), routes: NATIVE_ROUTER_ROUTES },

  authScenario("jwt-rs256"),
  native("jwt-rs256", "native", jwtAuthn("jwt-rs256")),
  authScenario("jwt-rs256-cached"),
  native("jwt-rs256-cached", "native", jwtAuthn("jwt-rs256-cached")),
  authScenario("jwt-rs256-wasm"),
  authScenario("jwt-es256"),
  native("jwt-es256", "native", jwtAuthn("jwt-es256")),
  authScenario("jwt-es256-wasm"),

  telemetry("telemetry"),
  telemetry("telemetry-log"),
  {
    name: "telemetry-log/native",
    work: "telemetry-log",
    peer: "native",
    accessLog: [devNullLog({ json: TELEMETRY_JSON })],
  },

  ...rateLimitScenarios,
];

/** What the client sends for each work. */
export function requestShape(work: Work): {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
} {
  if (work === "headers20" || work === "headers20-pairs") {
    const headers: Record<string, string> = {};
    for (const i of range(COUNT)) headers[`x-bench-in-${i}`] = `in-${i}`;
    return { method: "GET", headers };
  }
  if (work === "header-router") {
    return {
      method: "GET",
      headers: { "x-user": "user-42", cookie: "a=1; group=alpha", "x-debug-trace": "1" },
    };
  }
  if (work.startsWith("jwt-")) {
    return { method: "GET", headers: { authorization: `Bearer ${jwtOf(work).token}` } };
  }
  if (work === "body4k") {
    return {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: "a".repeat(4096),
    };
  }
  return { method: "GET", headers: {} };
}

/** Features a peer's SDK lacks, so the scenario is reported as not applicable. */
export const unsupported: Partial<Record<`${Work}/${Peer}`, string>> = {
  "shared-cas/solo":
    "@solo-io/proxy-runtime 0.1.8 has no usable set_shared_data (it takes no value and no CAS)",
  "body4k/solo": "@solo-io/proxy-runtime 0.1.8 has no set_buffer_bytes (a body cannot be replaced)",
  "shared-cas/lua": "Envoy's Lua filter has no store shared across workers",
  "shared-cas/native": "no native filter keeps a shared counter per request",
};
