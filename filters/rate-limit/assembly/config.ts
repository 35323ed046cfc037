// The rate-limit filter's configuration: read once in onConfigure into immutable classes.
// Every mistake is recorded with its field path and value (the ConfigReader's style); the
// caller logs them and refuses the plugin. schema.json describes the same shape.

import { ConfigReader } from "../../../assembly";
import { describeJson } from "../../../assembly/json";
import { Limit, LimitKind, LIMIT_MAX_AMOUNT, LIMIT_MAX_INTERVAL_MS, limitsSignature } from "../../lib/bucket";
import { readStringMatcher, StringMatcher } from "../../lib/matchers";

export enum SourceKind {
  Header = 0,
  ClientAddress = 1,
  Path = 2,
  Method = 3,
  Query = 4,
  Cookie = 5,
  Constant = 6,
}

/** One part of a key. */
export class KeySource {
  constructor(
    public readonly kind: SourceKind,
    /** Header, query parameter or cookie name; the constant's value. */
    public readonly name: string,
    /** Client address: X-Forwarded-For hop counted from the right (0 = the socket's peer).
     *  Path: leading segments kept (0 = the whole path without the query). */
    public readonly count: i32,
    /** The descriptor entry's key in cluster mode (`descriptor_key`, or the source's default). */
    public readonly descriptorKey: string,
  ) {}
}

/** Limits for the key values an override matches. */
export class Override {
  constructor(
    public readonly matcher: StringMatcher,
    public readonly limits: Limit[],
    public readonly signature: u32,
    /** One bucket for every value it matches (instead of one per value). */
    public readonly sharedBucket: bool,
    public readonly index: i32,
  ) {}
}

/** Where a rule's limits are kept. */
export enum RuleMode {
  /** Shared data of this Envoy process. */
  Local = 0,
  /** The rate limit service (one descriptor per request). */
  Cluster = 1,
  /** The local limits first; what they admit is then asked of the service. */
  LocalAndCluster = 2,
}

export class Rule {
  constructor(
    public readonly name: string,
    public readonly sources: KeySource[],
    public readonly limits: Limit[],
    public readonly signature: u32,
    public readonly overrides: Override[],
    public readonly sharedBucket: bool,
    /** When a key part is missing: false skips the rule, true uses one shared bucket. */
    public readonly missingShared: bool,
    public readonly cost: i64,
    /** Header carrying the cost ("" = none); invalid or larger values cost `maxCost`. */
    public readonly costHeader: string,
    public readonly maxCost: i64,
    public readonly shadow: bool,
    public readonly maxKeys: i32,
    public readonly idleMs: i64,
    public readonly mode: RuleMode,
    /** The descriptor entries' keys, UTF-8 (cluster modes). */
    public readonly descriptorKeys: ArrayBuffer[],
  ) {}
}

/** The rate limit service the cluster modes ask. */
export class ServiceConfig {
  constructor(
    /** Envoy's cluster of the service (HTTP/2). */
    public readonly cluster: string,
    public readonly domain: ArrayBuffer,
    public readonly timeoutMs: u32,
    /** When the service fails, times out or answers nonsense: refuse (true) or admit. */
    public readonly denyOnError: bool,
    public readonly errorStatus: u32,
  ) {}
}

export enum HeaderStyle {
  None = 0,
  Ietf = 1,
  XRateLimit = 2,
}

export class Config {
  constructor(
    public readonly rules: Rule[],
    public readonly status: u32,
    public readonly body: string,
    public readonly headerStyle: HeaderStyle,
    public readonly headersOnAllowed: bool,
    public readonly retryAfter: bool,
    public readonly envoyRatelimited: bool,
    public readonly grpcResourceExhausted: bool,
    public readonly casAttempts: i32,
    public readonly denyOnCasExhausted: bool,
    public readonly ways: i32,
    public readonly sweepIntervalMs: u32,
    public readonly service: ServiceConfig | null,
    /** Tokens a worker's lease takes at most (`shared.lease`; 0: every decision writes). */
    public readonly leaseMax: i64 = 0,
  ) {}
}

const TOP_KEYS = ["rules", "response", "shared", "service"];
const RULE_KEYS = ["name", "key", "limits", "overrides", "bucket", "missing", "cost", "shadow", "max_keys", "idle_timeout", "mode"];
const SERVICE_KEYS = ["cluster", "domain", "timeout", "on_error", "error_status"];
const MODES = ["local", "cluster", "local_and_cluster"];
/** Rule fields that describe local buckets: not used by a rule in cluster mode. */
const LOCAL_ONLY = ["limits", "overrides", "bucket", "max_keys", "idle_timeout"];
const SOURCE_KEYS = ["header", "identity_header", "client_address", "path", "method", "query", "cookie", "constant"];
const PART_KEYS = SOURCE_KEYS.concat(["descriptor_key"]);
const RESPONSE_KEYS = ["status", "body", "headers", "headers_on_allowed", "retry_after", "x_envoy_ratelimited", "grpc_resource_exhausted"];
const SHARED_KEYS = ["cas_attempts", "on_cas_exhausted", "ways", "sweep_interval", "lease"];
const LIMIT_KEYS = ["token_bucket", "window"];
const UNITS = ["second", "minute", "hour", "day"];
const UNIT_MS: i64[] = [1000, 60_000, 3_600_000, 86_400_000];

/** Reads the whole configuration; null when anything is wrong (the errors are in `cfg`). */
export function readRateLimitConfig(cfg: ConfigReader): Config | null {
  cfg.unknownKeys(TOP_KEYS);
  const shared = cfg.object("shared");
  shared.unknownKeys(SHARED_KEYS);
  const casAttempts = <i32>shared.integer("cas_attempts", 16, 1, 1000);
  const denyOnCas = shared.oneOf("on_cas_exhausted", ["allow", "deny"], "deny") == "deny";
  const ways = <i32>shared.integer("ways", 8, 1, 64);
  const sweep = <u32>readDuration(shared, "sweep_interval", 1000, 100, 3_600_000);
  const lease = shared.integer("lease", 0, 0, 1_000_000);

  const response = cfg.object("response");
  response.unknownKeys(RESPONSE_KEYS);
  const status = <u32>response.integer("status", 429, 400, 599);
  const body = response.string("body", "rate limited\n");
  if (body.length > 4096) response.fail("body", "at most 4096 characters, got " + body.length.toString());
  const style = response.oneOf("headers", ["none", "ietf", "x-ratelimit"], "none");
  const headerStyle = style == "ietf" ? HeaderStyle.Ietf : style == "x-ratelimit" ? HeaderStyle.XRateLimit : HeaderStyle.None;
  const onAllowed = response.bool("headers_on_allowed", false);
  const retryAfter = response.bool("retry_after", true);
  const envoyRatelimited = response.bool("x_envoy_ratelimited", true);
  const grpc = response.bool("grpc_resource_exhausted", true);

  const rules: Rule[] = [];
  const ruleReaders = cfg.array("rules", true);
  if (cfg.has("rules") && ruleReaders.length == 0 && cfg.ok) cfg.fail("rules", "needs at least one rule");
  if (ruleReaders.length > 64) cfg.fail("rules", "at most 64 rules, got " + ruleReaders.length.toString());
  const names = new Set<string>();
  for (let i = 0; i < ruleReaders.length && i < 64; i++) {
    const rule = readRule(unchecked(ruleReaders[i]));
    if (rule === null) continue;
    if (names.has(rule.name)) {
      unchecked(ruleReaders[i]).fail("name", "duplicate rule name " + describeJson(unchecked(ruleReaders[i]).raw("name")!));
      continue;
    }
    names.add(rule.name);
    rules.push(rule);
  }
  let clusterRules = 0;
  for (let i = 0; i < rules.length; i++) if (unchecked(rules[i]).mode != RuleMode.Local) clusterRules++;
  let service: ServiceConfig | null = null;
  if (cfg.has("service")) {
    service = readService(cfg.object("service"));
    if (clusterRules == 0 && cfg.ok) cfg.fail("service", "no rule uses it (set a rule's mode to \"cluster\" or \"local_and_cluster\")");
  } else if (clusterRules > 0 && cfg.ok) {
    cfg.fail("service", "required when a rule's mode is \"cluster\" or \"local_and_cluster\"");
  }
  if (!cfg.ok) return null;
  return new Config(rules, status, body, headerStyle, onAllowed, retryAfter, envoyRatelimited, grpc, casAttempts, denyOnCas, ways, sweep, service, lease);
}

function readService(s: ConfigReader): ServiceConfig {
  s.unknownKeys(SERVICE_KEYS);
  const cluster = s.string("cluster");
  if (s.has("cluster") && s.raw("cluster")!.asString() !== null && !printableName(cluster, 255)) {
    s.fail("cluster", "an Envoy cluster name: 1 to 255 printable characters without spaces, got " + describeJson(s.raw("cluster")!));
  }
  const domain = s.string("domain");
  if (s.has("domain") && s.raw("domain")!.asString() !== null && !printableName(domain, 255)) {
    s.fail("domain", "1 to 255 printable characters without spaces, got " + describeJson(s.raw("domain")!));
  }
  const timeout = <u32>readDuration(s, "timeout", 100, 1, 60_000);
  const deny = s.oneOf("on_error", ["allow", "deny"], "allow") == "deny";
  const errorStatus = <u32>s.integer("error_status", 500, 400, 599);
  return new ServiceConfig(cluster, String.UTF8.encode(domain), timeout, deny, errorStatus);
}

// 1 to `max` characters from '!' to '~'.
function printableName(v: string, max: i32): bool {
  const n = v.length;
  if (n == 0 || n > max) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

function readRule(r: ConfigReader): Rule | null {
  r.unknownKeys(RULE_KEYS);
  const before = r.allErrors.length;
  const name = r.string("name");
  if (r.has("name") && r.allErrors.length == before && !validName(name)) {
    r.fail("name", "1 to 40 of a-z, 0-9 and - (it names the rule's metrics), got " + describeJson(r.raw("name")!));
  }
  const modeName = r.oneOf("mode", MODES, "local");
  const mode = modeName == "cluster" ? RuleMode.Cluster : modeName == "local_and_cluster" ? RuleMode.LocalAndCluster : RuleMode.Local;
  if (mode == RuleMode.Cluster) {
    for (let i = 0; i < LOCAL_ONLY.length; i++) {
      const k = unchecked(LOCAL_ONLY[i]);
      if (r.has(k)) r.fail(k, "not used in cluster mode (the rate limit service's configuration holds the limits)");
    }
  }
  const sources = readSources(r, mode != RuleMode.Local);
  const limits = mode == RuleMode.Cluster ? new Array<Limit>() : readLimits(r, "limits");
  const overrides: Override[] = [];
  const overrideReaders = r.array("overrides");
  if (overrideReaders.length > 32) r.fail("overrides", "at most 32, got " + overrideReaders.length.toString());
  for (let i = 0; i < overrideReaders.length && i < 32; i++) {
    const o = unchecked(overrideReaders[i]);
    o.unknownKeys(["value", "limits", "bucket"]);
    const matcher = readStringMatcher(o, "value");
    const ol = readLimits(o, "limits");
    const ob = o.oneOf("bucket", ["per_value", "shared"], "per_value") == "shared";
    if (matcher !== null) overrides.push(new Override(matcher, ol, limitsSignature(ol), ob, i));
  }
  const sharedBucket = r.oneOf("bucket", ["per_value", "shared"], "per_value") == "shared";
  const missingShared = r.oneOf("missing", ["skip", "shared"], "skip") == "shared";
  if (missingShared && mode == RuleMode.Cluster) r.fail("missing", "\"shared\" needs local limits; in cluster mode a request missing a key part skips the rule");
  let cost: i64 = 1;
  let costHeader = "";
  let maxCost: i64 = LIMIT_MAX_AMOUNT;
  const rawCost = r.raw("cost");
  if (rawCost !== null && rawCost.asObject() !== null) {
    const c = r.object("cost");
    c.unknownKeys(["header", "default", "max"]);
    costHeader = c.headerName("header");
    cost = c.integer("default", 1, 0, LIMIT_MAX_AMOUNT);
    maxCost = c.integer("max", 1000, 1, LIMIT_MAX_AMOUNT);
    if (cost > maxCost) c.fail("default", "must not exceed max (" + maxCost.toString() + "), got " + cost.toString());
  } else {
    cost = r.integer("cost", 1, 0, LIMIT_MAX_AMOUNT);
  }
  const shadow = r.bool("shadow", false);
  const maxKeys = <i32>r.integer("max_keys", 10000, 1, 1_000_000);
  // Keys may leave only once their buckets are back to full (then forgetting them changes
  // nothing): the idle timeout is at least the slowest limit's recovery time.
  let recovery = recoveryMs(limits);
  for (let i = 0; i < overrides.length; i++) recovery = max(recovery, recoveryMs(unchecked(overrides[i]).limits));
  const idle = readDuration(r, "idle_timeout", max(recovery, 1000), 1000, LIMIT_MAX_INTERVAL_MS * 2);
  if (r.has("idle_timeout") && idle < recovery && r.allErrors.length == before) {
    r.fail("idle_timeout", "must be at least the time the rule's limits take to recover fully (" + recovery.toString() + "ms), got " + describeJson(r.raw("idle_timeout")!));
  }
  if (r.allErrors.length > before) return null;
  const descriptorKeys: ArrayBuffer[] = [];
  for (let i = 0; i < sources.length; i++) descriptorKeys.push(String.UTF8.encode(unchecked(sources[i]).descriptorKey));
  return new Rule(name, sources, limits, limitsSignature(limits), overrides, sharedBucket, missingShared, cost, costHeader, maxCost, shadow, maxKeys, idle, mode, descriptorKeys);
}

function validName(name: string): bool {
  const n = name.length;
  if (n == 0 || n > 40) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d)) return false;
  }
  return true;
}

function readSources(r: ConfigReader, cluster: bool): KeySource[] {
  const out: KeySource[] = [];
  const items = r.array("key", true);
  if (r.has("key") && items.length == 0 && r.raw("key")!.asArray() !== null) r.fail("key", "needs at least one key source");
  if (items.length > 8) r.fail("key", "at most 8 key sources, got " + items.length.toString());
  for (let i = 0; i < items.length && i < 8; i++) {
    const s = unchecked(items[i]);
    s.unknownKeys(PART_KEYS);
    let descriptorKey = "";
    if (s.has("descriptor_key")) {
      descriptorKey = s.string("descriptor_key");
      if (!cluster) s.fail("descriptor_key", "only for a rule in cluster mode (\"mode\": \"cluster\" or \"local_and_cluster\")");
      else if (s.raw("descriptor_key")!.asString() !== null && (descriptorKey.length == 0 || descriptorKey.length > 256)) {
        s.fail("descriptor_key", "1 to 256 characters, got " + describeJson(s.raw("descriptor_key")!));
      }
    }
    let chosen = "";
    for (let k = 0; k < SOURCE_KEYS.length; k++) {
      const key = unchecked(SOURCE_KEYS[k]);
      if (!s.has(key)) continue;
      if (chosen.length > 0) s.fail(key, "only one source per key part (" + chosen + " is set too)");
      chosen = key;
    }
    if (chosen.length == 0) {
      r.fail("key[" + i.toString() + "]", "needs one of " + SOURCE_KEYS.join(", "));
      continue;
    }
    if (chosen == "header" || chosen == "identity_header") {
      const header = s.headerName(chosen, null);
      out.push(new KeySource(SourceKind.Header, header, 0, or(descriptorKey, header)));
    } else if (chosen == "client_address") {
      const c = s.object(chosen, true);
      c.unknownKeys(["xff_trusted_hops"]);
      out.push(new KeySource(SourceKind.ClientAddress, "", <i32>c.integer("xff_trusted_hops", 0, 0, 16), or(descriptorKey, "remote_address")));
    } else if (chosen == "path") {
      const c = s.object(chosen, true);
      c.unknownKeys(["segments"]);
      out.push(new KeySource(SourceKind.Path, "", <i32>c.integer("segments", 0, 0, 32), or(descriptorKey, "path")));
    } else if (chosen == "method") {
      const v = s.raw("method")!;
      if (v.asBool() === null || !v.asBool()!.value) s.fail("method", "expected true, got " + describeJson(v));
      out.push(new KeySource(SourceKind.Method, "", 0, or(descriptorKey, "method")));
    } else if (chosen == "query" || chosen == "cookie") {
      const name = s.string(chosen);
      if (name.length == 0 || name.length > 256) s.fail(chosen, "a name of 1 to 256 characters, got " + describeJson(s.raw(chosen)!));
      out.push(new KeySource(chosen == "query" ? SourceKind.Query : SourceKind.Cookie, name, 0, or(descriptorKey, name)));
    } else {
      const value = s.string("constant");
      if (value.length > 256) s.fail("constant", "at most 256 characters, got " + value.length.toString());
      out.push(new KeySource(SourceKind.Constant, value, 0, or(descriptorKey, "generic_key")));
    }
  }
  return out;
}

// The configured descriptor key, else the source's default.
function or(given: string, fallback: string): string {
  return given.length > 0 ? given : fallback;
}

function readLimits(r: ConfigReader, key: string): Limit[] {
  const out: Limit[] = [];
  const items = r.array(key, true);
  if (r.has(key) && items.length == 0 && r.raw(key)!.asArray() !== null) r.fail(key, "needs at least one limit");
  if (items.length > 4) r.fail(key, "at most 4 limits, got " + items.length.toString());
  for (let i = 0; i < items.length && i < 4; i++) {
    const l = unchecked(items[i]);
    l.unknownKeys(LIMIT_KEYS);
    if (l.has("token_bucket") == l.has("window")) {
      r.fail(key + "[" + i.toString() + "]", "needs exactly one of token_bucket, window");
      continue;
    }
    if (l.has("token_bucket")) {
      const b = l.object("token_bucket", true);
      b.unknownKeys(["capacity", "tokens_per_fill", "fill_interval"]);
      const capacity = b.requiredInteger("capacity", 1, LIMIT_MAX_AMOUNT);
      const perFill = b.integer("tokens_per_fill", 1, 1, LIMIT_MAX_AMOUNT);
      const interval = readDuration(b, "fill_interval", -1, 50, LIMIT_MAX_INTERVAL_MS);
      out.push(new Limit(LimitKind.TokenBucket, capacity, interval, perFill));
    } else {
      const w = l.object("window", true);
      w.unknownKeys(["requests", "per", "sliding"]);
      const requests = w.requiredInteger("requests", 0, LIMIT_MAX_AMOUNT);
      const per = w.oneOf("per", UNITS);
      const sliding = w.bool("sliding", false);
      const ms = per.length > 0 ? unchecked(UNIT_MS[UNITS.indexOf(per)]) : 1000;
      out.push(new Limit(sliding ? LimitKind.SlidingWindow : LimitKind.FixedWindow, requests, ms, 0));
    }
  }
  return out;
}

/** A duration "250ms", "1s", "5m", "2h" at `key` in milliseconds; `def` < 0 makes it required. */
function readDuration(r: ConfigReader, key: string, def: i64, minMs: i64, maxMs: i64): i64 {
  const raw = r.raw(key);
  if (raw === null || (raw.isNull && def >= 0)) {
    if (def < 0) r.fail(key, "required field missing");
    return def < 0 ? minMs : def;
  }
  const text = raw.asString();
  const ms = text === null ? -1 : parseDuration(text.value);
  if (ms < 0) {
    r.fail(key, "expected a duration such as \"500ms\", \"1s\", \"5m\" or \"1h\", got " + describeJson(raw));
    return minMs;
  }
  if (ms < minMs || ms > maxMs) {
    r.fail(key, describeJson(raw) + " is out of range " + minMs.toString() + "ms to " + maxMs.toString() + "ms");
    return minMs;
  }
  return ms;
}

/** "250ms", "1s", "5m", "2h", "1d" in milliseconds; -1 when malformed. */
export function parseDuration(text: string): i64 {
  const n = text.length;
  let i = 0;
  let value: i64 = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
    if (value > 1_000_000_000_000) return -1;
    i++;
  }
  if (i == 0) return -1;
  const unit = text.substring(i);
  if (unit == "ms") return value;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60_000;
  if (unit == "h") return value * 3_600_000;
  if (unit == "d") return value * 86_400_000;
  return -1;
}

function recoveryMs(limits: Limit[]): i64 {
  let worst: i64 = 0;
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    let t: i64;
    if (l.kind == LimitKind.TokenBucket) t = ((l.capacity + l.perFill - 1) / l.perFill) * l.intervalMs;
    else if (l.kind == LimitKind.FixedWindow) t = l.intervalMs;
    else t = 2 * l.intervalMs;
    if (t > worst) worst = t;
  }
  return worst;
}
