// The full chain's benchmark scenarios: the same work (authenticate an HS256 JWT and forward its
// subject, a per-user rate-limit decision, route matching with header rewrites, request stats
// and a JSON access log line) done five ways, each at 1 and 2 workers:
//
// - floor:    no filter; the same routes (direct responses).
// - native:   Envoy's own filters: jwt_authn (claim_to_headers sub → x-user), local_ratelimit,
//             header_mutation, route matching on x-canary/cookie/query/a 10% fraction, its
//             stats and a JSON access log of telemetry's fields (to /dev/null).
// - separate: the four meshwasm filters as four Wasm plugins (build/<filter>.wasm).
// - chain:    the same four as ONE module, built for this configuration (bench/lib/chain-module.ts:
//             `meshwasm build --chain ... --for-config`).
// - lua:      a one-header Lua filter: Envoy's RSS with Lua loaded, for the memory column.
// - baseline: another build of the one-module chain (`bench:chain -- --baseline PATH`), to
//             measure a change side by side with the version before it.
//
// The configurations are the demo's (demo/chain.json) but for the limiter, whose per-user
// bucket is 10^9 tokens so no request is refused, and telemetry's access log, which goes to
// filter state and a file log on /dev/null as the native one does. The routes, the native
// header rewrites, the logs and the Lua filter are bench/scenarios.ts's (the single-filter
// scenarios of the same work).

import { demoSecret, readChainConfig } from "../src/demo/chain-envoy.ts";
import { demoToken } from "../src/demo/tour.ts";
import { buildBootstrap, type WasmFilterOptions } from "../src/envoy/index.ts";
import {
  BUCKET_ROUTES,
  devNullLog,
  LUA_HEADER1,
  lua,
  NATIVE_ROUTER_MUTATIONS,
  NATIVE_ROUTER_ROUTES,
  ROUTER_CONFIG,
  TELEMETRY_JSON,
} from "./scenarios.ts";

export type ChainVariant = "floor" | "native" | "separate" | "chain" | "lua" | "baseline";
export const CHAIN_VARIANTS: ChainVariant[] = ["floor", "native", "separate", "chain", "lua"];
export const CHAIN_WORKERS = [1, 2] as const;

export interface ChainScenario {
  /** `chain-<workers>w/<variant>` */
  name: string;
  variant: ChainVariant;
  workers: number;
}

export const chainScenarios: ChainScenario[] = CHAIN_WORKERS.flatMap((workers) =>
  CHAIN_VARIANTS.map((variant) => ({ name: `chain-${workers}w/${variant}`, variant, workers })),
);

const FILTERS = ["telemetry", "auth", "rate-limit", "header-router"] as const;

/** The chain's configuration for the bench: no request is limited, the access log is on.
 *  `changes` (filter → partial section) are merged into the sections, for profiles of the
 *  chain with one feature off (`bench:profile -- --section 'telemetry={"metrics":{"enabled":false}}'`). */
export function benchChainConfig(
  changes: SectionChanges = {},
): Record<(typeof FILTERS)[number], unknown> {
  const demo = readChainConfig();
  const base: Record<(typeof FILTERS)[number], unknown> = {
    telemetry: { ...(demo.telemetry as object), access_log: { level: "debug" } },
    auth: demo.auth,
    "rate-limit": {
      rules: [
        {
          name: "per-user",
          key: [{ header: "x-user" }],
          limits: [{ token_bucket: { capacity: 1e9, tokens_per_fill: 1e9, fill_interval: "1s" } }],
        },
      ],
      response: { headers: "ietf" },
    },
    "header-router": JSON.parse(ROUTER_CONFIG),
  };
  for (const name of FILTERS) {
    const change = changes[name];
    if (change !== undefined) base[name] = merged(base[name], change);
  }
  return base;
}

/** Partial sections to merge into the bench's chain configuration, by filter. */
export type SectionChanges = Partial<Record<(typeof FILTERS)[number], unknown>>;

/** `NAME=JSON` options → changes; an unknown filter or bad JSON names the option. */
export function parseSectionChanges(options: readonly string[]): SectionChanges {
  const out: SectionChanges = {};
  for (const option of options) {
    const eq = option.indexOf("=");
    const name = option.slice(0, eq) as (typeof FILTERS)[number];
    if (eq < 0 || !FILTERS.includes(name)) {
      throw new Error(
        `--section "${option}": expected FILTER=JSON, FILTER one of ${FILTERS.join(", ")}`,
      );
    }
    try {
      out[name] = merged(out[name], JSON.parse(option.slice(eq + 1)));
    } catch (e) {
      throw new Error(`--section "${option}": ${(e as Error).message}`);
    }
  }
  return out;
}

/** `change` merged into `base`: objects member by member, anything else replaced. */
function merged(base: unknown, change: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(base) || !isObject(change)) return change;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(change)) out[k] = merged(base[k], v);
  return out;
}

/** What the client sends: a valid token (sub user-42), a cookie, a debug header. */
export function chainRequest(): { method: "GET"; headers: Record<string, string> } {
  return {
    method: "GET",
    headers: {
      authorization: `Bearer ${demoToken(demoSecret(), "user-42")}`,
      cookie: "a=1; group=alpha",
      "x-debug-trace": "1",
    },
  };
}

// Envoy's JSON access log of the telemetry filter's fields, and the line the filter leaves in
// filter state, both written by the connection manager's file log to /dev/null.
const NATIVE_JSON_LOG = devNullLog({ json: TELEMETRY_JSON });
const WASM_LOG = devNullLog({ text: "%FILTER_STATE(wasm.meshwasm.access_log:PLAIN)%\n" });

function nativeFilters(): unknown[] {
  const auth = readChainConfig().auth as { providers: { demo: { jwks: unknown } } };
  return [
    {
      name: "envoy.filters.http.jwt_authn",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        providers: {
          demo: {
            local_jwks: { inline_string: JSON.stringify(auth.providers.demo.jwks) },
            claim_to_headers: [{ header_name: "x-user", claim_name: "sub" }],
          },
        },
        rules: [{ match: { prefix: "/" }, requires: { provider_name: "demo" } }],
      },
    },
    {
      name: "envoy.filters.http.local_ratelimit",
      typed_config: {
        "@type":
          "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        stat_prefix: "bench_rate_limit",
        token_bucket: { max_tokens: 1e9, tokens_per_fill: 1e9, fill_interval: "1s" },
        filter_enabled: {
          runtime_key: "rl_enabled",
          default_value: { numerator: 100, denominator: "HUNDRED" },
        },
        filter_enforced: {
          runtime_key: "rl_enforced",
          default_value: { numerator: 100, denominator: "HUNDRED" },
        },
      },
    },
    NATIVE_ROUTER_MUTATIONS,
  ];
}

export interface ChainModules {
  chain: string;
  /** Another build of the chain, for the baseline variant. */
  baseline?: string;
  filters: Record<(typeof FILTERS)[number], string>;
}

function wasmFilter(name: string, wasmPath: string, configuration: unknown): WasmFilterOptions {
  return {
    name,
    rootId: name,
    vmId: name,
    wasmPath,
    failurePolicy: "FAIL_CLOSED",
    configuration: JSON.stringify(configuration),
  };
}

/** The bootstrap of one chain scenario. */
export function chainScenarioBootstrap(
  s: ChainScenario,
  modules: ChainModules,
  changes: SectionChanges = {},
): Record<string, unknown> {
  const config = benchChainConfig(changes);
  const wasmFilters =
    s.variant === "chain" || s.variant === "baseline"
      ? [
          wasmFilter(
            "chain",
            s.variant === "chain" ? modules.chain : (modules.baseline ?? ""),
            config,
          ),
        ]
      : s.variant === "separate"
        ? FILTERS.map((f) => wasmFilter(f, modules.filters[f], config[f]))
        : [];
  const extra =
    s.variant === "native" ? nativeFilters() : s.variant === "lua" ? [lua(LUA_HEADER1)] : [];
  const bootstrap = buildBootstrap({
    wasmFilters,
    extraHttpFilters: extra,
    upstream: { kind: "direct", status: 200, body: "ok" },
  });
  type Node = Record<string, unknown>;
  const first = (list: unknown): Node => {
    const item = (list as Node[] | undefined)?.[0];
    if (!item) throw new Error("chain bench bootstrap: unexpected shape");
    return item;
  };
  const listener = first((bootstrap.static_resources as Node).listeners);
  const hcm = first(first(listener.filter_chains).filters).typed_config as Node;
  const host = first((hcm.route_config as Node).virtual_hosts);
  host.routes = s.variant === "native" ? NATIVE_ROUTER_ROUTES : BUCKET_ROUTES;
  if (s.variant === "native") hcm.access_log = [NATIVE_JSON_LOG];
  if (s.variant === "separate" || s.variant === "chain" || s.variant === "baseline")
    hcm.access_log = [WASM_LOG];
  return bootstrap;
}
