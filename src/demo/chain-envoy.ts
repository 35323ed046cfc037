// The full chain (telemetry → auth → rate-limit → header-router) in real Envoy, in front of two
// upstreams, stable and canary: as ONE module (`meshwasm build --chain`) or as four separate
// plugins with the same configuration sections. The demo, the chain's conformance test, the
// soak and the benchmarks all start Envoy from here.
//
// The route table is header-router's shipped one (x-route-bucket: canary → canary, the rest →
// stable); stats_tags and histogram buckets are the four filters' shipped ones, merged.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { packageRoot } from "../cli/project.ts";
import { type FailurePolicy, WASM_RUNTIME_V8 } from "../envoy/config.ts";

/** The chain, in request order. */
export const CHAIN_FILTERS = ["telemetry", "auth", "rate-limit", "header-router"] as const;
export type ChainFilterName = (typeof CHAIN_FILTERS)[number];

/** demo/chain.json: the chain's configuration, a section per filter. */
export const CHAIN_CONFIG_PATH = join(packageRoot, "demo", "chain.json");

export function readChainConfig(): Record<ChainFilterName, unknown> {
  return JSON.parse(readFileSync(CHAIN_CONFIG_PATH, "utf8")) as Record<ChainFilterName, unknown>;
}

/** The shared secret of the demo's HS256 key (auth's `k`, base64url-decoded). */
export function demoSecret(config: Record<ChainFilterName, unknown> = readChainConfig()): Buffer {
  const auth = config.auth as { providers: { demo: { jwks: { keys: { k: string }[] } } } };
  const key = auth.providers.demo.jwks.keys[0];
  if (!key) throw new Error("demo/chain.json: auth.providers.demo.jwks.keys is empty");
  return Buffer.from(key.k, "base64url");
}

interface ShippedFilter {
  failurePolicy: FailurePolicy;
  statsTags: { tag_name: string; regex: string }[];
  buckets: unknown[];
}

/** A filter's shipped envoy.yaml: its failure policy, stats_tags and histogram buckets. */
function shipped(name: ChainFilterName): ShippedFilter {
  const doc = parse(readFileSync(join(packageRoot, "filters", name, "envoy.yaml"), "utf8"));
  const hcm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  const wasm = hcm.http_filters[0].typed_config.config;
  return {
    failurePolicy: (wasm.failure_policy ?? "FAIL_CLOSED") as FailurePolicy,
    statsTags: doc.stats_config?.stats_tags ?? [],
    buckets: doc.stats_config?.histogram_bucket_settings ?? [],
  };
}

/**
 * The four filters' stats_config merged. Envoy refuses a tag name given twice, and two filters
 * name the same tags in two styles: `;name=value` (telemetry's label sets) and `_name=value` at
 * the end of a name (auth's `reason`, rate-limit's and header-router's `rule`). A tag named by
 * more than one filter gets one regex that reads both styles.
 */
export function chainStatsConfig(): {
  stats_tags: unknown[];
  histogram_bucket_settings: unknown[];
} {
  const tags = new Map<string, Set<string>>();
  const buckets: unknown[] = [];
  for (const name of CHAIN_FILTERS) {
    const s = shipped(name);
    for (const t of s.statsTags)
      tags.set(t.tag_name, (tags.get(t.tag_name) ?? new Set()).add(t.regex));
    buckets.push(...s.buckets);
  }
  const statsTags = [...tags].map(([tag, regexes]) => ({
    tag_name: tag,
    regex: regexes.size === 1 ? [...regexes][0] : `([;_]${tag}=([^;]*))`,
  }));
  return { stats_tags: statsTags, histogram_bucket_settings: buckets };
}

export interface ChainEnvoyOptions {
  /** One module (`chain`) or four plugins (`separate`). */
  mode: "chain" | "separate";
  /** The chain's module (mode "chain"), or each filter's module by name (mode "separate"). */
  chainWasm?: string;
  filterWasm?: Partial<Record<ChainFilterName, string>>;
  /** The chain's configuration (default demo/chain.json). */
  configuration?: Record<ChainFilterName, unknown>;
  stablePort: number;
  canaryPort: number;
  /** Default 0 (any free port). */
  listenerPort?: number;
  adminPort?: number;
  /** Envoy's own JSON access log to stdout (off by default: long runs keep logs in memory). */
  accessLog?: boolean;
}

function wasmFilter(name: string, wasm: string, configuration: unknown, policy: FailurePolicy) {
  return {
    name,
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
      config: {
        name,
        root_id: name,
        failure_policy: policy,
        configuration: {
          "@type": "type.googleapis.com/google.protobuf.StringValue",
          value: JSON.stringify(configuration),
        },
        vm_config: {
          vm_id: name,
          runtime: WASM_RUNTIME_V8,
          code: { local: { filename: resolve(wasm) } },
        },
      },
    },
  };
}

function cluster(name: string, port: number) {
  return {
    name,
    type: "STATIC",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } },
            },
          ],
        },
      ],
    },
  };
}

/** Envoy's JSON access log line: what the native chain's bench peer writes too. */
export const JSON_ACCESS_LOG = {
  name: "envoy.access_loggers.stdout",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
    log_format: {
      json_format: {
        start_time: "%START_TIME%",
        method: "%REQ(:METHOD)%",
        path: "%REQ(:PATH)%",
        status: "%RESPONSE_CODE%",
        duration_ms: "%DURATION%",
        request_id: "%REQ(X-REQUEST-ID)%",
        upstream_cluster: "%UPSTREAM_CLUSTER%",
      },
    },
  },
};

/** The routes: x-route-bucket: canary → canary, everything else → stable. */
export const CHAIN_ROUTES = {
  virtual_hosts: [
    {
      name: "all",
      domains: ["*"],
      routes: [
        {
          name: "canary",
          match: {
            prefix: "/",
            headers: [{ name: "x-route-bucket", string_match: { exact: "canary" } }],
          },
          route: { cluster: "canary" },
        },
        { name: "stable", match: { prefix: "/" }, route: { cluster: "stable" } },
      ],
    },
  ],
};

/** A v3 bootstrap running the chain (or the four plugins) before the router. */
export function chainBootstrap(opts: ChainEnvoyOptions): object {
  const configuration = opts.configuration ?? readChainConfig();
  let httpFilters: unknown[];
  if (opts.mode === "chain") {
    if (!opts.chainWasm) throw new Error("chainBootstrap: mode chain needs chainWasm");
    httpFilters = [wasmFilter("chain", opts.chainWasm, configuration, "FAIL_CLOSED")];
  } else {
    httpFilters = CHAIN_FILTERS.map((name) => {
      const wasm = opts.filterWasm?.[name];
      if (!wasm) throw new Error(`chainBootstrap: mode separate needs filterWasm["${name}"]`);
      return wasmFilter(name, wasm, configuration[name], shipped(name).failurePolicy);
    });
  }
  httpFilters.push({
    name: "envoy.filters.http.router",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
  });
  return {
    admin: {
      address: { socket_address: { address: "127.0.0.1", port_value: opts.adminPort ?? 0 } },
    },
    stats_config: chainStatsConfig(),
    static_resources: {
      listeners: [
        {
          name: "main",
          address: { socket_address: { address: "127.0.0.1", port_value: opts.listenerPort ?? 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type":
                      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "ingress_http",
                    route_config: CHAIN_ROUTES,
                    http_filters: httpFilters,
                    ...(opts.accessLog ? { access_log: [JSON_ACCESS_LOG] } : {}),
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [cluster("stable", opts.stablePort), cluster("canary", opts.canaryPort)],
    },
  };
}
