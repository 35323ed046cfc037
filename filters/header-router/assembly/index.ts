// header-router: matches requests on headers, path, query, cookies, method and authority;
// rewrites request and response headers from templates; re-routes (clears Envoy's route
// cache) and splits traffic into sticky weighted buckets. README.md has the configuration.
//
// Per request: the request header map is read once (one host call, one buffer) and every
// rule is matched against that snapshot in place; request actions apply in rule order;
// response actions are resolved against the request then and applied in onResponseHeaders.

import {
  Action,
  CallbackNeeds,
  HttpContext,
  RootContext,
  clearRouteCache,
  log,
  readConfig,
  registerRootContext,
  StreamCallbacks,
} from "../../../assembly";
import { HeaderAction, Outcome, Touched, Verb } from "./actions";
import { RouterConfig, Rule, readRouterConfig } from "./config";
import { MessageView, NO_HEADERS } from "./view";

export * from "../../../assembly/exports"; // the host's entry points: always re-export them

class Root extends RootContext {
  config: RouterConfig | null = null;

  // Runs once per (re)configuration: parse and check everything here, never per request.
  onConfigure(configurationSize: u32): bool {
    const cfg = readConfig(this.pluginConfiguration());
    const config = cfg.ok ? readRouterConfig(cfg) : null;
    if (config === null) {
      log.error(cfg.firstError); // names the field and the value
      return false; // the proxy refuses the configuration
    }
    for (let i = 0; i < config.rules.length; i++) unchecked(config.rules[i]).stats.define();
    if (config.fallback !== null) config.fallback!.stats.define();
    this.config = config;
    log.info("header-router: {} rules", config.rules.length.toString());
    return true;
  }

  // Rules match in the request's headers; the response's headers are written to only for
  // response actions.
  neededCallbacks(needs: CallbackNeeds): void {
    const config = this.config!;
    needs.need(StreamCallbacks.RequestHeaders, "every request");
    for (let i = 0; i < config.rules.length; i++) {
      const rule = unchecked(config.rules[i]);
      if (rule.response.length == 0) continue;
      needs.need(StreamCallbacks.ResponseHeaders, "rules[" + i.toString() + "].response_headers (rule \"" + rule.name +
        "\"): " + rule.response.length.toString() + " action(s)");
    }
    const fallback = config.fallback;
    if (fallback !== null && fallback.response.length > 0) {
      needs.need(StreamCallbacks.ResponseHeaders, "default.response_headers: " + fallback.response.length.toString() + " action(s)");
    }
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new Router(contextId, this);
  }
}

/** A response action chosen on the request path, with its value resolved from the request;
 *  a list in rule order (one allocation per queued action, none when nothing is queued). The
 *  first of a rule's actions also carries the counts of that rule's request actions, sent
 *  with its response actions' counts in one counter update per counter. */
class Pending {
  next: Pending | null = null;
  carriedApplied: i64 = 0;
  carriedRefused: i64 = 0;
  constructor(
    readonly rule: Rule,
    readonly action: HeaderAction,
    readonly value: ArrayBuffer | null,
  ) {}
}

class Router extends HttpContext {
  // The response actions the request queued, first and last (most requests queue none).
  private first: Pending | null = null;
  private last: Pending | null = null;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const config = (this.root as Root).config!;
    const view = new MessageView(this.request.headers.pairsBlock());
    touched.reset(true);
    let reroute = false;
    let matchedAny = false;
    const rules = config.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = unchecked(rules[i]);
      if (!rule.match!.evaluate(view)) continue;
      matchedAny = true;
      if (this.run(config, rule, view)) reroute = true;
      if (config.firstMatch) break;
    }
    const fallback = config.fallback;
    if (!matchedAny && fallback !== null) {
      if (this.run(config, fallback, view)) reroute = true;
    }
    // Envoy picked the route before this filter ran; ask it to match again on the new headers.
    if (reroute) clearRouteCache();
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const head = this.first;
    if (head === null) return Action.Continue;
    this.first = this.last = null;
    const config = (this.root as Root).config!;
    const map = this.response.headers;
    // Only remove_matching, rename and copy read the response as it arrived.
    let needsCurrent = false;
    let q: Pending | null = head;
    for (; q !== null; q = q.next) {
      const verb = q.action.verb;
      if (verb == Verb.RemoveMatching || verb == Verb.Rename || verb == Verb.Copy) needsCurrent = true;
    }
    const current = needsCurrent ? new MessageView(map.pairsBlock()) : NO_HEADERS;
    touched.reset(needsCurrent);
    // One counter update per rule and counter, however many of its actions applied.
    tally.flush(null);
    let p: Pending | null = head;
    while (p !== null) {
      if (tally.rule !== p.rule) tally.flush(p.rule);
      tally.carry(p);
      const outcome = p.action.apply(map, p.value, current, config.allow, touched);
      tally.add(p.rule, p.action, outcome);
      p = p.next;
    }
    tally.flush(null);
    return Action.Continue;
  }

  // The stream ended before its response headers reached this filter (a reset, say): the
  // request actions' counts that waited for them go to their counters now.
  onDelete(): void {
    let p = this.first;
    if (p === null) return;
    this.first = this.last = null;
    tally.flush(null);
    for (; p !== null; p = p.next) {
      if (tally.rule !== p.rule) tally.flush(p.rule);
      tally.carry(p);
    }
    tally.flush(null);
  }

  // Applies a matched rule's request actions and queues its response actions; true when the
  // rule asks to re-route and changed a request header.
  private run(config: RouterConfig, rule: Rule, view: MessageView): bool {
    rule.stats.matched.increment();
    const map = this.request.headers;
    const request = rule.request;
    tally.flush(rule);
    for (let i = 0; i < request.length; i++) {
      const action = unchecked(request[i]);
      tally.add(rule, action, action.apply(map, action.resolve(view), view, config.allow, touched));
    }
    const applied = tally.applied > 0;
    const response = rule.response;
    // A rule with response actions counts its request actions with those (one update per
    // counter instead of two); the others' counts go now.
    if (response.length == 0) tally.flush(null);
    for (let i = 0; i < response.length; i++) {
      const action = unchecked(response[i]);
      const p = new Pending(rule, action, action.resolve(view));
      if (i == 0) tally.handOver(p);
      if (this.last === null) this.first = p;
      else this.last!.next = p;
      this.last = p;
    }
    return applied && rule.reroute;
  }
}

/** Outcomes of one rule's actions, counted and then sent to its counters in one update each
 *  (one per VM: callbacks never nest). */
class Tally {
  rule: Rule | null = null;
  applied: i64 = 0;
  refused: i64 = 0;

  add(rule: Rule, action: HeaderAction, outcome: Outcome): void {
    if (<i32>outcome & <i32>Outcome.Applied) this.applied++;
    if (<i32>outcome & <i32>Outcome.Refused) {
      this.refused++;
      const stats = rule.stats;
      if (!stats.loggedRefusal) {
        stats.loggedRefusal = true;
        log.warn(
          "header-router: rule \"{}\" refused a header change ({}): protected names need allow_protected, " +
            "values must not hold CR, LF or NUL; later refusals are only counted (header_router_mutations_refused)",
          rule.name,
          action.describe(),
        );
      }
    }
  }

  /** Moves the counts so far to `p` (the rule's first response action), unsent. */
  handOver(p: Pending): void {
    p.carriedApplied = this.applied;
    p.carriedRefused = this.refused;
    this.rule = null;
    this.applied = 0;
    this.refused = 0;
  }

  /** Adds the counts `p` carries (once). */
  carry(p: Pending): void {
    this.applied += p.carriedApplied;
    this.refused += p.carriedRefused;
    p.carriedApplied = 0;
    p.carriedRefused = 0;
  }

  /** Sends the counts to the current rule's counters, then starts counting for `next`. */
  flush(next: Rule | null): void {
    const rule = this.rule;
    if (rule !== null) {
      if (this.applied > 0) rule.stats.applied.increment(this.applied);
      if (this.refused > 0) rule.stats.refused.increment(this.refused);
    }
    this.rule = next;
    this.applied = 0;
    this.refused = 0;
  }
}

const tally = new Tally();
const touched = new Touched();

registerRootContext((id: u32): RootContext => new Root(id), "header-router");
