// The telemetry filter's configuration: read once in onConfigure into an immutable
// `TelemetryConfig`; every mistake is one line naming the field and the value.
// schema.json describes the same document; test/schema.test.ts holds the two to each other.

import { ConfigReader, JsonValue, LogLevel, Protected } from "../../../assembly";

/** Envoy's default connection-manager methods; anything else is `other` unless configured. */
export const DEFAULT_METHODS: string[] = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "CONNECT",
  "TRACE",
];
/** Milliseconds: 1 ms to a minute. */
export const DEFAULT_DURATION_BUCKETS: f64[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
];
/** Bytes: 100 B to 100 MB, in decades. */
export const DEFAULT_SIZE_BUCKETS: f64[] = [100, 1000, 10000, 100000, 1000000, 10000000, 100000000];
/** Access-log fields, in the order they are written. */
export const LOG_FIELDS: string[] = [
  "timestamp",
  "method",
  "path",
  "authority",
  "protocol",
  "status",
  "duration_ms",
  "request_bytes",
  "response_bytes",
  "request_id",
  "trace_id",
  "upstream_cluster",
  "upstream_host",
  "route",
  "client_address",
  "user_agent",
];
const LEVELS: string[] = ["trace", "debug", "info", "warn", "error", "critical"];
const MAX_BUCKETS: i32 = 50;
const MAX_LIST: i32 = 1000;

export class MetricsConfig {
  enabled: bool = true;
  istio: bool = false;
  prefix: string = "meshwasm";
  codeClass: bool = false;
  /** Which of code, method, route, cluster label the series. */
  labels: string[] = [];
  staticLabels: Map<string, string> = new Map();
  methods: string[] = [];
  routes: string[] = [];
  routeLimit: i32 = 100;
  clusters: string[] = [];
  clusterLimit: i32 = 100;
  durationBuckets: f64[] = [];
  requestBuckets: f64[] = [];
  responseBuckets: f64[] = [];
}

export class AccessLogConfig {
  enabled: bool = true;
  level: LogLevel = LogLevel.Info;
  /** Indexes into LOG_FIELDS. */
  fields: bool[] = [];
  requestHeaders: string[] = [];
  responseHeaders: string[] = [];
  redact: string[] = [];
  samplePercent: f64 = 100;
  /** Codes (200) and classes (5 for 5xx) to log; empty logs every status. */
  statusCodes: i32[] = [];
  statusClasses: i32[] = [];
  filterStateKey: string = "";
}

export class RequestIdConfig {
  header: string = "x-request-id";
  /** "missing", "always" or "never". */
  generate: string = "missing";
  echo: bool = false;
}

export class TracingConfig {
  enabled: bool = true;
  /** Accept B3 (single or multi-header) when traceparent is absent, translating it to W3C. */
  b3: bool = false;
  /** Percent of new traces started with the sampled flag. */
  samplePercent: f64 = 100;
}

export class TelemetryConfig {
  metrics: MetricsConfig = new MetricsConfig();
  accessLog: AccessLogConfig = new AccessLogConfig();
  requestId: RequestIdConfig = new RequestIdConfig();
  tracing: TracingConfig = new TracingConfig();
}

/** Reads the whole configuration; check `cfg.ok` afterwards. */
export function readTelemetryConfig(cfg: ConfigReader): TelemetryConfig {
  const out = new TelemetryConfig();
  readMetrics(cfg.object("metrics"), out.metrics);
  readAccessLog(cfg.object("access_log"), out.accessLog);
  readRequestId(cfg.object("request_id"), out.requestId);
  readTracing(cfg.object("tracing"), out.tracing);
  cfg.unknownKeys(["metrics", "access_log", "request_id", "tracing"]);
  return out;
}

function readMetrics(cfg: ConfigReader, m: MetricsConfig): void {
  m.enabled = cfg.bool("enabled", true);
  m.istio = cfg.oneOf("naming", ["meshwasm", "istio"], "meshwasm") == "istio";
  const prefix = cfg.optionalString("prefix");
  if (prefix !== null) {
    if (!isMetricName(prefix)) cfg.fail("prefix", quote(prefix) + " is not a metric name ([a-zA-Z_][a-zA-Z0-9_]*, at most 64)");
    else if (m.istio) cfg.fail("prefix", quote(prefix) + ": the prefix is istio when naming is istio");
    else m.prefix = prefix;
  }
  m.codeClass = cfg.oneOf("code", ["code", "class"], "code") == "class";
  m.labels = cfg.stringArray("labels", ["code", "method", "route", "cluster"]);
  const known = ["code", "method", "route", "cluster"];
  for (let i = 0; i < m.labels.length; i++) {
    const path = "labels[" + i.toString() + "]";
    if (!known.includes(m.labels[i])) cfg.fail(path, quote(m.labels[i]) + " is not one of " + known.join(", "));
    for (let j = 0; j < i; j++) if (m.labels[j] == m.labels[i]) cfg.fail(path, quote(m.labels[i]) + " is listed twice");
  }
  m.staticLabels = cfg.stringMap("static_labels");
  const keys = m.staticLabels.keys();
  if (keys.length > 8) cfg.fail("static_labels", "at most 8 static labels");
  for (let i = 0; i < keys.length; i++) {
    const path = "static_labels." + keys[i];
    if (!isMetricName(keys[i]) || keys[i].startsWith("__")) {
      cfg.fail(path, "the name is not a Prometheus label name");
    } else if (reservedLabel(keys[i], m.istio)) {
      cfg.fail(path, "the name is one of the filter's own labels");
    }
    if (m.staticLabels.get(keys[i]).length > 64) cfg.fail(path, "a value is at most 64 characters");
  }
  m.methods = boundedList(cfg, "methods", DEFAULT_METHODS);
  m.routes = boundedList(cfg, "routes", []);
  m.routeLimit = <i32>cfg.integer("route_limit", 100, 1, 10000);
  m.clusters = boundedList(cfg, "clusters", []);
  m.clusterLimit = <i32>cfg.integer("cluster_limit", 100, 1, 10000);
  const buckets = cfg.object("buckets");
  m.durationBuckets = readBuckets(buckets, "duration_ms", DEFAULT_DURATION_BUCKETS);
  m.requestBuckets = readBuckets(buckets, "request_bytes", DEFAULT_SIZE_BUCKETS);
  m.responseBuckets = readBuckets(buckets, "response_bytes", DEFAULT_SIZE_BUCKETS);
  buckets.unknownKeys(["duration_ms", "request_bytes", "response_bytes"]);
  cfg.unknownKeys([
    "enabled",
    "naming",
    "prefix",
    "code",
    "labels",
    "static_labels",
    "methods",
    "routes",
    "route_limit",
    "clusters",
    "cluster_limit",
    "buckets",
  ]);
}

function readAccessLog(cfg: ConfigReader, a: AccessLogConfig): void {
  a.enabled = cfg.bool("enabled", true);
  a.level = <LogLevel>LEVELS.indexOf(cfg.oneOf("level", LEVELS, "info"));
  const fields = cfg.stringArray("fields", LOG_FIELDS);
  for (let i = 0; i < LOG_FIELDS.length; i++) a.fields.push(false);
  for (let i = 0; i < fields.length; i++) {
    const at = LOG_FIELDS.indexOf(fields[i]);
    if (at < 0) {
      cfg.fail("fields[" + i.toString() + "]", quote(fields[i]) + " is not a field (" + LOG_FIELDS.join(", ") + ")");
    } else a.fields[at] = true;
  }
  a.requestHeaders = headerList(cfg, "request_headers", []);
  a.responseHeaders = headerList(cfg, "response_headers", []);
  a.redact = headerList(cfg, "redact", ["authorization", "cookie", "set-cookie", "proxy-authorization"]);
  a.samplePercent = cfg.number("sample_percent", 100, 0, 100);
  const statuses = cfg.stringArray("statuses", []);
  for (let i = 0; i < statuses.length; i++) {
    const s = statuses[i];
    const path = "statuses[" + i.toString() + "]";
    if (s.length == 3 && s.charCodeAt(1) == 0x78 && s.charCodeAt(2) == 0x78 && isDigitIn(s.charCodeAt(0), 1, 5)) {
      a.statusClasses.push(s.charCodeAt(0) - 0x30);
    } else if (s.length == 3 && isDigitIn(s.charCodeAt(0), 1, 5) && isDigitIn(s.charCodeAt(1), 0, 9) && isDigitIn(s.charCodeAt(2), 0, 9)) {
      a.statusCodes.push(<i32>I32.parseInt(s));
    } else if (s == "0") {
      a.statusCodes.push(0);
    } else {
      cfg.fail(path, quote(s) + " is not a status (\"503\"), a class (\"5xx\") or \"0\"");
    }
  }
  a.filterStateKey = cfg.string("filter_state_key", "meshwasm.access_log");
  if (!isStateKey(a.filterStateKey)) {
    cfg.fail("filter_state_key", quote(a.filterStateKey) + " is not a key (letters, digits, . _ -; 1..128)");
  }
  cfg.unknownKeys([
    "enabled",
    "level",
    "fields",
    "request_headers",
    "response_headers",
    "redact",
    "sample_percent",
    "statuses",
    "filter_state_key",
  ]);
}

function readRequestId(cfg: ConfigReader, r: RequestIdConfig): void {
  r.header = cfg.headerName("header", "x-request-id");
  r.generate = cfg.oneOf("generate", ["missing", "always", "never"], "missing");
  r.echo = cfg.bool("echo", false);
  cfg.unknownKeys(["header", "generate", "echo"]);
}

function readTracing(cfg: ConfigReader, t: TracingConfig): void {
  t.enabled = cfg.bool("enabled", true);
  t.b3 = cfg.bool("accept_b3", false);
  t.samplePercent = cfg.number("sample_percent", 100, 0, 100);
  cfg.unknownKeys(["enabled", "accept_b3", "sample_percent"]);
}

// A list of label values: at most MAX_LIST strings of 1..64 characters, no duplicates.
function boundedList(cfg: ConfigReader, path: string, def: string[]): string[] {
  const list = cfg.stringArray(path, def);
  if (list.length > MAX_LIST) cfg.fail(path, "at most " + MAX_LIST.toString() + " values");
  for (let i = 0; i < list.length && i < MAX_LIST; i++) {
    const item = path + "[" + i.toString() + "]";
    if (list[i].length == 0 || list[i].length > 64) cfg.fail(item, quote(list[i]) + " must be 1..64 characters");
    for (let j = 0; j < i; j++) if (list[j] == list[i]) cfg.fail(item, quote(list[i]) + " is listed twice");
  }
  return list;
}

function headerList(cfg: ConfigReader, path: string, def: string[]): string[] {
  const given = cfg.raw(path);
  if (given === null || given.isNull) return def;
  const raw = cfg.stringArray(path, []);
  if (raw.length > 64) cfg.fail(path, "at most 64 headers");
  const out = new Array<string>();
  for (let i = 0; i < raw.length && i < 64; i++) {
    const name = cfg.headerName(path + "[" + i.toString() + "]", null, Protected.Allow);
    if (out.includes(name)) cfg.fail(path + "[" + i.toString() + "]", quote(name) + " is listed twice");
    else out.push(name);
  }
  return out;
}

function readBuckets(cfg: ConfigReader, path: string, def: f64[]): f64[] {
  const raw: JsonValue | null = cfg.raw(path);
  if (raw === null || raw.isNull) return def.slice(0);
  const arr = raw.asArray();
  if (arr === null) {
    cfg.fail(path, "expected an array of numbers");
    return def.slice(0);
  }
  const items = arr.items;
  if (items.length == 0 || items.length > MAX_BUCKETS) {
    cfg.fail(path, "between 1 and " + MAX_BUCKETS.toString() + " bucket bounds");
    return def.slice(0);
  }
  const out = new Array<f64>();
  for (let i = 0; i < items.length; i++) {
    const n = items[i].asNumber();
    const item = path + "[" + i.toString() + "]";
    if (n === null) {
      cfg.fail(item, "expected a number");
      continue;
    }
    if (!(n.value > 0) || n.value > 1e15) {
      cfg.fail(item, n.value.toString() + " is out of range (0, 1e15]");
    } else if (out.includes(n.value)) {
      cfg.fail(item, n.value.toString() + " is listed twice");
    }
    out.push(n.value);
  }
  // Bounds may come in any order (Envoy takes them sorted).
  out.sort((a: f64, b: f64): i32 => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

function reservedLabel(name: string, istio: bool): bool {
  if (name == "label" || name == "reason" || name == "result") return true;
  return istio
    ? name == "response_code" || name == "request_method" || name == "route_name" || name == "upstream_cluster"
    : name == "code" || name == "code_class" || name == "method" || name == "route" || name == "cluster";
}

function isMetricName(s: string): bool {
  if (s.length == 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || (i > 0 && c >= 0x30 && c <= 0x39);
    if (!ok) return false;
  }
  return true;
}

function isStateKey(s: string): bool {
  if (s.length == 0 || s.length > 128) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2e || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

function isDigitIn(c: i32, lo: i32, hi: i32): bool {
  return c >= 0x30 + lo && c <= 0x30 + hi;
}

function quote(s: string): string {
  let out = "\"";
  const n = min(s.length, 60);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    out += c < 0x20 || c == 0x22 || c == 0x5c ? "\\u" + c.toString(16).padStart(4, "0") : String.fromCharCode(c);
  }
  return out + (s.length > 60 ? "...\"" : "\"");
}
