// What Envoy's HTTP connection manager and HTTP/1 codec do to a request before the first filter
// sees it, and to what goes upstream after the last one, as observed in Envoy 1.40 with its
// defaults: values trimmed, repeats of inline headers folded, hop-by-hop and internal headers
// removed, requests refused for their size or protocol.

import { randomUUID } from "node:crypto";
import type { HttpLimits } from "../connection-manager.ts";
import { HeaderMap } from "./headers.ts";

/** Hop-by-hop headers the codec consumes, and Envoy-internal headers the connection manager
 *  removes from an external request (edge defaults). */
const REMOVED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "x-forwarded-client-cert",
  "x-envoy-expected-rq-timeout-ms",
  "x-envoy-force-trace",
  "x-envoy-hedge-on-per-try-timeout",
  "x-envoy-internal",
  "x-envoy-ip-tags",
  "x-envoy-max-retries",
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
]);

/** The space and tab Envoy trims from both ends of a header value. */
const EDGE_WHITESPACE = /^[ \t]+|[ \t]+$/g;

/**
 * The request headers as the first filter sees them: values trimmed, inline headers folded,
 * hop-by-hop and internal headers removed, `expect: 100-continue` answered and dropped.
 */
export function normalizeRequestHeaders(headers: HeaderMap): HeaderMap {
  // Repeats of the names Envoy keeps inline are joined as the codec adds them.
  const out = new HeaderMap().asKind("request-headers");
  for (const [name, raw] of headers.pairs()) {
    const value = raw.replace(EDGE_WHITESPACE, "");
    if (REMOVED.has(name)) continue;
    if (name === "expect" && value.toLowerCase() === "100-continue") continue;
    out.add(name, value);
  }
  return out;
}

/** Methods whose requests carry no body: the upstream codec adds no `content-length: 0`. */
const BODILESS_METHODS = new Set(["GET", "HEAD", "DELETE", "TRACE", "CONNECT"]);

/** Whether Envoy's upstream HTTP/1 codec adds `content-length: 0` to a request that ends at its
 *  headers (POST, PUT, PATCH, ... without a body and without a length of their own). */
export function needsZeroContentLength(method: string, headers: HeaderMap, bodyLength: number) {
  return (
    bodyLength === 0 &&
    !headers.has("content-length") &&
    !headers.has("transfer-encoding") &&
    !BODILESS_METHODS.has(method.toUpperCase())
  );
}

/** A refusal the connection manager sends before any filter runs. */
export interface Refusal {
  status: number;
  body: string;
}

/** Refuses a request the way Envoy does before the filter chain: HTTP/1.0 (426) unless
 *  accepted, headers over the limit (431). */
export function refuseRequest(
  headers: HeaderMap,
  version: string,
  limits: Required<HttpLimits>,
): Refusal | null {
  if (version === "HTTP/1.0" && !limits.acceptHttp10) {
    return { status: 426, body: "Upgrade Required" };
  }
  if (headers.byteSize() > limits.maxRequestHeadersKb * 1024) {
    return { status: 431, body: "Request Header Fields Too Large" };
  }
  return null;
}

/** How a request reaches the connection manager. */
export interface Admission {
  /** The client's protocol (default HTTP/1.1). */
  version?: "HTTP/1.0" | "HTTP/1.1";
  /** Apply the connection manager at all (default true); false hands the map over as given. */
  envoyHeaders?: boolean;
}

/**
 * What Envoy's codec and connection manager make of a request's headers before the first
 * filter, one function for every way a test sends a request: `Host` becomes `:authority`, then
 * either a refusal (426, 431) or the headers the filter sees (normalised, with
 * `x-forwarded-proto` and `x-request-id` added when absent).
 */
export function admitRequest(
  given: HeaderMap,
  limits: Required<HttpLimits>,
  admission: Admission = {},
): { refusal: Refusal } | { headers: HeaderMap } {
  if (admission.envoyHeaders === false) return { headers: given };
  let headers = given;
  const host = given.get("host");
  if (host !== undefined) {
    // The HTTP/1 codec turns Host into :authority (a given :authority wins), and Envoy keeps
    // pseudo-headers first.
    headers = new HeaderMap(given.has(":authority") ? [] : [[":authority", host]]);
    for (const [k, v] of given.pairs()) if (k !== "host") headers.add(k, v);
  }
  // Stryker disable next-line StringLiteral: equivalent, refuseRequest tells only "HTTP/1.0" apart, so any other default reads as HTTP/1.1
  const refusal = refuseRequest(headers, admission.version ?? "HTTP/1.1", limits);
  if (refusal) return { refusal };
  const out = normalizeRequestHeaders(headers);
  if (!out.has("x-forwarded-proto")) out.add("x-forwarded-proto", "http");
  if (!out.has("x-request-id")) out.add("x-request-id", randomUUID());
  return { headers: out };
}
