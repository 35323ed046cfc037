// rate-limit: token buckets and fixed or sliding windows per key, exact across Envoy's workers
// (every decision is a compare-and-swap on shared data), with a bounded key space.
//
// Configuration: see ../README.md and ../schema.json. Parsed once in onConfigure.

import {
  Action,
  CallbackNeeds,
  Counter,
  Gauge,
  GrpcStatus,
  Header,
  HttpContext,
  LogLevel,
  RootContext,
  currentTimeMillis,
  grpcReceiveBuffer,
  log,
  readConfig,
  registerRootContext,
  StreamCallbacks,
  taggedName,
} from "../../../assembly";
import { Decision, bucketKey, ceilSeconds } from "../../lib/bucket";
import { SharedBuckets, TakeOutcome } from "../../lib/shared-buckets";
import { Config, HeaderStyle, Override, Rule, RuleMode, SourceKind, readRateLimitConfig } from "./config";
import { keyPart } from "./keys";
import { CODE_OK, CODE_OVER_LIMIT, decodeResponse, Descriptor, DescriptorStatus, encodeRequest, METHOD, SERVICE, unitMs } from "./rls";

export * from "../../../assembly/exports"; // the host's entry points: always re-export them

/** One rule's metrics: `ratelimit_<what>_rule=<name>` (envoy.yaml's stats_tags make `rule` a tag). */
class RuleStats {
  allowed: Counter;
  limited: Counter;
  shadowLimited: Counter;
  casRetries: Counter;
  casExhausted: Counter;
  keysLive: Gauge;
  keysEvicted: Counter;
  rlsErrors: Counter;

  constructor(rule: string) {
    const tag = ["rule", rule];
    this.allowed = new Counter(taggedName("ratelimit_allowed", tag));
    this.limited = new Counter(taggedName("ratelimit_limited", tag));
    this.shadowLimited = new Counter(taggedName("ratelimit_shadow_limited", tag));
    this.casRetries = new Counter(taggedName("ratelimit_cas_retries", tag));
    this.casExhausted = new Counter(taggedName("ratelimit_cas_exhausted", tag));
    this.keysLive = new Gauge(taggedName("ratelimit_keys_live", tag));
    this.keysEvicted = new Counter(taggedName("ratelimit_keys_evicted", tag));
    this.rlsErrors = new Counter(taggedName("ratelimit_rls_errors", tag));
  }
}

// Tags of the stored key form: one bucket per value, per override, for missing keys, per rule.
const TAG_VALUE: u8 = 0;
const TAG_OVERRIDE: u8 = 1;
const TAG_MISSING: u8 = 2;
const TAG_RULE: u8 = 3;
// The stored keys that do not depend on the request (each rule has its own table).
const KEY_MISSING = tagged(TAG_MISSING, 0);
const KEY_RULE = tagged(TAG_RULE, 0);

class Root extends RootContext {
  config: Config | null = null;
  /** Each rule's buckets in shared data (null for a rule in cluster mode). */
  tables: (SharedBuckets | null)[] = [];
  stats: RuleStats[] = [];
  /** Sets each table sweeps per tick: the whole table once per idle timeout. */
  sweepSets: u32[] = [];
  /** Each local rule's stored key when it is the same for every request (a key of constants
   *  only, no overrides), else null: such a rule reads nothing of the request for its key. */
  fixedKeys: (ArrayBuffer | null)[] = [];
  /** Each rule's stored keys of its shared-bucket overrides, by override index. */
  overrideKeys: ArrayBuffer[][] = [];
  /** Each rule's requests admitted from leases and not yet in its `allowed` counter (added
   *  with the rule's next counted decision or on the tick: one host call fewer per request). */
  uncounted: i64[] = [];
  /** Whether decisions may come from leases: `shared.lease` set and no rate-limit headers
   *  (a lease knows only its own tokens, not the bucket's remaining count). */
  leases: bool = false;
  // Per-request scratch (a VM runs one callback at a time).
  decision: Decision = new Decision();
  outcome: TakeOutcome = new TakeOutcome();
  /** The descriptors for the rate limit service and one rule's key values, emptied per use. */
  descriptors: Descriptor[] = [];
  keyValues: string[] = [];
  /** The key values of a rule with a fixed key (never read: LocalAndCluster rules have none). */
  noValues: string[] = [];

  onConfigure(configurationSize: u32): bool {
    const reader = readConfig(this.pluginConfiguration());
    const config = readRateLimitConfig(reader);
    if (config === null) {
      const errors = reader.allErrors;
      for (let i = 0; i < errors.length; i++) log.error(unchecked(errors[i]));
      return false;
    }
    const tables: (SharedBuckets | null)[] = [];
    const stats: RuleStats[] = [];
    const sweepSets: u32[] = [];
    const fixedKeys: (ArrayBuffer | null)[] = [];
    const overrideKeys: ArrayBuffer[][] = [];
    for (let i = 0; i < config.rules.length; i++) {
      const rule = unchecked(config.rules[i]);
      stats.push(new RuleStats(rule.name));
      const keys: ArrayBuffer[] = [];
      for (let o = 0; o < rule.overrides.length; o++) keys.push(tagged(TAG_OVERRIDE, unchecked(rule.overrides[o]).index));
      overrideKeys.push(keys);
      fixedKeys.push(rule.mode == RuleMode.Local ? fixedKey(rule) : null);
      if (rule.mode == RuleMode.Cluster) {
        tables.push(null);
        sweepSets.push(0);
        continue;
      }
      const table = new SharedBuckets("ratelimit/" + rule.name, rule.maxKeys, config.ways, rule.idleMs, config.casAttempts, config.leaseMax);
      tables.push(table);
      const sets = table.sets;
      const perTick = (<i64>sets * <i64>config.sweepIntervalMs + rule.idleMs - 1) / rule.idleMs;
      sweepSets.push(<u32>max<i64>(16, perTick));
    }
    this.config = config;
    this.tables = tables;
    this.stats = stats;
    this.sweepSets = sweepSets;
    this.fixedKeys = fixedKeys;
    this.overrideKeys = overrideKeys;
    const uncounted: i64[] = [];
    for (let i = 0; i < config.rules.length; i++) uncounted.push(0);
    this.uncounted = uncounted;
    this.leases = config.leaseMax > 0 && config.headerStyle == HeaderStyle.None;
    this.setTickPeriod(config.sweepIntervalMs);
    log.info("rate-limit configured: {} rule(s)", config.rules.length.toString());
    return true;
  }

  // A request limited locally is decided in its headers and leaves nothing in its context:
  // no proxy_on_delete. The context lives on only to write the rate-limit headers on an
  // admitted response, or while the rate limit service's answer is awaited.
  neededCallbacks(needs: CallbackNeeds): void {
    const config = this.config!;
    needs.noStreamState();
    needs.need(StreamCallbacks.RequestHeaders, "every request");
    if (config.headersOnAllowed) {
      needs.need(StreamCallbacks.ResponseHeaders | StreamCallbacks.Delete, "response.headers_on_allowed: true");
    }
    for (let i = 0; i < config.rules.length; i++) {
      const mode = unchecked(config.rules[i]).mode;
      if (mode == RuleMode.Local) continue;
      needs.need(StreamCallbacks.Delete,
        "rules[" + i.toString() + "].mode: " + (mode == RuleMode.Cluster ? "cluster" : "local_and_cluster") +
        " (the request waits for the rate limit service)");
    }
  }

  // Idle keys leave the tables a few sets at a time (every worker sweeps; a set's
  // compare-and-swap makes each removal count once).
  onTick(): void {
    const now = <i64>currentTimeMillis();
    for (let i = 0; i < this.tables.length; i++) {
      this.count(i, 0);
      const table = unchecked(this.tables[i]);
      if (table === null) continue;
      // Unused leased tokens go back to their buckets at the latest on the next tick.
      table.returnLeases(now);
      const removed = table.sweep(now, unchecked(this.sweepSets[i]));
      if (removed > 0) unchecked(this.stats[i]).keysLive.add(-removed);
    }
  }

  /** Adds `n` admitted requests and those admitted from leases since to rule `i`'s counter. */
  count(i: i32, n: i64): void {
    const total = n + unchecked(this.uncounted[i]);
    if (total == 0) return;
    unchecked((this.uncounted[i] = 0));
    unchecked(this.stats[i]).allowed.increment(total);
  }

  createHttpContext(contextId: u32): HttpContext | null {
    if (this.config === null) return null;
    return new RateLimit(contextId, this);
  }
}

class RateLimit extends HttpContext {
  // The outcome the response headers describe (fields, not an object: one allocation less
  // per stream).
  reportedRule: string = "";
  reportedLimit: i64 = 0;
  reportedRemaining: i64 = 0;
  reportedResetMs: i64 = 0;
  reportedWindowMs: i64 = 0;
  reportedSet: bool = false;
  /** Rules asked of the rate limit service, in descriptor order, while its answer is awaited
   *  (made by the first ask). */
  askedRules: i32[] | null = null;
  token: u32 = 0;
  waiting: bool = false;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = this.root as Root;
    const config = root.config!;
    const now = <i64>currentTimeMillis();
    let denied = false;
    let retryMs: i64 = 0;
    const d = root.decision;
    const outcome = root.outcome;
    const descriptors = root.descriptors;
    descriptors.length = 0;
    for (let i = 0; i < config.rules.length; i++) {
      const rule = unchecked(config.rules[i]);
      const stats = unchecked(root.stats[i]);
      const fixed = unchecked(root.fixedKeys[i]);
      const values = fixed !== null ? root.noValues : this.keyValues(rule);
      const cost = this.cost(rule);
      if (rule.mode == RuleMode.Cluster) {
        if (values === null) continue;
        // Nothing to count: a request that costs nothing is admitted without asking.
        if (cost == 0) stats.allowed.increment();
        else this.ask(i, rule, values, cost, descriptors);
        continue;
      }
      // The key: the stored form and the limits that apply.
      let chosen: Override | null = null;
      let key: ArrayBuffer;
      if (fixed !== null) {
        key = fixed;
      } else if (values === null) {
        if (!rule.missingShared) continue;
        key = KEY_MISSING;
      } else {
        // The joined text only when an override may match it.
        const text = rule.overrides.length > 0 ? values.join("|") : "";
        for (let o = 0; o < rule.overrides.length; o++) {
          if (unchecked(rule.overrides[o]).matcher.matches(text)) {
            chosen = unchecked(rule.overrides[o]);
            break;
          }
        }
        if (chosen !== null && chosen.sharedBucket) key = unchecked(unchecked(root.overrideKeys[i])[chosen.index]);
        else if (chosen === null && rule.sharedBucket) key = KEY_RULE;
        else key = bucketKey(encodeValues(values));
      }
      const limits = chosen !== null ? chosen.limits : rule.limits;
      const signature = chosen !== null ? chosen.signature : rule.signature;
      unchecked(root.tables[i])!.take(key, limits, signature, cost, now, d, outcome, root.leases);
      if (outcome.casRetries > 0) stats.casRetries.increment(outcome.casRetries);
      if (outcome.inserted || outcome.expired > 0) stats.keysLive.add((outcome.inserted ? 1 : 0) - outcome.expired);
      if (outcome.evicted) stats.keysEvicted.increment();
      let allowed = d.allowed;
      if (outcome.exhausted) {
        stats.casExhausted.increment();
        allowed = !config.denyOnCasExhausted;
        d.retryAfterMs = 1000;
        d.remaining = 0;
      }
      if (allowed) {
        // The local pre-check admitted: the service decides (unless there is nothing to send).
        if (rule.mode == RuleMode.LocalAndCluster && values !== null && cost > 0) this.ask(i, rule, values, cost, descriptors);
        else if (outcome.leased) unchecked((root.uncounted[i] += 1));
        else root.count(i, 1);
      } else if (rule.shadow) {
        stats.shadowLimited.increment();
        if (log.enabled(LogLevel.Info)) log.info("rate-limit: rule {} would limit this request (shadow)", rule.name);
      } else {
        stats.limited.increment();
        denied = true;
        if (d.retryAfterMs > retryMs) retryMs = d.retryAfterMs;
      }
      if (!rule.shadow && !outcome.exhausted) this.report(rule.name, d);
    }
    if (denied) {
      // A local refusal: the service is not asked (its rules count nothing for this request).
      this.deny(config, retryMs);
      return Action.Pause;
    }
    if (descriptors.length == 0) return Action.Continue;
    const service = config.service!;
    let hits = unchecked(descriptors[0]).hits;
    for (let i = 1; i < descriptors.length; i++) if (unchecked(descriptors[i]).hits != hits) hits = 0;
    const message = encodeRequest(service.domain, descriptors, hits);
    const call = this.dispatchGrpcCall(service.cluster, SERVICE, METHOD, [], message, service.timeoutMs);
    if (!call.ok) {
      log.warn("rate-limit: could not call the rate limit service on cluster {} (status {})", service.cluster, call.status.toString());
      return this.serviceFailed() ? Action.Pause : Action.Continue;
    }
    this.token = call.token;
    this.waiting = true;
    return Action.Pause;
  }

  // Adds rule `index`'s descriptor to the request to the service.
  private ask(index: i32, rule: Rule, values: string[], cost: i64, out: Descriptor[]): void {
    const encoded: ArrayBuffer[] = [];
    for (let v = 0; v < values.length; v++) encoded.push(String.UTF8.encode(unchecked(values[v])));
    out.push(new Descriptor(rule.descriptorKeys, encoded, <u64>cost));
    this.asked.push(index);
  }

  private get asked(): i32[] {
    let asked = this.askedRules;
    if (asked === null) {
      asked = [];
      this.askedRules = asked;
    }
    return asked;
  }

  onGrpcReceive(token: u32, messageSize: u32): void {
    if (!this.waiting || token != this.token) return;
    this.waiting = false;
    const root = this.root as Root;
    const config = root.config!;
    const answer = decodeResponse(grpcReceiveBuffer.read(0, messageSize));
    const asked = this.asked;
    // Not an answer: bytes that are not a RateLimitResponse, statuses that do not match the
    // descriptors, or an overall code other than OK and OVER_LIMIT (UNKNOWN: no decision).
    if (
      answer === null ||
      (answer.statuses.length != 0 && answer.statuses.length != asked.length) ||
      (answer.overallCode != CODE_OK && answer.overallCode != CODE_OVER_LIMIT)
    ) {
      log.warn("rate-limit: the rate limit service's answer is not a RateLimitResponse for this request ({} bytes)", messageSize.toString());
      if (!this.serviceFailed()) this.continueRequest();
      return;
    }
    let denied = false;
    let retryMs: i64 = 0;
    for (let i = 0; i < asked.length; i++) {
      const rule = unchecked(config.rules[unchecked(asked[i])]);
      const stats = unchecked(root.stats[unchecked(asked[i])]);
      const status: DescriptorStatus | null = answer.statuses.length > 0 ? unchecked(answer.statuses[i]) : null;
      const over = status !== null ? status.code == CODE_OVER_LIMIT : answer.overallCode == CODE_OVER_LIMIT;
      if (!over) {
        stats.allowed.increment();
      } else if (rule.shadow) {
        stats.shadowLimited.increment();
        if (log.enabled(LogLevel.Info)) log.info("rate-limit: rule {} would limit this request (shadow)", rule.name);
      } else {
        stats.limited.increment();
        denied = true;
        const wait = status !== null && status.resetMs >= 0 ? status.resetMs : 1000;
        if (wait > retryMs) retryMs = wait;
      }
      if (!rule.shadow && status !== null && status.hasLimit) this.reportStatus(rule.name, status, root.decision);
    }
    if (denied) this.deny(config, retryMs);
    else this.continueRequest();
  }

  onGrpcClose(token: u32, statusCode: GrpcStatus): void {
    if (!this.waiting || token != this.token) return;
    this.waiting = false;
    log.warn("rate-limit: the rate limit service failed (gRPC status {})", (<i32>statusCode).toString());
    if (!this.serviceFailed()) this.continueRequest();
  }

  // The service could not decide: counted per asked rule; `service.on_error` decides. True when
  // the request was refused.
  private serviceFailed(): bool {
    const root = this.root as Root;
    const config = root.config!;
    for (let i = 0; i < this.asked.length; i++) unchecked(root.stats[unchecked(this.asked[i])]).rlsErrors.increment();
    const service = config.service!;
    if (!service.denyOnError) return false;
    const body = "rate limit service unavailable\n";
    const contentType = this.request.headers.get("content-type");
    if (config.grpcResourceExhausted && contentType !== null && contentType!.startsWith("application/grpc")) {
      this.sendLocalResponse(service.errorStatus, body, [], "rate_limiter_error", GrpcStatus.Unavailable);
    } else {
      this.sendLocalResponse(service.errorStatus, body, [new Header("content-type", "text/plain; charset=utf-8")], "rate_limiter_error");
    }
    return true;
  }

  // A service answer's limit as the headers describe it.
  private reportStatus(rule: string, status: DescriptorStatus, d: Decision): void {
    const window = unitMs(status.unit);
    d.limit = <i64>status.requestsPerUnit;
    d.remaining = <i64>status.limitRemaining;
    d.resetMs = status.resetMs >= 0 ? status.resetMs : window;
    d.windowMs = window;
    this.report(rule, d);
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const config = (this.root as Root).config!;
    if (!config.headersOnAllowed || !this.reportedSet) return Action.Continue;
    const out: Header[] = [];
    this.rateLimitHeaders(config.headerStyle, out);
    for (let i = 0; i < out.length; i++) this.response.headers.set(unchecked(out[i]).name, unchecked(out[i]).value);
    return Action.Continue;
  }

  // The limit closest to refusing is the one the headers describe.
  private report(rule: string, d: Decision): void {
    if (this.reportedSet && d.remaining > this.reportedRemaining) return;
    this.reportedRule = rule;
    this.reportedLimit = d.limit;
    this.reportedRemaining = d.remaining;
    this.reportedResetMs = d.resetMs;
    this.reportedWindowMs = d.windowMs;
    this.reportedSet = true;
  }

  private deny(config: Config, retryMs: i64): void {
    const headers: Header[] = [];
    if (config.retryAfter) headers.push(new Header("retry-after", max<i64>(1, ceilSeconds(retryMs)).toString()));
    if (config.envoyRatelimited) headers.push(new Header("x-envoy-ratelimited", "true"));
    this.rateLimitHeaders(config.headerStyle, headers);
    const contentType = this.request.headers.get("content-type");
    const grpc = config.grpcResourceExhausted && contentType !== null && contentType!.startsWith("application/grpc");
    if (grpc) {
      this.sendLocalResponse(config.status, config.body, headers, "rate_limited", GrpcStatus.ResourceExhausted);
    } else {
      headers.push(new Header("content-type", "text/plain; charset=utf-8"));
      this.sendLocalResponse(config.status, config.body, headers, "rate_limited");
    }
  }

  private rateLimitHeaders(style: HeaderStyle, out: Header[]): void {
    if (!this.reportedSet || style == HeaderStyle.None) return;
    const reset = ceilSeconds(this.reportedResetMs).toString();
    if (style == HeaderStyle.Ietf) {
      const name = "\"" + this.reportedRule + "\"";
      const window = max<i64>(1, ceilSeconds(this.reportedWindowMs)).toString();
      out.push(new Header("ratelimit-policy", name + ";q=" + this.reportedLimit.toString() + ";w=" + window));
      out.push(new Header("ratelimit", name + ";r=" + this.reportedRemaining.toString() + ";t=" + reset));
    } else {
      out.push(new Header("x-ratelimit-limit", this.reportedLimit.toString()));
      out.push(new Header("x-ratelimit-remaining", this.reportedRemaining.toString()));
      out.push(new Header("x-ratelimit-reset", reset));
    }
  }

  // The rule's key values, in the root's scratch array (valid until the next call).
  private keyValues(rule: Rule): string[] | null {
    const values = (this.root as Root).keyValues;
    values.length = 0;
    for (let s = 0; s < rule.sources.length; s++) {
      const v = keyPart(unchecked(rule.sources[s]), this.request.headers);
      if (v === null) return null;
      values.push(v);
    }
    return values;
  }

  // The request's cost: the rule's constant, or its header's integer (missing: the default;
  // malformed or above max: max, so a bad value never buys a cheaper request).
  private cost(rule: Rule): i64 {
    if (rule.costHeader.length == 0) return rule.cost;
    const v = this.request.headers.get(rule.costHeader);
    if (v === null) return rule.cost;
    const n = v.length;
    if (n == 0 || n > 10) return rule.maxCost;
    let value: i64 = 0;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return rule.maxCost;
      value = value * 10 + (c - 0x30);
    }
    return value > rule.maxCost ? rule.maxCost : value;
  }
}

function tagged(tag: u8, index: i32): ArrayBuffer {
  const out = new ArrayBuffer(5);
  store<u8>(changetype<usize>(out), tag);
  store<i32>(changetype<usize>(out) + 1, index);
  return out;
}

// A local rule's stored key when no request changes it: constants only, no overrides.
function fixedKey(rule: Rule): ArrayBuffer | null {
  if (rule.overrides.length > 0) return null;
  const values: string[] = [];
  for (let s = 0; s < rule.sources.length; s++) {
    const source = unchecked(rule.sources[s]);
    if (source.kind != SourceKind.Constant) return null;
    values.push(source.name);
  }
  return rule.sharedBucket ? KEY_RULE : bucketKey(encodeValues(values));
}

// TAG_VALUE, then each value as u16 length + UTF-8 (unambiguous whatever the values hold;
// a value's UTF-8 beyond 0xffff bytes is cut there).
function encodeValues(values: string[]): ArrayBuffer {
  let size = 1;
  let long = false;
  for (let i = 0; i < values.length; i++) {
    const n = String.UTF8.byteLength(unchecked(values[i]));
    if (n > 0xffff) long = true;
    size += 2 + min(n, 0xffff);
  }
  if (long) return encodeLongValues(values, size);
  // Straight into the key: one allocation.
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u8>(base, TAG_VALUE);
  let at: usize = 1;
  for (let i = 0; i < values.length; i++) {
    const v = unchecked(values[i]);
    const n = String.UTF8.encodeUnsafe(changetype<usize>(v), v.length, base + at + 2);
    store<u16>(base + at, <u16>n);
    at += 2 + n;
  }
  return out;
}

// encodeValues when a value's UTF-8 is cut at 0xffff bytes (encoded whole first).
function encodeLongValues(values: string[], size: i32): ArrayBuffer {
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u8>(base, TAG_VALUE);
  let at: usize = 1;
  for (let i = 0; i < values.length; i++) {
    const b = String.UTF8.encode(unchecked(values[i]));
    const n = min(b.byteLength, 0xffff);
    store<u16>(base + at, <u16>n);
    memory.copy(base + at + 2, changetype<usize>(b), n);
    at += 2 + n;
  }
  return out;
}

registerRootContext((id: u32): RootContext => new Root(id), "rate-limit");
