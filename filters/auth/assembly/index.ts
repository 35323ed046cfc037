// auth: authentication and authorization at the edge. JWTs (HS, RS, PS, ES) checked against
// inline key sets, API keys of named consumers, per-route requirements (a provider, any-of,
// all-of, API key, none), consumer allow-lists, identity headers the client cannot forge, and
// 401/403 replies with the right WWW-Authenticate. Fails closed everywhere. A token naming a
// kid a remote key set lacks is held (paused) until the refetch it triggers or joins ends.
// filters/auth/README.md documents the configuration.

import {
  Action,
  CallbackNeeds,
  Counter,
  Header,
  HttpContext,
  RootContext,
  currentTimeMillis,
  log,
  readConfig,
  registerRootContext,
  StreamCallbacks,
} from "../../../assembly";
import { basicChallenge, bearerChallenge, jsonErrorBody, keyChallenge } from "../../lib/reply";
import { BodyStyle, Config, Provider, Requirement, RequirementKind, readAuthConfig } from "./config";
import { Location } from "./locations";
import { checkBasic } from "./basic";
import { consumerOf } from "./apikeys";
import { Found, RequestHeaders, findCredential, removeCredential } from "./credentials";
import { matchRule } from "./rules";
import { Jwk } from "./jwks";
import { HeldRequests, Holdable } from "./hold";
import { JwksFetcher } from "./remote";
import { TokenCache, Verdict, verifyToken } from "./verify";

export * from "../../../assembly/exports";

/** Challenge schemes a 401 may carry. */
const SCHEME_BEARER: i32 = 1;
const SCHEME_KEY: i32 = 4;
const SCHEME_BASIC: i32 = 2;

/** Tick periods (ms): polling the shared key sets, and while requests wait for a refetch. */
const TICK_MS: u32 = 500;
const HELD_TICK_MS: u32 = 100;

class AuthRoot extends RootContext {
  config: Config = new Config();
  cache: TokenCache = new TokenCache(0);
  /** One per provider: null for inline key sets. */
  fetchers: Array<JwksFetcher | null> = [];
  /** One per provider: the requests waiting for its refetch (null for inline key sets). */
  held: Array<HeldRequests | null> = [];
  private tickMs: u32 = 0;
  private counters: Map<string, Counter> = new Map();
  /** The counters every request touches, made once (Envoy defines each on first use). */
  allowed: Counter = new Counter("auth.allowed");
  cacheHit: Counter = new Counter("auth.token_cache_hit");
  cacheMiss: Counter = new Counter("auth.token_cache_miss");

  onConfigure(size: u32): bool {
    const cfg = readConfig(this.pluginConfiguration());
    const c = readAuthConfig(cfg);
    if (!cfg.ok) {
      log.error(cfg.firstError);
      return false;
    }
    this.config = c;
    this.cache = new TokenCache(c.tokenCacheSize);
    this.counters = new Map();
    this.allowed = this.counter("allowed");
    this.cacheHit = this.counter("token_cache_hit");
    this.cacheMiss = this.counter("token_cache_miss");
    this.fetchers = [];
    this.held = [];
    let remote = false;
    for (let i = 0; i < c.providers.length; i++) {
      const p = c.providers[i];
      if (p.remote !== null) {
        this.fetchers.push(new JwksFetcher(p.remote!, c.providerNames[i], p.issuer));
        this.held.push(new HeldRequests());
        remote = true;
      } else {
        this.fetchers.push(null);
        this.held.push(null);
      }
    }
    // Remote key sets: poll the shared entry (and fetch when due) twice a second, from the
    // first tick on (at start-up Envoy's clusters may not take callouts yet).
    if (remote) this.tickEvery(TICK_MS);
    return true;
  }

  // Every request is decided in its headers, keeping nothing in its context afterwards: no
  // proxy_on_delete either. Only a request held for a remote key set's refetch lives on (its
  // context is resumed later, and its body and trailers wait).
  neededCallbacks(needs: CallbackNeeds): void {
    const c = this.config;
    needs.noStreamState();
    needs.need(StreamCallbacks.RequestHeaders, "every request");
    for (let i = 0; i < c.providers.length; i++) {
      const remote = c.providers[i].remote;
      if (remote === null || remote.maxHeld == 0) continue;
      needs.need(StreamCallbacks.RequestBody | StreamCallbacks.RequestTrailers | StreamCallbacks.Delete,
        "providers." + c.providerNames[i] + ".remote_jwks.unknown_kid_max_held: " + remote.maxHeld.toString() +
        " (requests are held for a refetch)");
    }
  }

  onTick(): void {
    const now = <i64>currentTimeMillis();
    let holding = false;
    for (let i = 0; i < this.fetchers.length; i++) {
      const f = this.fetchers[i];
      if (f === null) continue;
      if (f.sync()) this.cache.clear();
      f.maybeFetch(now, this);
      if (this.serveHeld(i, now)) holding = true;
    }
    // Requests waiting on another worker's fetch learn of its end within a tenth of a second.
    this.tickEvery(holding ? HELD_TICK_MS : TICK_MS);
  }

  private tickEvery(ms: u32): void {
    if (this.tickMs == ms) return;
    this.tickMs = ms;
    this.setTickPeriod(ms);
  }

  /** Decides again the requests of provider `i` that waited for a fetch that has ended, and
   *  refuses those that waited too long. True when some still wait. */
  private serveHeld(i: i32, now: i64): bool {
    const q = this.held[i];
    if (q === null || q.length == 0) return false;
    const f = this.fetchers[i]!;
    q.resumeAfter(f.heldState(now).lastEndedAt);
    const expired = q.expire(now - f.remote.holdMs);
    if (expired > 0) {
      log.warn("auth: " + expired.toString() + " request(s) waiting for the key set of provider " + this.config.providerNames[i] +
        " refused: no refetch ended within " + f.remote.holdMs.toString() + " ms");
    }
    q.prune();
    return q.length > 0;
  }

  /** Holds `ctx`, whose token named a kid provider `i`'s set lacks, until a refetch ends:
   *  false (refuse it now) when no fetch can end within the hold timeout or the worker
   *  holds as many as it may. Starts the refetch when the rate limit allows. */
  hold(ctx: Holdable, i: i32): bool {
    const f = this.fetchers[i]!;
    const q = this.held[i]!;
    const now = <i64>currentTimeMillis();
    if (f.remote.maxHeld == 0 || !f.heldState(now).fetchSoon) return false;
    if (!q.add(ctx, now, f.remote.maxHeld)) {
      this.count("unknown_kid_hold_full");
      return false;
    }
    this.count("unknown_kid_held");
    // Both act on the root (the host's current context from here on): the caller returns.
    f.maybeFetch(now, this);
    this.tickEvery(HELD_TICK_MS);
    return true;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    for (let i = 0; i < this.fetchers.length; i++) {
      const f = this.fetchers[i];
      if (f === null || f.token != token) continue;
      const ok = f.fetchOk;
      f.onResponse(<i64>currentTimeMillis(), numHeaders, this);
      if (f.token != 0) return; // discovery done, the key set is being fetched
      if (f.fetchOk > ok) {
        this.count("jwks_fetch_ok");
        if (f.sync()) this.cache.clear();
      } else {
        this.count("jwks_fetch_failed");
        log.warn("auth: fetching the key set of provider " + this.config.providerNames[i] + " failed: " + f.lastError +
          (f.keys.length > 0 ? "; the last good set stays in use" : "; requests that need it are refused"));
      }
      this.serveHeld(i, <i64>currentTimeMillis());
      return;
    }
  }

  /** Increments `<stat_prefix>.<name>`. */
  count(name: string): void {
    this.counter(name).increment(1);
  }

  /** The counter `<stat_prefix>.<name>` (made on first use). */
  private counter(name: string): Counter {
    if (this.counters.has(name)) return this.counters.get(name);
    const c = new Counter(this.config.statPrefix + "." + name);
    this.counters.set(name, c);
    return c;
  }

  keysFor(p: Provider): Jwk[] {
    const f = this.fetchers[p.index];
    return f === null ? p.keys : f.keys;
  }

  /** Re-reads the provider's shared key set; true when it changed. */
  syncKeys(p: Provider): bool {
    const f = this.fetchers[p.index];
    if (f === null || !f.sync()) return false;
    this.cache.clear();
    return true;
  }

  /** A token named a kid the provider's remote set lacks, or there are no keys yet. */
  wantKeys(p: Provider): void {
    const f = this.fetchers[p.index];
    if (f !== null) f.requestRefetch(<i64>currentTimeMillis());
  }

  isRemote(p: Provider): bool {
    return this.fetchers[p.index] !== null;
  }

  createHttpContext(id: u32): HttpContext | null {
    return new Auth(id, this);
  }
}

/** The result of evaluating a requirement. */
class Outcome {
  /** 0 verified; otherwise the reply status. */
  status: u32 = 0;
  /** No credential of the kinds asked for was presented. */
  missing: bool = true;
  reason: string = "missing";
  error: string = "";
  description: string = "no credentials";
  /** Challenge schemes (bit set) for a 401. */
  schemes: i32 = 0;
  /** The remote provider whose refetch could settle this (an unknown kid), or -1. */
  wait: i32 = -1;
  /** Identity (consumer name or JWT sub) of each verified credential. */
  names: string[] = NO_NAMES;
  /** What to do upstream once allowed. */
  remove: Location[] = NO_LOCATIONS;
  headers: Header[] = NO_HEADERS;
}

// An outcome's lists are set whole (shared with the cache and the configuration), never
// pushed to, except all-of's own new lists: so the empty ones can be shared too.
const NO_NAMES: string[] = [];
const NO_LOCATIONS: Location[] = [];
const NO_HEADERS: Header[] = [];

class Auth extends Holdable {
  /** False once the request was held: it is decided again only once. */
  private mayHold: bool = true;
  /** Held and not yet decided again. */
  private waiting: bool = false;
  /** The challenges of the requirement that held the request. */
  private heldSchemes: i32 = 0;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    return this.decide();
  }

  // While held, the body and trailers wait too. (Envoy holds them itself unless the plugin
  // sets allow_on_headers_stop_iteration; then going on here would pass the undecided
  // headers upstream with them.)
  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    return this.waiting ? Action.Pause : Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    return this.waiting ? Action.Pause : Action.Continue;
  }

  decideAgain(): void {
    this.waiting = false;
    this.mayHold = false;
    if (this.decide() == Action.Continue) this.continueRequest();
  }

  holdExpired(): void {
    this.waiting = false;
    this.mayHold = false;
    const o = new Outcome();
    o.status = 401;
    o.missing = false;
    o.reason = "hold-timeout";
    o.error = "invalid_token";
    o.description = "the key set was not fetched in time";
    o.schemes = this.heldSchemes;
    this.refuse(o);
  }

  /** Chooses the requirement, verifies, strips forged identity headers, and lets the request
   *  go on (Continue), refuses it (a local reply), or holds it for a refetch (Pause). */
  private decide(): Action {
    const root = this.root as AuthRoot;
    const c = root.config;
    const headers = this.request.headers;
    // Every lookup below reads one copy of the map (one host call), decoding only the values
    // asked for. Client-sent identity headers are removed from a request that goes on or
    // waits, after the lookups (which never read one: the configuration keeps identity and
    // credential headers apart), so the map is read once.
    const read = new RequestHeaders(headers, c.identityHeaderBytes);
    if (c.bypassCorsPreflight) {
      const method = read.get(":method");
      if (method !== null && method == "OPTIONS" && read.has("origin") && read.has("access-control-request-method")) {
        read.stripIdentity();
        root.count("cors_preflight_bypassed");
        return Action.Continue;
      }
    }
    const rule = matchRule(c, read);
    const requires = rule !== null ? rule.requires : c.defaultRequires;
    const out = this.evaluate(requires, read);
    if (out.status != 0) {
      if (out.wait >= 0 && this.mayHold) {
        this.heldSchemes = out.schemes;
        if (root.hold(this, out.wait)) {
          read.stripIdentity();
          this.waiting = true;
          return Action.Pause;
        }
      }
      return this.refuse(out);
    }
    read.stripIdentity();
    if (rule !== null && rule.allow.length > 0) {
      let allowed = false;
      for (let i = 0; i < out.names.length && !allowed; i++) allowed = rule.allow.includes(out.names[i]);
      if (!allowed) {
        out.status = 403;
        out.reason = "not-allowed";
        out.error = "insufficient_scope";
        out.description = "caller is not allowed on this route";
        return this.refuse(out);
      }
    }
    for (let i = 0; i < out.remove.length; i++) removeCredential(headers, read, unchecked(out.remove[i]));
    for (let i = 0; i < out.headers.length; i++) headers.set(out.headers[i].name, out.headers[i].value);
    root.allowed.increment(1);
    return Action.Continue;
  }

  private evaluate(r: Requirement, headers: RequestHeaders): Outcome {
    const root = this.root as AuthRoot;
    const c = root.config;
    if (r.kind == RequirementKind.None) {
      const o = new Outcome();
      o.status = 0;
      o.missing = false;
      return o;
    }
    if (r.kind == RequirementKind.Provider) return this.checkProvider(c.providers[r.provider], headers);
    if (r.kind == RequirementKind.ApiKey) return this.checkApiKey(headers);
    if (r.kind == RequirementKind.Basic) return this.checkBasic(headers);
    // any / all
    let result: Outcome | null = null;
    let schemes = 0;
    if (r.kind == RequirementKind.Any) {
      let firstFailure: Outcome | null = null;
      let waiting: Outcome | null = null;
      for (let i = 0; i < r.children.length; i++) {
        const o = this.evaluate(unchecked(r.children[i]), headers);
        schemes |= o.schemes;
        if (o.status == 0) return o;
        if (!o.missing && firstFailure === null) firstFailure = o;
        if (o.wait >= 0 && waiting === null) waiting = o;
        if (result === null) result = o;
      }
      // A refetch may yet make one pass: wait for it before deciding.
      if (waiting !== null && this.mayHold) result = waiting;
      else if (firstFailure !== null) result = firstFailure;
      result!.schemes = schemes;
      return result!;
    }
    const all = new Outcome();
    all.status = 0;
    all.missing = false;
    all.names = [];
    all.remove = [];
    all.headers = [];
    for (let i = 0; i < r.children.length; i++) {
      const o = this.evaluate(unchecked(r.children[i]), headers);
      if (o.status != 0) return o;
      for (let j = 0; j < o.names.length; j++) all.names.push(o.names[j]);
      for (let j = 0; j < o.remove.length; j++) all.remove.push(o.remove[j]);
      for (let j = 0; j < o.headers.length; j++) all.headers.push(o.headers[j]);
    }
    return all;
  }

  private checkProvider(p: Provider, headers: RequestHeaders): Outcome {
    const root = this.root as AuthRoot;
    const c = root.config;
    const o = new Outcome();
    o.schemes = SCHEME_BEARER;
    const found = onlyCredential(o, headers, p.from, "token");
    if (found === null) return o;
    const now = <i64>(currentTimeMillis() / 1000);
    const hitsBefore = root.cache.hits;
    const missesBefore = root.cache.misses;
    let v = verifyToken(p, root.keysFor(p), found, now, root.cache, c.verifier, c.unavailableStatus);
    // Another worker may have fetched the keys since this one's last tick: look once.
    if ((v.unknownKid || v.reason == "unavailable") && root.syncKeys(p)) {
      v = verifyToken(p, root.keysFor(p), found, now, root.cache, c.verifier, c.unavailableStatus);
    }
    if (root.cache.hits > hitsBefore) root.cacheHit.increment(1);
    if (root.cache.misses > missesBefore) root.cacheMiss.increment(1);
    if (v.status != 0) {
      // Decided again after a refetch, a kid still unknown asks for no further fetch.
      if ((v.unknownKid && this.mayHold) || v.reason == "unavailable") root.wantKeys(p);
      if (v.unknownKid && root.isRemote(p)) o.wait = p.index;
      return fromVerdict(o, v);
    }
    o.status = 0;
    // What the token yields was worked out when it was verified (kept in the cache): these
    // arrays are shared, never changed.
    const a = v.accepted!;
    o.names = a.names;
    o.headers = a.headers;
    if (!p.forward) o.remove = p.from[found.where].alone;
    return o;
  }

  private checkApiKey(headers: RequestHeaders): Outcome {
    const root = this.root as AuthRoot;
    const keys = root.config.apiKeys!;
    const o = new Outcome();
    o.schemes = SCHEME_KEY;
    const found = onlyCredential(o, headers, keys.from, "API key");
    if (found === null) return o;
    const match = consumerOf(keys, found.value);
    if (match < 0) {
      o.reason = "bad-key";
      o.error = "invalid_token";
      o.description = "API key not recognised";
      return o;
    }
    o.status = 0;
    const name = keys.consumers[match].name;
    o.names = [name];
    if (!keys.forward) o.remove = keys.from[found.where].alone;
    o.headers = [new Header(root.config.consumerHeader, name)];
    return o;
  }

  private checkBasic(headers: RequestHeaders): Outcome {
    const root = this.root as AuthRoot;
    const basic = root.config.basic!;
    const o = new Outcome();
    o.schemes = SCHEME_BASIC;
    const found = onlyCredential(o, headers, basic.location.alone, "Basic credential");
    if (found === null) return o;
    const r = checkBasic(basic, found.value);
    if (r.reason.length == 0) root.count(r.cached ? "basic_cache_hit" : "basic_cache_miss");
    if (r.reason.length > 0) {
      o.reason = r.reason;
      o.error = "invalid_token";
      o.description = r.description;
      return o;
    }
    o.status = 0;
    o.names = [r.user];
    if (!basic.forward) o.remove = basic.location.alone;
    o.headers = [new Header(root.config.consumerHeader, r.user)];
    return o;
  }

  private refuse(o: Outcome): Action {
    const root = this.root as AuthRoot;
    const c = root.config;
    root.count("denied_reason=" + o.reason);
    const status = o.status;
    const headers: Header[] = [];
    if (status == 401) {
      if ((o.schemes & SCHEME_BEARER) != 0) {
        headers.push(new Header("www-authenticate", o.missing ? bearerChallenge(c.realm) : bearerChallenge(c.realm, o.error, o.description)));
      }
      if ((o.schemes & SCHEME_BASIC) != 0) headers.push(new Header("www-authenticate", basicChallenge(c.realm)));
      if ((o.schemes & SCHEME_KEY) != 0) headers.push(new Header("www-authenticate", keyChallenge(c.realm)));
    } else if (status == 403 && o.error == "insufficient_scope") {
      headers.push(new Header("www-authenticate", bearerChallenge(c.realm, o.error, o.description)));
    }
    const error = status == 401 ? (o.missing ? "unauthorized" : o.error) : status == 403 ? "forbidden" : "unavailable";
    let body = "";
    if (c.body == BodyStyle.Json) {
      headers.push(new Header("content-type", "application/json"));
      body = jsonErrorBody(status, error, o.description);
    } else if (c.body == BodyStyle.Text) {
      headers.push(new Header("content-type", "text/plain"));
      body = o.description + "\n";
    }
    this.sendLocalResponse(status, body, headers, "auth_denied");
    return Action.Pause;
  }
}

/** The one credential of a kind in `from`, or null with `o` refusing (401): none there
 *  (`missing`), or more than one (never guessed between). `o` stays 401 until verified. */
function onlyCredential(o: Outcome, headers: RequestHeaders, from: Location[], what: string): Found | null {
  o.status = 401;
  const found = findCredential(headers, from);
  if (found.count == 0) return null;
  o.missing = false;
  if (found.count > 1) {
    o.reason = "duplicate";
    o.error = "invalid_request";
    o.description = "more than one " + what + " in the request";
    return null;
  }
  return found;
}

function fromVerdict(o: Outcome, v: Verdict): Outcome {
  o.status = v.status;
  o.reason = v.reason;
  o.error = v.error;
  o.description = v.description;
  return o;
}

registerRootContext((id: u32): RootContext => new AuthRoot(id), "auth");
