// What a test sets of the HTTP connection manager (its limits, its route's names), in one shape
// for the Envoy runner (which writes them into the bootstrap) and the test host (which enforces
// them the way Envoy does).

/** The connection manager's limits; each field defaults to Envoy's own default. */
export interface HttpLimits {
  /** HttpConnectionManager max_request_headers_kb: larger request headers get 431. Default 60. */
  maxRequestHeadersKb?: number;
  /** Listener per_connection_buffer_limit_bytes: a body a filter buffers beyond it is refused
   *  (413 on the request path; on the response path 500, or a reset once headers went out).
   *  Default 1 MiB. */
  bufferLimitBytes?: number;
  /** http_protocol_options.accept_http_10: without it an HTTP/1.0 request gets 426.
   *  Default false. */
  acceptHttp10?: boolean;
}

export const ENVOY_DEFAULT_LIMITS: Required<HttpLimits> = {
  maxRequestHeadersKb: 60,
  bufferLimitBytes: 1024 * 1024,
  acceptHttp10: false,
};

/** Checks the limits a test gives; errors name the field and the value. */
export function resolveLimits(limits: HttpLimits | undefined): Required<HttpLimits> {
  const out = { ...ENVOY_DEFAULT_LIMITS, ...limits };
  for (const key of ["maxRequestHeadersKb", "bufferLimitBytes"] as const) {
    const value = out[key];
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`limits.${key} must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  // Envoy's own bound on max_request_headers_kb (the proto's `lte: 8192`).
  if (out.maxRequestHeadersKb > 8192) {
    throw new Error(
      `limits.maxRequestHeadersKb must be at most 8192, got ${out.maxRequestHeadersKb}`,
    );
  }
  return out;
}

/** The names of the route a request takes: what `xds.cluster_name`, `xds.route_name` and
 *  `xds.virtual_host_name` report. */
export interface RouteNames {
  /** The upstream cluster. Default "upstream". */
  clusterName?: string;
  /** The route's name. Default "" (an unnamed route). */
  routeName?: string;
  /** The virtual host's name. Default "all". */
  virtualHostName?: string;
}

export const DEFAULT_ROUTE_NAMES: Required<RouteNames> = {
  clusterName: "upstream",
  routeName: "",
  virtualHostName: "all",
};

/** Checks the names a test gives; errors name the field and the value. */
export function resolveRouteNames(names: RouteNames | undefined): Required<RouteNames> {
  const out = { ...DEFAULT_ROUTE_NAMES, ...names };
  for (const key of ["clusterName", "virtualHostName"] as const) {
    if (typeof out[key] !== "string" || out[key] === "") {
      throw new Error(`route.${key} must be a non-empty string, got ${JSON.stringify(out[key])}`);
    }
  }
  if (typeof out.routeName !== "string") {
    throw new Error(`route.routeName must be a string, got ${JSON.stringify(out.routeName)}`);
  }
  return out;
}

/** A JSON value, as Envoy's google.protobuf.Struct holds it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** The bootstrap's node: what `xds.node` reports (its id, cluster and metadata). */
export interface NodeInfo {
  id?: string;
  cluster?: string;
  metadata?: Record<string, JsonValue>;
}

/** Endpoint metadata of the upstream host, by filter namespace (`filter_metadata`): what
 *  `xds.upstream_host_metadata` reports once the router chose the host. */
export type HostMetadata = Record<string, Record<string, JsonValue>>;
