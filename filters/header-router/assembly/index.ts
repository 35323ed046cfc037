// header-router: matches requests on headers, path, query, cookies, method and authority;
// rewrites request and response headers from templates; re-routes (clears Envoy's route
// cache) and splits traffic into sticky weighted buckets. README.md has the configuration.
//
// Per request: the request header map is read once (one host call, one buffer) and every
// rule is matched against that snapshot in place; request actions apply in rule order;
// response actions are resolved against the request then and applied in onResponseHeaders.

import {
  Action,
  HttpContext,
  RootContext,
  clearRouteCache,
  log,
  readConfig,
  registerRootContext,
} from "../../../assembly";
import { HeaderAction, Outcome, Verb } from "./actions";
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

  createHttpContext(contextId: u32): HttpContext | null {
    return new Router(contextId, this);
  }
}

/** A response action chosen on the request path, with its value resolved from the request. */
class Pending {
  constructor(
    readonly rule: Rule,
    readonly action: HeaderAction,
    readonly value: ArrayBuffer | null,
  ) {}
}

class Router extends HttpContext {
  // Made on the first response action a request queues (most requests queue none).
  private pending: Pending[] | null = null;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const config = (this.root as Root).config!;
    const view = new MessageView(this.request.headers.pairsBlock());
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
    const actions = this.pending;
    if (actions === null) return Action.Continue;
    const config = (this.root as Root).config!;
    const map = this.response.headers;
    // Only remove_matching, rename and copy read the response as it arrived.
    let needsCurrent = false;
    for (let i = 0; i < actions.length; i++) {
      const verb = unchecked(actions[i]).action.verb;
      if (verb == Verb.RemoveMatching || verb == Verb.Rename || verb == Verb.Copy) needsCurrent = true;
    }
    const current = needsCurrent ? new MessageView(map.pairsBlock()) : NO_HEADERS;
    for (let i = 0; i < actions.length; i++) {
      const p = unchecked(actions[i]);
      const outcome = p.action.apply(map, p.value, current, config.allow);
      count(p.rule, p.action, outcome);
    }
    return Action.Continue;
  }

  // Applies a matched rule's request actions and queues its response actions; true when the
  // rule asks to re-route and changed a request header.
  private run(config: RouterConfig, rule: Rule, view: MessageView): bool {
    rule.stats.matched.increment();
    let applied = false;
    const map = this.request.headers;
    const request = rule.request;
    for (let i = 0; i < request.length; i++) {
      const action = unchecked(request[i]);
      const outcome = action.apply(map, action.resolve(view), view, config.allow);
      if (<i32>outcome & <i32>Outcome.Applied) applied = true;
      count(rule, action, outcome);
    }
    const response = rule.response;
    if (response.length > 0 && this.pending === null) this.pending = [];
    for (let i = 0; i < response.length; i++) {
      const action = unchecked(response[i]);
      this.pending!.push(new Pending(rule, action, action.resolve(view)));
    }
    return applied && rule.reroute;
  }
}

function count(rule: Rule, action: HeaderAction, outcome: Outcome): void {
  const stats = rule.stats;
  if (<i32>outcome & <i32>Outcome.Applied) stats.applied.increment();
  if (<i32>outcome & <i32>Outcome.Refused) {
    stats.refused.increment();
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

registerRootContext((id: u32): RootContext => new Root(id), "header-router");
