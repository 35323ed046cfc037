/**
 * Builds Envoy v3 bootstraps for tests and demos as plain objects (Envoy reads them as JSON).
 *
 * Shape of what `buildBootstrap` returns:
 *
 *   admin 127.0.0.1:<adminPort|0>
 *   listener "main" 127.0.0.1:<listenerPort|0>
 *     http_connection_manager (stat_prefix ingress_http)
 *       http_filters: [extra "before"] → wasm filters in order → [extra "after"] → router
 *       virtual host "all", route "/" → direct_response | cluster "upstream" (127.0.0.1:<port>)
 *   clusters: "upstream" (cluster mode) + extraClusters
 *   (the cluster, route and virtual host names can be set with `route`)
 *
 * Request ids: `generate_request_id` is left at Envoy's default (on), as in Istio sidecars, so
 * filters see an `x-request-id` like they would in a mesh; pass `generateRequestId: false` to
 * drop the UUID work (benchmarks).
 */
import { isAbsolute } from "node:path";
import {
  type HostMetadata,
  type HttpLimits,
  type NodeInfo,
  type RouteNames,
  resolveLimits,
  resolveRouteNames,
} from "../connection-manager.ts";
import {
  configurationText,
  type PluginSettings,
  resolvePluginSettings,
  type StatsTag,
} from "../plugin.ts";

export type {
  HostMetadata,
  HttpLimits,
  JsonValue,
  NodeInfo,
  RouteNames,
} from "../connection-manager.ts";
export type { FailurePolicy, PluginSettings, StatsTag } from "../plugin.ts";

/** One `envoy.filters.http.wasm` filter running a module on the V8 runtime: the plugin's
 *  settings (one shape with the test host's) and where its module is. */
export interface WasmFilterOptions extends PluginSettings {
  /** Absolute path of the `.wasm` module; give this or `remote`. */
  wasmPath?: string;
  /** The module fetched by Envoy over HTTP(S) from a cluster, pinned by its sha256. */
  remote?: RemoteWasmCode;
}

/** `vm_config.code.remote`: Envoy fetches the module itself and refuses it on a sha256 mismatch. */
export interface RemoteWasmCode {
  /** `https://…/filter.wasm` (or http://). */
  uri: string;
  /** The cluster Envoy sends the fetch to. */
  cluster: string;
  /** Hex sha256 of the module; required, so a changed module never loads silently. */
  sha256: string;
  /** Fetch timeout in seconds; default 10. */
  timeoutSeconds?: number;
}

/** Where the route sends requests: an inline response or the static cluster `upstream`. */
export type UpstreamOptions =
  | { kind: "direct"; status?: number; body?: string }
  | {
      kind: "cluster";
      port: number;
      /** Default 127.0.0.1; a DNS name (a compose service) makes the cluster STRICT_DNS. */
      host?: string;
      http2?: boolean;
      /** The endpoint's metadata by filter namespace (`xds.upstream_host_metadata`). */
      hostMetadata?: HostMetadata;
    };

/** An extra static cluster on 127.0.0.1, e.g. the target of a filter's `dispatchHttpCall`. */
export interface ClusterOptions {
  name: string;
  port: number;
  /** Default 127.0.0.1; a DNS name makes the cluster STRICT_DNS. */
  host?: string;
  /** Speak cleartext HTTP/2 (h2c) to the endpoint, as gRPC targets need. */
  http2?: boolean;
  /** The endpoint's metadata by filter namespace. */
  hostMetadata?: HostMetadata;
}

export interface BootstrapOptions {
  /** Wasm filters, in chain order, all before the router. */
  wasmFilters?: WasmFilterOptions[];
  /** Raw HTTP filter entries (`{ name, typed_config }`), e.g. native Lua or header_mutation. */
  extraHttpFilters?: unknown[];
  /** Whether `extraHttpFilters` run before or after the wasm filters. Default "after". */
  extraHttpFiltersPosition?: "before" | "after";
  upstream: UpstreamOptions;
  extraClusters?: ClusterOptions[];
  statsTags?: StatsTag[];
  /** Default true (Envoy's default); see the module comment. */
  generateRequestId?: boolean;
  /** Listener port on 127.0.0.1; default 0 (any free port, read back by the runner). */
  listenerPort?: number;
  /** Admin port on 127.0.0.1; default 0. */
  adminPort?: number;
  /** The connection manager's limits; written out only when given (Envoy's defaults apply). */
  limits?: HttpLimits;
  /** Names of the upstream cluster, the route and its virtual host (default "upstream", an
   *  unnamed route, "all"). */
  route?: RouteNames;
  /** The bootstrap's node (`xds.node` in filters): written only when given. */
  node?: NodeInfo;
  /**
   * Address the listener and admin bind; default 127.0.0.1. Only a container (the compose
   * harness) binds 0.0.0.0, so its mapped ports reach Envoy.
   */
  bindAddress?: string;
}

/** Envoy's name for the V8 engine, the one Wasm runtime in official builds. */
export const WASM_RUNTIME_V8 = "envoy.wasm.runtime.v8";

const LOOPBACK = "127.0.0.1";

function socketAddress(port: number, address: string = LOOPBACK) {
  return { socket_address: { address, port_value: port } };
}

function stringValue(value: string) {
  return { "@type": "type.googleapis.com/google.protobuf.StringValue", value };
}

/**
 * The `http_filters` entry for one wasm filter, for callers assembling their own chain.
 *
 * @example wasmHttpFilter({ name: "add_header", wasmPath: resolve("build/add_header.wasm") })
 */
export function wasmHttpFilter(opts: WasmFilterOptions): Record<string, unknown> {
  const vmConfig: Record<string, unknown> = { runtime: WASM_RUNTIME_V8, code: wasmCode(opts) };
  if (opts.vmId !== undefined) vmConfig.vm_id = opts.vmId;
  if (opts.vmConfiguration !== undefined) {
    vmConfig.configuration = stringValue(configurationText(opts.vmConfiguration));
  }
  if (opts.environment !== undefined) {
    vmConfig.environment_variables = { key_values: opts.environment };
  }
  // The policy is written out even when it is Envoy's default (FAIL_CLOSED): a bootstrap read
  // on its own then says what happens after a VM failure.
  const config: Record<string, unknown> = {
    name: opts.name,
    failure_policy: resolvePluginSettings(opts).failurePolicy,
    vm_config: vmConfig,
  };
  if (opts.rootId !== undefined) config.root_id = opts.rootId;
  if (opts.configuration !== undefined) {
    config.configuration = stringValue(configurationText(opts.configuration));
  }
  if (opts.allowOnHeadersStopIteration !== undefined) {
    config.allow_on_headers_stop_iteration = opts.allowOnHeadersStopIteration;
  }
  return {
    name: opts.name,
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
      config,
    },
  };
}

/** `vm_config.code`: a local file or a remote module pinned by sha256. */
function wasmCode(opts: WasmFilterOptions): Record<string, unknown> {
  const where = `wasm filter "${opts.name}"`;
  if ((opts.wasmPath === undefined) === (opts.remote === undefined)) {
    throw new Error(`${where}: give exactly one of wasmPath and remote`);
  }
  if (opts.wasmPath !== undefined) {
    if (!isAbsolute(opts.wasmPath)) {
      throw new Error(`${where}: wasmPath must be absolute, got ${opts.wasmPath}`);
    }
    return { local: { filename: opts.wasmPath } };
  }
  const remote = opts.remote as RemoteWasmCode;
  if (!/^[a-f0-9]{64}$/.test(remote.sha256)) {
    throw new Error(
      `${where}: remote.sha256 must be 64 lower-case hex digits, got "${remote.sha256}"`,
    );
  }
  // A scheme and a host's first character: the rest is Envoy's to parse.
  if (!/^https?:\/\/[^/]/.test(remote.uri)) {
    throw new Error(`${where}: remote.uri must be an http(s) URL, got "${remote.uri}"`);
  }
  return {
    remote: {
      http_uri: {
        uri: remote.uri,
        cluster: remote.cluster,
        timeout: `${remote.timeoutSeconds ?? 10}s`,
      },
      sha256: remote.sha256,
    },
  };
}

/** A cluster with one endpoint: STATIC on an IPv4 address (127.0.0.1 by default), STRICT_DNS on a name. */
export function staticCluster(opts: ClusterOptions): Record<string, unknown> {
  const host = opts.host ?? LOOPBACK;
  const cluster: Record<string, unknown> = {
    name: opts.name,
    type: /^\d+\.\d+\.\d+\.\d+$/.test(host) ? "STATIC" : "STRICT_DNS",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: opts.name,
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: { address: socketAddress(opts.port, host) },
              ...(opts.hostMetadata ? { metadata: { filter_metadata: opts.hostMetadata } } : {}),
            },
          ],
        },
      ],
    },
  };
  if (opts.http2) {
    cluster.typed_extension_protocol_options = {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        explicit_http_config: { http2_protocol_options: {} },
      },
    };
  }
  return cluster;
}

function routeAction(upstream: UpstreamOptions, cluster: string): Record<string, unknown> {
  if (upstream.kind === "direct") {
    return {
      direct_response: {
        status: upstream.status ?? 200,
        body: { inline_string: upstream.body ?? "" },
      },
    };
  }
  return { route: { cluster } };
}

/**
 * A complete bootstrap: one listener whose HTTP filter chain runs the given filters in front of
 * a direct response or the `upstream` cluster.
 *
 * @example
 * const config = buildBootstrap({
 *   wasmFilters: [{ name: "auth", wasmPath: "/abs/build/auth.wasm", configuration: "{}" }],
 *   upstream: { kind: "cluster", port: echo.port },
 * });
 */
export function buildBootstrap(opts: BootstrapOptions): Record<string, unknown> {
  const wasm = (opts.wasmFilters ?? []).map(wasmHttpFilter);
  const extra = opts.extraHttpFilters ?? [];
  const before = opts.extraHttpFiltersPosition === "before";
  const router = {
    name: "envoy.filters.http.router",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
  };
  const httpFilters = before ? [...extra, ...wasm, router] : [...wasm, ...extra, router];

  const names = resolveRouteNames(opts.route);
  const route: Record<string, unknown> = {
    match: { prefix: "/" },
    ...routeAction(opts.upstream, names.clusterName),
  };
  if (names.routeName !== "") route.name = names.routeName;
  const hcm = {
    "@type":
      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    stat_prefix: "ingress_http",
    generate_request_id: opts.generateRequestId ?? true,
    route_config: {
      name: "local",
      virtual_hosts: [{ name: names.virtualHostName, domains: ["*"], routes: [route] }],
    },
    http_filters: httpFilters,
  } as Record<string, unknown>;
  const limits = opts.limits ? resolveLimits(opts.limits) : null;
  if (limits) {
    hcm.max_request_headers_kb = limits.maxRequestHeadersKb;
    hcm.http_protocol_options = { accept_http_10: limits.acceptHttp10 };
  }

  const clusters = (opts.extraClusters ?? []).map(staticCluster);
  if (opts.upstream.kind === "cluster") {
    const { port, http2, host, hostMetadata } = opts.upstream;
    const upstream: ClusterOptions = { name: names.clusterName, port, http2: http2 ?? false };
    // Stryker disable next-line ConditionalExpression: equivalent, staticCluster reads an undefined host as absent (`??`)
    if (host !== undefined) upstream.host = host;
    // Stryker disable next-line ConditionalExpression: equivalent, staticCluster reads an undefined hostMetadata as absent
    if (hostMetadata !== undefined) upstream.hostMetadata = hostMetadata;
    clusters.unshift(staticCluster(upstream));
  }

  const bootstrap: Record<string, unknown> = {
    admin: { address: socketAddress(opts.adminPort ?? 0, opts.bindAddress) },
    static_resources: {
      listeners: [
        {
          name: "main",
          address: socketAddress(opts.listenerPort ?? 0, opts.bindAddress),
          ...(limits ? { per_connection_buffer_limit_bytes: limits.bufferLimitBytes } : {}),
          filter_chains: [
            {
              filters: [
                { name: "envoy.filters.network.http_connection_manager", typed_config: hcm },
              ],
            },
          ],
        },
      ],
      clusters,
    },
  };
  if (opts.node) bootstrap.node = opts.node;
  if (opts.statsTags && opts.statsTags.length > 0) {
    bootstrap.stats_config = {
      stats_tags: opts.statsTags.map((t) => ({ tag_name: t.tagName, regex: t.regex })),
    };
  }
  return bootstrap;
}
