// One exchange through the test host, as the client and the upstream see it: the request a
// client sends, what reaches the upstream (as an HTTP server in Node would read it), the
// upstream's answer, and the response as the client parses it off the wire.

import { needsZeroContentLength } from "./hcm.ts";
import type { HeadersInit } from "./headers.ts";
import { HeaderMap } from "./headers.ts";
import type { HttpStream, PassedMessage, Step } from "./http.ts";
import type { WasmTrapError } from "./status.ts";
import type { LocalReply } from "./vm.ts";
import { text, utf8 } from "./wire.ts";

/** A request as the client sends it. */
export interface RequestInit {
  method?: string;
  path?: string;
  authority?: string;
  headers?: HeadersInit;
  /** The body, or its chunks (each delivered as one onRequestBody). */
  body?: string | Uint8Array | Array<string | Uint8Array>;
  trailers?: HeadersInit;
  /** Worker to run on; default round robin. */
  worker?: number;
  /** The plugin (by name) whose filter the request passes: one of `sharedVm`, or the host's
   *  own (the default). */
  plugin?: string;
  /** Apply what Envoy's connection manager does before the filter: refusals (431, 426), header
   *  normalisation (trimmed values, folded inline headers, no hop-by-hop headers) and the
   *  headers it adds (x-forwarded-proto, x-request-id). Default true. */
  envoyHeaders?: boolean;
  /** The client's protocol; "HTTP/1.0" is refused with 426 unless `limits.acceptHttp10`. */
  version?: "HTTP/1.0" | "HTTP/1.1";
  /** Send the body chunked (no content-length reaches the filter or the upstream). */
  chunked?: boolean;
}

/** What reached the upstream, as the echo upstream reports it. */
export interface UpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  headerMap: HeaderMap;
  body: string;
  bodyBytes: Uint8Array;
  trailers: HeaderMap | null;
}

export interface UpstreamResponse {
  status?: number;
  headers?: HeadersInit;
  body?: string | Uint8Array | Array<string | Uint8Array>;
  trailers?: HeadersInit;
}

export type UpstreamHandler = (
  req: UpstreamRequest,
) => UpstreamResponse | Promise<UpstreamResponse>;

/** The outcome of one exchange. */
export interface Exchange {
  /** Response status the client got (0 when the stream was reset or is still paused). */
  status: number;
  /** Response headers the client got (names lower-case, repeats joined with ", "). */
  headers: Record<string, string>;
  headerMap: HeaderMap;
  body: string;
  bodyBytes: Uint8Array;
  trailers: HeaderMap | null;
  /** What the upstream received, or null when the request never got there. */
  upstream: UpstreamRequest | null;
  localReply: LocalReply | null;
  reset: boolean;
  /** True when the filter still holds the stream (e.g. waiting for a callout nobody answered). */
  paused: boolean;
  /** Each callback the filter ran, with what it returned. */
  steps: Step[];
  trap: WasmTrapError | null;
  stream: HttpStream;
}

/** The default upstream: answers 200 with what it received, as JSON. */
export const echoUpstream: UpstreamHandler = (req) => {
  const payload = JSON.stringify({
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body,
    bodyBase64: Buffer.from(req.bodyBytes).toString("base64"),
  });
  return { status: 200, headers: { "content-type": "application/json" }, body: payload };
};

export function bytesOf(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? utf8(v) : v;
}

export function chunksOf(body: RequestInit["body"]): Uint8Array[] {
  if (body === undefined) return [];
  if (Array.isArray(body)) return body.map(bytesOf);
  const b = bytesOf(body);
  return b.length === 0 ? [] : [b];
}

export function upstreamRequest(passed: PassedMessage): UpstreamRequest {
  const h = passed.headers ?? new HeaderMap();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.toObject())) {
    if (!k.startsWith(":")) headers[k] = serverText(v);
  }
  if (h.get(":authority") !== undefined) headers.host = h.get(":authority") as string;
  // The router adds its timeout (already in the map when the connection manager ran).
  headers["x-envoy-expected-rq-timeout-ms"] ??= "15000";
  // Envoy's HTTP/1 codec frames a body without Content-Length as chunked, and gives a request
  // that ends at its headers `content-length: 0` when its method carries a body.
  // A request that trailers end is not over at its headers either: chunked as well.
  if (!h.has("content-length") && (passed.body.length > 0 || passed.trailers !== null))
    headers["transfer-encoding"] = "chunked";
  if (needsZeroContentLength(h.get(":method") ?? "GET", h, passed.body.length)) {
    headers["content-length"] = "0";
  }
  return {
    method: h.get(":method") ?? "GET",
    path: h.get(":path") ?? "/",
    headers,
    headerMap: h,
    body: text(passed.body),
    bodyBytes: passed.body,
    trailers: passed.trailers,
  };
}

/** Response headers as the client parses them: Envoy writes response header values unchecked,
 *  so a value with CR LF arrives as more header lines. */
export function onTheWire(headers: HeaderMap): HeaderMap {
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, the `false` form and `includes("")` (always true) take the splitting path for every map, which gives the same pairs for values without line breaks (the return is a shortcut); the `true` form, which the tests kill, goes with them
  if (!headers.pairs().some(([, v]) => v.includes("\n"))) return headers.clone();
  const out = new HeaderMap();
  for (const [name, value] of headers.pairs()) {
    const [first, ...rest] = value.split(/\r?\n/);
    // Stryker disable next-line StringLiteral: equivalent, split gives at least one part, so the fallback is never used
    out.add(name, first ?? "");
    for (const line of rest) {
      const colon = line.indexOf(":");
      if (colon > 0) out.add(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  }
  return out;
}

/** A response that ends without a body and says nothing of its length (not 1xx, 204, 304,
 *  nor the answer to HEAD) goes to the client with `content-length: 0`. */
export function needsZeroLength(headers: HeaderMap, body: Uint8Array, method?: string): boolean {
  const status = Number(headers.get(":status") ?? 0);
  return (
    body.length === 0 &&
    !headers.has("content-length") &&
    !headers.has("transfer-encoding") &&
    status >= 200 &&
    status !== 204 &&
    status !== 304 &&
    method?.toUpperCase() !== "HEAD"
  );
}

/** A value as an HTTP server in Node reads it: text as given; a value holding bytes that are
 *  not UTF-8 (a raw 0xE9) is read byte for byte as latin-1, as Node reads every header. */
function serverText(value: string): string {
  const bytes = utf8(value);
  return text(bytes) === value ? value : Buffer.from(bytes).toString("latin1");
}

/** An upstream that forwards to a real server. */
export function forwardTo(base: string): UpstreamHandler {
  return async (req) => {
    const headers = { ...req.headers };
    delete headers["content-length"];
    const res = await fetch(new URL(req.path, base), {
      method: req.method,
      headers,
      body: req.bodyBytes.length > 0 ? Buffer.from(req.bodyBytes) : undefined,
    });
    const pairs: Array<[string, string]> = [];
    res.headers.forEach((v, k) => {
      if (k !== "connection" && k !== "keep-alive" && k !== "transfer-encoding") pairs.push([k, v]);
    });
    return { status: res.status, headers: pairs, body: new Uint8Array(await res.arrayBuffer()) };
  };
}
