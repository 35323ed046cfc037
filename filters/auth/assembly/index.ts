// auth: authentication and authorization at the edge. JWTs (HS, RS, PS, ES) checked against
// inline key sets, API keys of named consumers, per-route requirements (a provider, any-of,
// all-of, API key, none), consumer allow-lists, identity headers the client cannot forge, and
// 401/403 replies with the right WWW-Authenticate. Fails closed everywhere.
// filters/auth/README.md documents the configuration.

import {
  Action,
  Counter,
  Header,
  HeaderMap,
  HttpContext,
  RootContext,
  currentTimeMillis,
  log,
  readConfig,
  registerRootContext,
} from "../../../assembly";
import { constantTimeEqual } from "../../lib/ct";
import { basicChallenge, bearerChallenge, jsonErrorBody, keyChallenge } from "../../lib/reply";
import { sha256 } from "../../lib/sha2";
import { BodyStyle, Config, Provider, Requirement, RequirementKind, Rule, readAuthConfig } from "./config";
import { Location } from "./locations";
import { checkBasic } from "./basic";
import { findCredential, removeCredential } from "./credentials";
import { Jwk } from "./jwks";
import { JwksFetcher } from "./remote";
import { TokenCache, Verdict, claimText, verifyToken } from "./verify";

export * from "../../../assembly/exports";

/** Challenge schemes a 401 may carry. */
const SCHEME_BEARER: i32 = 1;
const SCHEME_KEY: i32 = 4;
const SCHEME_BASIC: i32 = 2;

class AuthRoot extends RootContext {
  config: Config = new Config();
  cache: TokenCache = new TokenCache(0);
  /** One per provider: null for inline key sets. */
  fetchers: Array<JwksFetcher | null> = [];
  private counters: Map<string, Counter> = new Map();

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
    this.fetchers = [];
    let remote = false;
    for (let i = 0; i < c.providers.length; i++) {
      const p = c.providers[i];
      if (p.remote !== null) {
        this.fetchers.push(new JwksFetcher(p.remote!, c.providerNames[i], p.issuer));
        remote = true;
      } else this.fetchers.push(null);
    }
    // Remote key sets: poll the shared entry (and fetch when due) twice a second, from the
    // first tick on (at start-up Envoy's clusters may not take callouts yet).
    if (remote) this.setTickPeriod(500);
    return true;
  }

  onTick(): void {
    const now = <i64>currentTimeMillis();
    for (let i = 0; i < this.fetchers.length; i++) {
      const f = this.fetchers[i];
      if (f === null) continue;
      if (f.sync()) this.cache.clear();
      f.maybeFetch(now, this);
    }
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
      return;
    }
  }

  /** Increments `<stat_prefix>.<name>`. */
  count(name: string): void {
    let c: Counter;
    if (this.counters.has(name)) c = this.counters.get(name);
    else {
      c = new Counter(this.config.statPrefix + "." + name);
      this.counters.set(name, c);
    }
    c.increment(1);
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
    if (f !== null) f.requestRefetch();
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
  /** Identity (consumer name or JWT sub) of each verified credential. */
  names: string[] = [];
  /** What to do upstream once allowed. */
  remove: Location[] = [];
  headers: Header[] = [];
}

class Auth extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = this.root as AuthRoot;
    const c = root.config;
    const headers = this.request.headers;
    // Client-sent copies of identity headers go first, whatever happens next.
    for (let i = 0; i < c.identityHeaders.length; i++) headers.remove(unchecked(c.identityHeaders[i]));
    const method = headers.get(":method");
    if (c.bypassCorsPreflight && method !== null && method == "OPTIONS" && headers.has("origin") &&
        headers.has("access-control-request-method")) {
      root.count("cors_preflight_bypassed");
      return Action.Continue;
    }
    const fullPath = headers.get(":path");
    const path = fullPath !== null ? fullPath! : "/";
    const rule = matchRule(c, headers, path, method !== null ? method! : "");
    const requires = rule !== null ? rule.requires : c.defaultRequires;
    const out = this.evaluate(requires, headers, path);
    if (out.status != 0) return this.refuse(out);
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
    for (let i = 0; i < out.remove.length; i++) removeCredential(headers, unchecked(out.remove[i]));
    for (let i = 0; i < out.headers.length; i++) headers.set(out.headers[i].name, out.headers[i].value);
    root.count("allowed");
    return Action.Continue;
  }

  private evaluate(r: Requirement, headers: HeaderMap, path: string): Outcome {
    const root = this.root as AuthRoot;
    const c = root.config;
    if (r.kind == RequirementKind.None) {
      const o = new Outcome();
      o.status = 0;
      o.missing = false;
      return o;
    }
    if (r.kind == RequirementKind.Provider) return this.checkProvider(c.providers[r.provider], headers, path);
    if (r.kind == RequirementKind.ApiKey) return this.checkApiKey(headers, path);
    if (r.kind == RequirementKind.Basic) return this.checkBasic(headers, path);
    // any / all
    let result: Outcome | null = null;
    let schemes = 0;
    if (r.kind == RequirementKind.Any) {
      let firstFailure: Outcome | null = null;
      for (let i = 0; i < r.children.length; i++) {
        const o = this.evaluate(unchecked(r.children[i]), headers, path);
        schemes |= o.schemes;
        if (o.status == 0) return o;
        if (!o.missing && firstFailure === null) firstFailure = o;
        if (result === null) result = o;
      }
      if (firstFailure !== null) result = firstFailure;
      result!.schemes = schemes;
      return result!;
    }
    const all = new Outcome();
    all.status = 0;
    all.missing = false;
    for (let i = 0; i < r.children.length; i++) {
      const o = this.evaluate(unchecked(r.children[i]), headers, path);
      if (o.status != 0) return o;
      for (let j = 0; j < o.names.length; j++) all.names.push(o.names[j]);
      for (let j = 0; j < o.remove.length; j++) all.remove.push(o.remove[j]);
      for (let j = 0; j < o.headers.length; j++) all.headers.push(o.headers[j]);
    }
    return all;
  }

  private checkProvider(p: Provider, headers: HeaderMap, path: string): Outcome {
    const root = this.root as AuthRoot;
    const c = root.config;
    const o = new Outcome();
    o.schemes = SCHEME_BEARER;
    const found = findCredential(headers, path, p.from);
    if (found.count == 0) {
      o.status = 401;
      return o;
    }
    o.missing = false;
    if (found.count > 1) {
      o.status = 401;
      o.reason = "duplicate";
      o.error = "invalid_request";
      o.description = "more than one token in the request";
      return o;
    }
    const now = <i64>(currentTimeMillis() / 1000);
    const hitsBefore = root.cache.hits;
    const missesBefore = root.cache.misses;
    let v = verifyToken(p, root.keysFor(p), found.value!, now, root.cache, c.verifier, c.unavailableStatus);
    // Another worker may have fetched the keys since this one's last tick: look once.
    if ((v.unknownKid || v.reason == "unavailable") && root.syncKeys(p)) {
      v = verifyToken(p, root.keysFor(p), found.value!, now, root.cache, c.verifier, c.unavailableStatus);
    }
    if (root.cache.hits > hitsBefore) root.count("token_cache_hit");
    if (root.cache.misses > missesBefore) root.count("token_cache_miss");
    if (v.status != 0) {
      if (v.unknownKid || v.reason == "unavailable") root.wantKeys(p);
      return fromVerdict(o, v);
    }
    o.status = 0;
    const j = v.jwt!;
    const sub = j.claimString("sub");
    if (sub !== null) o.names.push(sub);
    if (!p.forward) o.remove.push(p.from[found.where]);
    if (p.subjectHeader !== null && sub !== null) {
      const t = claimText(j.payload.get("sub")!);
      if (t !== null) o.headers.push(new Header(p.subjectHeader!, t));
    }
    for (let i = 0; i < p.claimHeaders.length; i++) {
      const ch = unchecked(p.claimHeaders[i]);
      const value = j.claim(ch.claim);
      if (value === null) continue;
      const t = claimText(value);
      if (t !== null) o.headers.push(new Header(ch.header, t));
    }
    if (p.payloadHeader !== null) {
      const token = found.value!;
      const first = token.indexOf(".");
      const second = token.indexOf(".", first + 1);
      o.headers.push(new Header(p.payloadHeader!, token.substring(first + 1, second)));
    }
    return o;
  }

  private checkApiKey(headers: HeaderMap, path: string): Outcome {
    const root = this.root as AuthRoot;
    const keys = root.config.apiKeys!;
    const o = new Outcome();
    o.schemes = SCHEME_KEY;
    const found = findCredential(headers, path, keys.from);
    if (found.count == 0) {
      o.status = 401;
      return o;
    }
    o.missing = false;
    o.status = 401;
    if (found.count > 1) {
      o.reason = "duplicate";
      o.error = "invalid_request";
      o.description = "more than one API key in the request";
      return o;
    }
    // Hash first: the comparison then takes the same time for every key, whatever its length.
    const presented = sha256(String.UTF8.encode(found.value!));
    let match = -1;
    for (let i = 0; i < keys.consumers.length; i++) {
      // Every consumer is compared, so the time does not depend on which one matched.
      if (constantTimeEqual(presented, unchecked(keys.consumers[i]).keyHash) && match < 0) match = i;
    }
    if (match < 0) {
      o.reason = "bad-key";
      o.error = "invalid_token";
      o.description = "API key not recognised";
      return o;
    }
    o.status = 0;
    const name = keys.consumers[match].name;
    o.names.push(name);
    if (!keys.forward) o.remove.push(keys.from[found.where]);
    o.headers.push(new Header(root.config.consumerHeader, name));
    return o;
  }

  private checkBasic(headers: HeaderMap, path: string): Outcome {
    const root = this.root as AuthRoot;
    const basic = root.config.basic!;
    const o = new Outcome();
    o.schemes = SCHEME_BASIC;
    const locations: Location[] = [basic.location];
    const found = findCredential(headers, path, locations);
    if (found.count == 0) {
      o.status = 401;
      return o;
    }
    o.missing = false;
    o.status = 401;
    if (found.count > 1) {
      o.reason = "duplicate";
      o.error = "invalid_request";
      o.description = "more than one Basic credential in the request";
      return o;
    }
    const r = checkBasic(basic, found.value!);
    if (r.reason.length == 0) root.count(r.cached ? "basic_cache_hit" : "basic_cache_miss");
    if (r.reason.length > 0) {
      o.reason = r.reason;
      o.error = "invalid_token";
      o.description = r.description;
      return o;
    }
    o.status = 0;
    o.names.push(r.user);
    if (!basic.forward) o.remove.push(basic.location);
    o.headers.push(new Header(root.config.consumerHeader, r.user));
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

function fromVerdict(o: Outcome, v: Verdict): Outcome {
  o.status = v.status;
  o.reason = v.reason;
  o.error = v.error;
  o.description = v.description;
  return o;
}

function hostOf(authority: string | null): string {
  if (authority === null) return "";
  const a = authority!;
  const colon = a.lastIndexOf(":");
  const host = colon > 0 && !a.endsWith("]") ? a.substring(0, colon) : a;
  return host.toLowerCase();
}

function matchRule(c: Config, headers: HeaderMap, fullPath: string, method: string): Rule | null {
  if (c.rules.length == 0) return null;
  const q = fullPath.indexOf("?");
  const path = q >= 0 ? fullPath.substring(0, q) : fullPath;
  const host = hostOf(headers.get(":authority"));
  for (let i = 0; i < c.rules.length; i++) {
    const r = unchecked(c.rules[i]);
    if (r.pathExact !== null && path != r.pathExact!) continue;
    if (r.pathPrefix !== null && !path.startsWith(r.pathPrefix!)) continue;
    if (r.methods.length > 0 && !r.methods.includes(method)) continue;
    if (r.host !== null && host != r.host!) continue;
    return r;
  }
  return null;
}

registerRootContext((id: u32): RootContext => new AuthRoot(id));
