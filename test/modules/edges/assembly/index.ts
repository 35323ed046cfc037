// The edge probe: an HTTP filter for the conformance scenarios that pin Envoy's behaviour at
// the edges (connection-manager normalisation, limits, local replies, route re-matching,
// attributes, stats, raw bytes). Its behaviour is chosen by the request path; it works on the
// raw ABI so that what it writes and reads is byte-exact, and it reports:
// - `x-seen-request` / `x-seen-response` response headers: the hex of the header-map pairs the
//   filter saw in onRequestHeaders / onResponseHeaders (before it changed anything);
// - log lines `step <callback> eos=<0|1> n=<count or size>` for each callback;
// - log lines `attr <callback> <name> <status> <hex>` for each attribute read on /edge/attr.

import { Action, Header, HttpContext, RootContext, registerRootContext } from "../../../../assembly";
import {
  proxy_add_header_map_value,
  proxy_define_metric,
  proxy_get_header_map_pairs,
  proxy_get_property,
  proxy_increment_metric,
  proxy_log,
  proxy_replace_header_map_value,
  proxy_send_local_response,
  proxy_set_header_map_pairs,
} from "../../../../assembly/abi/imports";

export * from "../../../../assembly/exports";

const REQUEST_HEADERS: u32 = 0;
const RESPONSE_HEADERS: u32 = 2;
const OUT: usize = memory.data(16, 8);

function enc(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function bytes(values: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  const view = Uint8Array.wrap(out);
  for (let i = 0; i < values.length; i++) view[i] = values[i];
  return out;
}

const HEX = "0123456789abcdef";

/** Lower-case hex of `len` bytes, built in one buffer (linear in the length). */
function hexOf(ptr: usize, len: usize): string {
  const out = new ArrayBuffer(<i32>(len * 2));
  const o = changetype<usize>(out);
  for (let i: usize = 0; i < len; i++) {
    const v = load<u8>(ptr + i);
    store<u8>(o + i * 2, HEX.charCodeAt(v >> 4));
    store<u8>(o + i * 2 + 1, HEX.charCodeAt(v & 15));
  }
  return String.UTF8.decode(out);
}

function info(message: string): void {
  const m = enc(message);
  proxy_log(2, changetype<usize>(m), m.byteLength);
}

/** The hex of a whole header map's pairs, as the host serializes them. */
function pairsHex(map: u32): string {
  store<u64>(OUT, 0);
  const status = proxy_get_header_map_pairs(map, OUT, OUT + 4);
  if (status != 0) return "status" + status.toString();
  const ptr = <usize>load<u32>(OUT);
  const len = <usize>load<u32>(OUT + 4);
  const out = hexOf(ptr, len);
  if (ptr != 0) heap.free(ptr);
  return out;
}

function replaceHeader(map: u32, name: string, value: ArrayBuffer): u32 {
  const k = enc(name);
  return proxy_replace_header_map_value(
    map,
    changetype<usize>(k),
    k.byteLength,
    changetype<usize>(value),
    value.byteLength,
  );
}

function addHeader(map: u32, name: string, value: ArrayBuffer): u32 {
  const k = enc(name);
  return proxy_add_header_map_value(
    map,
    changetype<usize>(k),
    k.byteLength,
    changetype<usize>(value),
    value.byteLength,
  );
}

/** Header pairs in the ABI's wire format. */
function serializePairs(names: string[], values: ArrayBuffer[]): ArrayBuffer {
  let size = 4;
  const encoded: ArrayBuffer[] = [];
  for (let i = 0; i < names.length; i++) {
    const k = enc(names[i]);
    encoded.push(k);
    size += 8 + k.byteLength + 1 + values[i].byteLength + 1;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, names.length);
  let at = base + 4;
  for (let i = 0; i < names.length; i++) {
    store<u32>(at, encoded[i].byteLength);
    store<u32>(at + 4, values[i].byteLength);
    at += 8;
  }
  for (let i = 0; i < names.length; i++) {
    memory.copy(at, changetype<usize>(encoded[i]), encoded[i].byteLength);
    at += encoded[i].byteLength;
    store<u8>(at, 0);
    at += 1;
    memory.copy(at, changetype<usize>(values[i]), values[i].byteLength);
    at += values[i].byteLength;
    store<u8>(at, 0);
    at += 1;
  }
  return out;
}

function localReply(status: u32, body: ArrayBuffer, names: string[], values: ArrayBuffer[]): void {
  const headers = serializePairs(names, values);
  const details = enc("edge_probe");
  proxy_send_local_response(
    status,
    changetype<usize>(details),
    details.byteLength,
    changetype<usize>(body),
    body.byteLength,
    changetype<usize>(headers),
    headers.byteLength,
    -1,
  );
}

/** Reads one attribute and logs its status and value. */
function logAttribute(callback: string, dotted: string): void {
  const parts = dotted.split(".");
  let size = 0;
  const encoded: ArrayBuffer[] = [];
  for (let i = 0; i < parts.length; i++) {
    encoded.push(enc(parts[i]));
    size += encoded[i].byteLength + (i > 0 ? 1 : 0);
  }
  const path = new ArrayBuffer(size);
  let at = changetype<usize>(path);
  for (let i = 0; i < encoded.length; i++) {
    if (i > 0) {
      store<u8>(at, 0);
      at += 1;
    }
    memory.copy(at, changetype<usize>(encoded[i]), encoded[i].byteLength);
    at += encoded[i].byteLength;
  }
  store<u64>(OUT, 0);
  const status = proxy_get_property(changetype<usize>(path), size, OUT, OUT + 4);
  const ptr = <usize>load<u32>(OUT);
  const len = <usize>load<u32>(OUT + 4);
  // A value over 16 KiB is cut to its first 1 KiB: xds.node is about 60 KB in Envoy 1.40
  // (every extension it has); its leading fields are the ones a bootstrap sets.
  const value = status == 0 ? hexOf(ptr, len <= 16384 ? len : 1024) : "";
  if (status == 0 && ptr != 0) heap.free(ptr);
  info("attr " + callback + " " + dotted + " " + status.toString() + " " + value);
}

const ATTRIBUTES: string[] = [
  "response.trailers",
  "metadata",
  "filter_state",
  "xds.cluster_metadata",
  "xds.route_metadata",
  "xds.listener_metadata",
  "xds.virtual_host_metadata",
  "upstream.transport_failure_reason",
  "upstream.locality",
  "request.headers",
  "request.time",
  "response.headers",
  "source.address",
  "destination.address",
  "connection.id",
  "connection_id",
  "upstream.address",
  "request.path",
  "request.url_path",
  "request.host",
  "request.scheme",
  "request.method",
  "request.referer",
  "request.useragent",
  "request.id",
  "request.protocol",
  "request.query",
  "request.size",
  "request.total_size",
  "request.duration",
  "response.code",
  "response.code_details",
  "response.flags",
  "response.grpc_status",
  "response.size",
  "response.total_size",
  "source.port",
  "destination.port",
  "connection.mtls",
  "connection.requested_server_name",
  "connection.tls_version",
  "connection.termination_details",
  "upstream.port",
  "upstream.tls_version",
  "upstream.request_attempt_count",
  "xds.node",
  "xds.upstream_host_metadata",
  "xds.cluster_name",
  "xds.route_name",
  "xds.virtual_host_name",
  "xds.listener_direction",
  "xds.filter_chain_name",
];

function logAttributes(callback: string): void {
  for (let i = 0; i < ATTRIBUTES.length; i++) logAttribute(callback, ATTRIBUTES[i]);
}

function defineMetric(kind: u32, name: string): u32 {
  const n = enc(name);
  store<u32>(OUT, 0);
  proxy_define_metric(kind, changetype<usize>(n), n.byteLength, OUT);
  return load<u32>(OUT);
}

class EdgeRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new Edge(contextId, this);
  }
}

class Edge extends HttpContext {
  path: string = "";
  seenRequest: string = "";
  attrs: bool = false;
  /** /edge/trailers/<mode>: how bodies ended by trailers are held ("buffered", "held-headers",
   *  "held-trailers"); empty otherwise. */
  trailersMode: string = "";
  /** The direction a callout answer resumes (true: request). */
  resumeRequest: bool = true;
  /** /edge/local/held: the local reply's response headers wait for a callout's answer
   *  (/edge/local/twice and twice-held: they send a second reply, and continue or hold;
   *  /edge/local/trap: they trap). */
  holdReply: bool = false;
  /** A request body callback ran (/edge/buffer/continue-past and reply-past). */
  bodySeen: bool = false;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    info("step request_headers eos=" + (endOfStream ? "1" : "0") + " n=" + numHeaders.toString());
    this.seenRequest = pairsHex(REQUEST_HEADERS);
    const p = this.request.headers.get(":path");
    this.path = p === null ? "" : p.split("?")[0];
    const path = this.path;
    this.attrs = path.startsWith("/edge/attr");
    if (this.attrs) logAttributes("request_headers");
    if (path.startsWith("/edge/trailers/")) this.trailersMode = path.slice(15);
    if (this.trailersMode == "held-headers") return this.holdFor(true);
    if (path == "/edge/trap") unreachable();
    if (path == "/edge/local/json") {
      localReply(200, enc('{"ok":true}'), ["content-type"], [enc("application/json")]);
      return Action.Pause;
    }
    if (path == "/edge/local/redirect") {
      localReply(
        302,
        new ArrayBuffer(0),
        ["location", "content-type"],
        [enc("/elsewhere"), enc("text/html")],
      );
      return Action.Pause;
    }
    if (path == "/edge/local/binary") {
      localReply(200, bytes([0x00, 0xff, 0xe9, 0x80, 0x0d, 0x0a]), [], []);
      return Action.Pause;
    }
    // The others (plain, held, twice, twice-held, trap) answer the same way.
    if (path.startsWith("/edge/local/")) {
      this.holdReply = path == "/edge/local/held";
      localReply(403, enc("denied"), [], []);
      return Action.Pause;
    }
    if (path == "/edge/route/replace-map") {
      const authority = this.request.headers.get(":authority");
      const pairs = serializePairs(
        [":authority", ":path", ":method", ":scheme", "x-replaced"],
        [enc(authority === null ? "" : authority), enc(path), enc("GET"), enc("http"), enc("1")],
      );
      proxy_set_header_map_pairs(REQUEST_HEADERS, changetype<usize>(pairs), pairs.byteLength);
    } else if (path == "/edge/route/method-put") {
      replaceHeader(REQUEST_HEADERS, ":method", enc("PUT"));
    } else if (path == "/edge/bytes/request-e9") {
      addHeader(REQUEST_HEADERS, "x-raw", bytes([0x61, 0xe9, 0x62]));
    } else if (path == "/edge/bytes/request-crlf") {
      addHeader(REQUEST_HEADERS, "x-crlf", enc("a\r\nx-injected: 1"));
    } else if (path == "/edge/stats") {
      proxy_increment_metric(defineMetric(0, "edge_rq_200"), 1);
      proxy_increment_metric(defineMetric(1, "edge_level"), -3);
    }
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    info("step request_body eos=" + (endOfStream ? "1" : "0") + " n=" + bodySize.toString());
    if (this.attrs) logAttributes("request_body");
    // Buffer the whole body: each chunk before the end is held and delivered again.
    if (this.path == "/edge/buffer/until-end" && !endOfStream) return Action.Pause;
    // Buffer the first chunk whatever its size, and more up to 1 MiB, then let the body go on
    // (continue-past) or answer 400 (reply-past).
    if (this.path == "/edge/buffer/continue-past" || this.path == "/edge/buffer/reply-past") {
      const first = !this.bodySeen;
      this.bodySeen = true;
      if (first) return Action.Pause;
      if (bodySize <= 1048576) return endOfStream ? Action.Continue : Action.Pause;
      if (this.path == "/edge/buffer/continue-past") return Action.Continue;
      localReply(400, enc("the filter's own reply"), [], []);
      return Action.Pause;
    }
    if (this.trailersMode != "" && !endOfStream) return Action.Pause;
    return Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    info("step request_trailers n=" + numTrailers.toString());
    if (this.trailersMode == "") return Action.Continue;
    this.rewriteBody(true);
    return this.trailersMode == "held-trailers" ? this.holdFor(true) : Action.Continue;
  }

  /** The body a buffering filter holds when trailers end it, wrapped: "[body]" on the request,
   *  "<body>" on the response. Logs what the trailers callback read. */
  rewriteBody(request: bool): void {
    const body = request ? this.request.body : this.response.body;
    const read = body.readString();
    info("trailers-body " + (request ? "request" : "response") + " " + read);
    body.replaceString(request ? "[" + read + "]" : "<" + read + ">");
  }

  /** Pauses a direction until a callout to the "callout" cluster answers. Held headers wait
   *  for the slow answer (1.5 s), so the body and trailers have reached the filter by then,
   *  whichever side sends them (a quick answer could resume the request before the client's
   *  trailers arrived, and the body was then sent on before the trailers replaced it). */
  holdFor(request: bool): Action {
    this.resumeRequest = request;
    const path = this.trailersMode == "held-headers" ? "/slow" : "/hold";
    const d = this.dispatchHttpCall(
      "callout",
      [new Header(":method", "GET"), new Header(":path", path), new Header(":authority", "callout.local")],
      null,
      [],
      5000,
    );
    return d.ok ? Action.Pause : Action.Continue;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    info("step callout_answer " + (this.resumeRequest ? "request" : "response"));
    if (this.resumeRequest) this.continueRequest();
    else this.continueResponse();
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    info("step response_headers eos=" + (endOfStream ? "1" : "0") + " n=" + numHeaders.toString());
    const seen = pairsHex(RESPONSE_HEADERS);
    if (this.attrs) logAttributes("response_headers");
    if (this.trailersMode == "held-headers") {
      addHeader(RESPONSE_HEADERS, "x-seen-request", enc(this.seenRequest));
      return this.holdFor(false);
    }
    addHeader(RESPONSE_HEADERS, "x-seen-request", enc(this.seenRequest));
    addHeader(RESPONSE_HEADERS, "x-seen-response", enc(seen));
    const path = this.path;
    if (path == "/edge/bytes/response-e9") {
      addHeader(RESPONSE_HEADERS, "x-raw", bytes([0x61, 0xe9, 0x62]));
    } else if (path == "/edge/bytes/response-crlf") {
      addHeader(RESPONSE_HEADERS, "x-crlf", enc("a\r\nx-injected: 1"));
    } else if (path == "/edge/status/overwrite") {
      replaceHeader(RESPONSE_HEADERS, ":status", enc("abc"));
    }
    if (this.holdReply) return this.holdFor(false);
    // Hold the response headers while the body is buffered (StopIteration when the plugin
    // allows it on headers).
    if (path == "/edge/buffer/response-held") return Action.Pause;
    if (path == "/edge/local/trap") unreachable();
    if (path.startsWith("/edge/local/twice")) {
      // A second reply from the first one's response headers (continued, or held).
      localReply(500, enc("again"), [], []);
      if (path == "/edge/local/twice-held") return Action.Pause;
    }
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    info("step response_body eos=" + (endOfStream ? "1" : "0") + " n=" + bodySize.toString());
    if (this.attrs) logAttributes("response_body");
    if (this.trailersMode != "" && !endOfStream) return Action.Pause;
    if (this.path.startsWith("/edge/buffer/response") && !endOfStream) return Action.Pause;
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    info("step response_trailers n=" + numTrailers.toString());
    if (this.trailersMode == "") return Action.Continue;
    this.rewriteBody(false);
    return this.trailersMode == "held-trailers" ? this.holdFor(false) : Action.Continue;
  }

  onLog(): void {
    if (this.attrs) logAttributes("log");
  }
}

registerRootContext((id: u32) => new EdgeRoot(id));
