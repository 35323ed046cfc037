// telemetry: Prometheus metrics with bounded labels, a JSON access log, request ids and W3C
// trace context, for every request that passes.
//
//   onRequestHeaders   x-request-id (kept, or a new UUID v4), traceparent (continued with a
//                      new span id, started, or replaced when malformed; B3 translated)
//   onResponseHeaders  the request id echoed (by option)
//   onLog              the request counter and the three histograms, labelled by code,
//                      method, route and cluster; the access-log line (sampled, filtered by
//                      status) through Envoy's log and into filter state
//
// README.md is the configuration reference; schema.json describes the same document.

import {
  Action,
  CallbackNeeds,
  CounterFamily,
  HistogramFamily,
  HttpContext,
  Labels,
  PropertyPath,
  RootContext,
  currentTimeNanos,
  getPropertyInt,
  log,
  properties,
  readConfig,
  registerRootContext,
  setProperty,
  StreamCallbacks,
} from "../../../assembly";
import { JsonLine, REDACTED } from "./accesslog";
import { LOG_FIELDS, TelemetryConfig, readTelemetryConfig } from "./config";
import {
  TraceContext,
  chance,
  newTraceparent,
  parseB3Multi,
  parseB3Single,
  parseTraceparent,
  randomHex,
  uuid4,
} from "./trace";

export * from "../../../assembly/exports";

const P_DURATION = PropertyPath.of("request.duration");
const P_REQUEST_SIZE = PropertyPath.of("request.size");
const P_RESPONSE_SIZE = PropertyPath.of("response.size");
/** A size or duration onLog has not read (every real value is at least -1). */
const UNREAD: i64 = i64.MIN_VALUE;
const CODE_CLASSES: string[] = ["0", "1xx", "2xx", "3xx", "4xx", "5xx"];
// Header names as the host takes them, encoded once (not per request).
const B3 = String.UTF8.encode("b3");
const B3_TRACE_ID = String.UTF8.encode("x-b3-traceid");
const B3_SPAN_ID = String.UTF8.encode("x-b3-spanid");
const B3_SAMPLED = String.UTF8.encode("x-b3-sampled");
const B3_FLAGS = String.UTF8.encode("x-b3-flags");
const B3_HEADERS: ArrayBuffer[] = [B3, B3_TRACE_ID, B3_SPAN_ID, String.UTF8.encode("x-b3-parentspanid"), B3_SAMPLED, B3_FLAGS];
const TRACEPARENT = String.UTF8.encode("traceparent");
const METHOD = String.UTF8.encode(":method");
const PATH = String.UTF8.encode(":path");
const AUTHORITY = String.UTF8.encode(":authority");
const USER_AGENT = String.UTF8.encode("user-agent");
const CONTENT_LENGTH = String.UTF8.encode("content-length");
const TRACESTATE = String.UTF8.encode("tracestate");

// Trace-context outcomes and access-log outcomes, as values of the `result` label.
const TRACE_CONTINUED = 0;
const TRACE_STARTED = 1;
const TRACE_REPLACED = 2;
const TRACE_FROM_B3 = 3;
const TRACE_RESULTS: string[] = ["continued", "started", "replaced", "from_b3"];
const LOG_WRITTEN = 0;
const LOG_SAMPLED_OUT = 1;
const LOG_FILTERED_OUT = 2;
const LOG_RESULTS: string[] = ["written", "sampled_out", "filtered_out"];

/** Everything requests need, built once from the configuration. */
class Telemetry {
  labels: Labels;
  requests: CounterFamily;
  duration: HistogramFamily;
  requestBytes: HistogramFamily;
  responseBytes: HistogramFamily;
  codeAt: i32;
  methodAt: i32;
  routeAt: i32;
  clusterAt: i32;
  outcome: Labels;
  traces: CounterFamily;
  logLines: CounterFamily;
  filterState: PropertyPath;
  /** The access-log line, rebuilt in place per request (one buffer per VM). */
  line: JsonLine = new JsonLine();
  /** The request id header's name, encoded. */
  ridHeader: ArrayBuffer;
  /** Whether requests note their start time (only the access log's timestamp uses it). */
  stampStart: bool;

  constructor(public config: TelemetryConfig) {
    const m = config.metrics;
    const istio = m.istio;
    const names = new Array<string>();
    for (let i = 0; i < m.labels.length; i++) names.push(labelName(m.labels[i], istio, m.codeClass));
    const self = istio ? "meshwasm" : m.prefix;
    const labels = new Labels(names, self + "_label_values_dropped");
    const keys = m.staticLabels.keys();
    for (let i = 0; i < keys.length; i++) labels.constant(keys[i], m.staticLabels.get(keys[i]));
    const codeAt = m.labels.indexOf("code");
    const methodAt = m.labels.indexOf("method");
    const routeAt = m.labels.indexOf("route");
    const clusterAt = m.labels.indexOf("cluster");
    if (codeAt >= 0) labels.limit(names[codeAt], 1000);
    if (methodAt >= 0) labels.allow(names[methodAt], m.methods);
    if (routeAt >= 0) {
      labels.limit(names[routeAt], m.routeLimit);
      if (m.routes.length > 0) labels.allow(names[routeAt], m.routes);
    }
    if (clusterAt >= 0) {
      labels.limit(names[clusterAt], m.clusterLimit);
      if (m.clusters.length > 0) labels.allow(names[clusterAt], m.clusters);
    }
    const base = istio ? "istio" : m.prefix;
    const outcome = new Labels(["result"], self + "_label_values_dropped");
    this.codeAt = codeAt;
    this.methodAt = methodAt;
    this.routeAt = routeAt;
    this.clusterAt = clusterAt;
    this.labels = labels;
    this.requests = new CounterFamily(base + "_requests_total", labels);
    this.duration = new HistogramFamily(base + "_request_duration_milliseconds", labels);
    this.requestBytes = new HistogramFamily(base + "_request_bytes", labels);
    this.responseBytes = new HistogramFamily(base + "_response_bytes", labels);
    this.outcome = outcome;
    this.traces = new CounterFamily(self + "_trace_context_total", outcome);
    this.logLines = new CounterFamily(self + "_access_log_total", outcome);
    this.filterState = new PropertyPath([config.accessLog.filterStateKey]);
    this.ridHeader = String.UTF8.encode(config.requestId.header);
    this.stampStart = config.accessLog.enabled && config.accessLog.fields[0];
  }
}

function labelName(label: string, istio: bool, codeClass: bool): string {
  if (label == "code") return istio ? "response_code" : codeClass ? "code_class" : "code";
  if (label == "method") return istio ? "request_method" : "method";
  if (label == "route") return istio ? "route_name" : "route";
  return istio ? "upstream_cluster" : "cluster";
}

class TelemetryRoot extends RootContext {
  telemetry: Telemetry | null = null;

  onConfigure(configurationSize: u32): bool {
    const cfg = readConfig(this.pluginConfiguration());
    const config = readTelemetryConfig(cfg);
    if (!cfg.ok) {
      log.error(cfg.firstError);
      return false;
    }
    const telemetry = new Telemetry(config);
    if (telemetry.labels.problem !== null) {
      log.error("invalid configuration: field \"metrics\": " + telemetry.labels.problem!);
      return false;
    }
    this.telemetry = telemetry;
    return true;
  }

  // The request's headers on every request (request id, trace context, start time); the
  // response's only to echo the request id; the log only for the metrics or the access log.
  neededCallbacks(needs: CallbackNeeds): void {
    const cfg = this.telemetry!.config;
    needs.need(StreamCallbacks.RequestHeaders, "every request");
    if (cfg.requestId.echo) needs.need(StreamCallbacks.ResponseHeaders, "request_id.echo: true");
    if (cfg.metrics.enabled) needs.need(StreamCallbacks.Log, "metrics.enabled: true");
    if (cfg.accessLog.enabled) needs.need(StreamCallbacks.Log, "access_log.enabled: true");
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new TelemetryStream(contextId, this, this.telemetry!);
  }
}

class TelemetryStream extends HttpContext {
  private startMs: i64 = 0;
  private requestId: string | null = null;
  private traceId: string | null = null;
  private requestIdBytes: ArrayBuffer | null = null;
  // Properties onLog reads for both the metrics and the log line, read once.
  private method: string | null = null;
  private route: string | null = null;
  private cluster: string | null = null;
  private haveMethod: bool = false;
  private haveRoute: bool = false;
  private haveCluster: bool = false;
  // Whether onLog has read the request's whole header map (see requestHeader).
  private wholeRead: bool = false;
  // Whether the request ended with its headers (no body reached the filter chain).
  private bodyless: bool = false;
  // request.size once onLog has it (UNREAD before).
  private requestBytes: i64 = UNREAD;

  constructor(
    id: u32,
    root: RootContext,
    private readonly t: Telemetry,
  ) {
    super(id, root);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const t = this.t;
    const cfg = t.config;
    if (t.stampStart) this.startMs = currentTimeNanos() / 1000000;
    this.bodyless = endOfStream;
    const rid = cfg.requestId;
    const headers = this.request.headers;
    // Every read comes before every write: with tracing on, the traceparent read takes the
    // whole map (getAll), and the request id, tracestate and B3 reads after it are answered
    // from that copy (one host call); a write would end the copy.
    const parents = cfg.tracing.enabled ? headers.getAll("traceparent") : null;
    let id = headers.getText(t.ridHeader);
    let bytes: ArrayBuffer | null = null;
    if (rid.generate == "always" || (rid.generate == "missing" && (id === null || id.length == 0))) {
      id = uuid4();
      bytes = String.UTF8.encode(id);
    }
    this.requestId = id;
    // A generated id is echoed from its bytes; one read is echoed as the text read (ill-formed
    // UTF-8 as U+FFFD), encoded again in onResponseHeaders.
    this.requestIdBytes = bytes;
    if (parents !== null) this.traceContext(parents);
    if (bytes !== null) headers.setBytes(t.ridHeader, bytes);
    return Action.Continue;
  }

  private traceContext(parents: string[]): void {
    const tracing = this.t.config.tracing;
    const headers = this.request.headers;
    let context: TraceContext | null = null;
    let result = TRACE_STARTED;
    if (parents.length == 1) context = parseTraceparent(parents[0]);
    // Read before the B3 headers are removed (a removal ends the copy of the map).
    const hasState = context === null && headers.getBytes(TRACESTATE) !== null;
    if (context !== null) {
      result = TRACE_CONTINUED;
    } else if (parents.length > 0) {
      result = TRACE_REPLACED;
    } else if (tracing.b3) {
      const single = headers.getText(B3);
      const deferred = chance(tracing.samplePercent);
      if (single !== null) context = parseB3Single(single, deferred);
      if (context === null) {
        context = parseB3Multi(
          headers.getText(B3_TRACE_ID),
          headers.getText(B3_SPAN_ID),
          headers.getText(B3_SAMPLED),
          headers.getText(B3_FLAGS),
          deferred,
        );
      }
      if (context !== null) {
        result = TRACE_FROM_B3;
        // Only the B3 headers present are removed: which ones is read from the copy before
        // the first removal ends it.
        let present: u32 = 0;
        for (let i = 0; i < B3_HEADERS.length; i++) if (headers.getBytes(B3_HEADERS[i]) !== null) present |= 1 << i;
        for (let i = 0; i < B3_HEADERS.length; i++) if ((present & (1 << i)) != 0) headers.removeBytes(B3_HEADERS[i]);
      }
    }
    // A tracestate belongs to the traceparent it came with: a new trace drops it (removed only
    // when there is one: removing an absent header changes nothing).
    if (hasState) headers.removeBytes(TRACESTATE);
    if (context === null) context = new TraceContext(randomHex(16), "", chance(tracing.samplePercent));
    headers.setBytes(TRACEPARENT, String.UTF8.encode(newTraceparent(context.traceId, context.sampled)));
    this.traceId = context.traceId;
    this.t.outcome.set(0, TRACE_RESULTS[result]);
    this.t.traces.increment();
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const rid = this.t.config.requestId;
    const id = this.requestId;
    if (rid.echo && id !== null) {
      const bytes = this.requestIdBytes;
      this.response.headers.setBytes(this.t.ridHeader, bytes !== null ? bytes : String.UTF8.encode(id));
    }
    return Action.Continue;
  }

  onLog(): void {
    const t = this.t;
    const cfg = t.config;
    const metrics = cfg.metrics.enabled;
    const logging = cfg.accessLog.enabled;
    // Each property is read once, and only when a metric or the log needs it (the log's own
    // fields after its status filter and sampling).
    this.haveMethod = false;
    this.haveRoute = false;
    this.haveCluster = false;
    this.wholeRead = false;
    this.requestBytes = UNREAD;
    let code: i64 = 0;
    if (logging || (metrics && t.codeAt >= 0)) {
      code = properties.responseCode();
      if (code < 0) code = 0;
    }
    let durationNs = UNREAD;
    let responseSize = UNREAD;
    if (metrics) {
      durationNs = getPropertyInt(P_DURATION, -1);
      responseSize = getPropertyInt(P_RESPONSE_SIZE, 0);
      this.record(code, durationNs, responseSize);
    }
    if (logging) this.accessLog(code, durationNs, responseSize);
  }

  /** request.size as Envoy answers it in onLog: the request's `content-length` when it is a
   *  number, else the body bytes received. Without the property read (a host call and a
   *  `malloc` entry) when the request map read in this onLog has the answer: a `content-length`
   *  of digits is what Envoy parses; no `content-length` on a request that ended with its
   *  headers means no body bytes. Anything else (a body, a `content-length` Envoy would not
   *  parse the same way, the map not read) asks Envoy. */
  private requestSize(): i64 {
    if (this.requestBytes != UNREAD) return this.requestBytes;
    let size: i64 = -1;
    if (this.wholeRead) {
      const length = this.request.headers.getBytes(CONTENT_LENGTH);
      if (length === null) {
        if (this.bodyless) size = 0;
      } else {
        size = decimal(length);
      }
    }
    if (size < 0) size = getPropertyInt(P_REQUEST_SIZE, 0);
    this.requestBytes = size;
    return size;
  }

  private record(code: i64, durationNs: i64, responseSize: i64): void {
    const t = this.t;
    const labels = t.labels;
    if (t.codeAt >= 0) {
      if (t.config.metrics.codeClass) labels.set(t.codeAt, CODE_CLASSES[code >= 100 && code < 600 ? <i32>(code / 100) : 0]);
      else labels.setNumber(t.codeAt, code);
    }
    if (t.methodAt >= 0) labels.set(t.methodAt, orNone(this.requestMethod()));
    if (t.routeAt >= 0) labels.set(t.routeAt, orNone(this.routeName()));
    if (t.clusterAt >= 0) labels.set(t.clusterAt, orNone(this.clusterName()));
    t.requests.increment();
    t.duration.record(durationNs < 0 ? 0 : <u64>(durationNs / 1000000));
    // After the labels: the method label has read the request map when it is on.
    t.requestBytes.record(<u64>max<i64>(this.requestSize(), 0));
    t.responseBytes.record(<u64>max<i64>(responseSize, 0));
  }

  /** `durationNs` and `responseSize` are UNREAD when the metrics did not read them. */
  private accessLog(code: i64, durationNs: i64, responseSize: i64): void {
    const t = this.t;
    const a = t.config.accessLog;
    let selected = a.statusCodes.length == 0 && a.statusClasses.length == 0;
    if (!selected) selected = a.statusCodes.includes(<i32>code) || (code >= 100 && a.statusClasses.includes(<i32>(code / 100)));
    const result = !selected ? LOG_FILTERED_OUT : chance(a.samplePercent) ? LOG_WRITTEN : LOG_SAMPLED_OUT;
    t.outcome.set(0, LOG_RESULTS[result]);
    t.logLines.increment();
    if (result != LOG_WRITTEN) return;
    const f = a.fields;
    const line = t.line.reset();
    if (f[0]) line.timestamp(LOG_FIELDS[0], this.startMs);
    if (f[1]) line.str(LOG_FIELDS[1], this.requestMethod());
    // request.path and request.host are the request's :path and :authority as they are now
    // (after any later filter's rewrite): read from the same copy of the map.
    if (f[2]) line.str(LOG_FIELDS[2], this.requestHeader(PATH));
    if (f[3]) line.str(LOG_FIELDS[3], this.requestHeader(AUTHORITY));
    if (f[4]) line.str(LOG_FIELDS[4], properties.requestProtocol());
    if (f[5]) line.int(LOG_FIELDS[5], code);
    if (f[6]) line.millis(LOG_FIELDS[6], durationNs != UNREAD ? durationNs : getPropertyInt(P_DURATION, -1));
    if (f[7]) line.int(LOG_FIELDS[7], this.requestSize());
    if (f[8]) line.int(LOG_FIELDS[8], responseSize != UNREAD ? responseSize : getPropertyInt(P_RESPONSE_SIZE, 0));
    if (f[9]) line.str(LOG_FIELDS[9], this.requestId);
    if (f[10]) line.str(LOG_FIELDS[10], this.traceId);
    if (f[11]) line.str(LOG_FIELDS[11], this.clusterName());
    if (f[12]) line.str(LOG_FIELDS[12], properties.upstreamAddress());
    if (f[13]) line.str(LOG_FIELDS[13], this.routeName());
    if (f[14]) line.str(LOG_FIELDS[14], properties.sourceAddress());
    if (f[15]) line.str(LOG_FIELDS[15], this.redacted("user-agent", this.requestHeader(USER_AGENT)));
    if (a.requestHeaders.length > 0) line.headers("request_headers", a.requestHeaders, this.values(a.requestHeaders, true));
    if (a.responseHeaders.length > 0) line.headers("response_headers", a.responseHeaders, this.values(a.responseHeaders, false));
    // The line's text only when the level lets it through; filter state takes its bytes.
    const bytes = line.closeUtf8();
    if (log.enabled(a.level)) log.at(a.level, line.close());
    setProperty(t.filterState, bytes);
  }

  /** A request header's first value in onLog. The first such read takes the whole map, so
   *  the method, path, authority, user agent and logged headers cost one host call between
   *  them, and each value is decoded straight from that copy; the request.method, request.path
   *  and request.host properties are these same header values. */
  private requestHeader(encoded: ArrayBuffer): string | null {
    this.wholeRead = true;
    return this.request.headers.getText(encoded, true);
  }

  private requestMethod(): string | null {
    if (!this.haveMethod) {
      this.method = this.requestHeader(METHOD);
      this.haveMethod = true;
    }
    return this.method;
  }

  private routeName(): string | null {
    if (!this.haveRoute) {
      this.route = properties.routeName();
      this.haveRoute = true;
    }
    return this.route;
  }

  private clusterName(): string | null {
    if (!this.haveCluster) {
      this.cluster = properties.clusterName();
      this.haveCluster = true;
    }
    return this.cluster;
  }

  private values(names: string[], request: bool): Array<string | null> {
    const map = request ? this.request.headers : this.response.headers;
    const out = new Array<string | null>(names.length);
    for (let i = 0; i < names.length; i++) {
      const all = map.getAll(names[i]);
      out[i] = this.redacted(names[i], all.length == 0 ? null : all.join(","));
    }
    return out;
  }

  private redacted(name: string, value: string | null): string | null {
    if (value === null) return null;
    return this.t.config.accessLog.redact.includes(name) ? REDACTED : value;
  }
}

/** A run of 1 to 18 ASCII digits as a number (what Envoy's integer parse makes of it), else -1. */
function decimal(bytes: ArrayBuffer): i64 {
  const n = bytes.byteLength;
  if (n == 0 || n > 18) return -1;
  const p = changetype<usize>(bytes);
  let v: i64 = 0;
  for (let i = 0; i < n; i++) {
    const c = <i32>load<u8>(p + <usize>i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function orNone(value: string | null): string {
  return value === null || value.length == 0 ? "none" : value;
}

registerRootContext((id: u32): RootContext => new TelemetryRoot(id), "telemetry");
