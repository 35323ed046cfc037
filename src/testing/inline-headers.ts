// The header names Envoy keeps "inline" in each kind of header map: one entry per name, into
// which a second value is joined with "," (no space; an empty value adds nothing, and a value
// added to an empty entry gets no delimiter), where other names get one entry per value. The
// codecs add what they parse the same way, and so do proxy_add_header_map_value and
// proxy_set_header_map_pairs (which removes every header and adds each pair again).
//
// Two sources, both for the pinned Envoy (envoy/ENVOY_VERSION): the lists compiled into every
// build (Envoy's `INLINE_REQ_HEADERS`, `INLINE_RESP_HEADERS`, `INLINE_REQ_RESP_HEADERS` and
// `INLINE_RESP_HEADERS_TRAILERS`), and the names the official build's extensions register as
// custom inline headers, which vary by build: those were found by sending each candidate
// twice through the pinned binary over HTTP/1, both ways, and seeing which arrive joined.
// On request maps `host` is another name for `:authority` (Envoy's lookup table maps it).
// test/conformance/inline-names.test.ts writes every name of these lists, and names outside
// them, twice into each map of a stream on both hosts: a name dropped or added fails it.

/** Inline in request and response header maps alike. */
const BOTH = [
  "connection",
  "content-length",
  "content-type",
  "keep-alive",
  "proxy-connection",
  "proxy-status",
  "transfer-encoding",
  "upgrade",
  "via",
  "x-envoy-attempt-count",
  "x-envoy-decorator-operation",
  "x-request-id",
  // Registered by extensions of the official build.
  "cache-control",
  "content-encoding",
];

export const INLINE_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  ...BOTH,
  ":authority",
  ":method",
  ":path",
  ":protocol",
  ":scheme",
  "expect",
  "grpc-timeout",
  "te",
  "user-agent",
  "x-client-trace-id",
  "x-envoy-downstream-service-cluster",
  "x-envoy-downstream-service-node",
  "x-envoy-expected-rq-timeout-ms",
  "x-envoy-external-address",
  "x-envoy-force-trace",
  "x-envoy-hedge-on-per-try-timeout",
  "x-envoy-internal",
  "x-envoy-ip-tags",
  "x-envoy-is-timeout-retry",
  "x-envoy-max-retries",
  "x-envoy-original-path",
  "x-envoy-original-url",
  "x-envoy-retriable-header-names",
  "x-envoy-retriable-status-codes",
  "x-envoy-retry-grpc-on",
  "x-envoy-retry-on",
  "x-envoy-upstream-alt-stat-name",
  "x-envoy-upstream-rq-per-try-timeout-ms",
  "x-envoy-upstream-rq-timeout-alt-response",
  "x-envoy-upstream-rq-timeout-ms",
  "x-envoy-upstream-stream-duration-ms",
  "x-forwarded-client-cert",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-proto",
  // Registered by extensions of the official build.
  "accept",
  "accept-encoding",
  "access-control-request-headers",
  "access-control-request-method",
  "authorization",
  "grpc-accept-encoding",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "origin",
  "pragma",
  "referer",
]);

export const INLINE_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  ...BOTH,
  ":status",
  "date",
  "grpc-message",
  "grpc-status",
  "location",
  "server",
  "x-envoy-degraded",
  "x-envoy-immediate-health-check-fail",
  "x-envoy-ratelimited",
  "x-envoy-upstream-canary",
  "x-envoy-upstream-healthchecked-cluster",
  "x-envoy-upstream-service-time",
  // Registered by extensions of the official build.
  "access-control-allow-credentials",
  "access-control-allow-headers",
  "access-control-allow-methods",
  "access-control-allow-origin",
  "access-control-expose-headers",
  "access-control-max-age",
  "age",
  "etag",
  "expires",
  "last-modified",
  "vary",
]);

export const INLINE_RESPONSE_TRAILERS: ReadonlySet<string> = new Set([
  "grpc-message",
  "grpc-status",
]);

export const NO_INLINE: ReadonlySet<string> = new Set();

/** Which of Envoy's map types a HeaderMap stands for ("plain": a map outside a stream, kept
 *  as given: a test's input, a callout's request). */
export type MapKind =
  | "plain"
  | "request-headers"
  | "response-headers"
  | "request-trailers"
  | "response-trailers";

export function inlineNamesOf(kind: MapKind): ReadonlySet<string> {
  switch (kind) {
    case "request-headers":
      return INLINE_REQUEST_HEADERS;
    case "response-headers":
      return INLINE_RESPONSE_HEADERS;
    case "response-trailers":
      return INLINE_RESPONSE_TRAILERS;
    default:
      return NO_INLINE;
  }
}
