// The header-router configuration, read once in onConfigure into an immutable RouterConfig.
// schema.json describes the same shape; the README has every field with an example.
//
//   {"mode": "first_match",
//    "allow_protected": [":path"],
//    "rules": [{"name": "canary", "match": {"from": "header:x-canary", "exact": "1"},
//               "request_headers": [{"set": "x-route", "value": "canary"}], "reroute": true}],
//    "default": {"response_headers": [{"set": "x-served-by", "value": "stable"}]}}

import { ConfigReader, Counter, quoteJsonString, taggedName } from "../../../assembly";
import { AllowList, HeaderAction, isProtected, readActions } from "./actions";
import { Match, readMatch } from "./match";

/** Most rules one configuration may hold. */
export const MAX_RULES: i32 = 256;
const NAME_LIMIT: i32 = 64;
const TOP_KEYS: string[] = ["mode", "allow_protected", "rules", "default"];
const RULE_KEYS: string[] = ["name", "match", "request_headers", "response_headers", "reroute"];
const DEFAULT_KEYS: string[] = ["request_headers", "response_headers", "reroute"];

/** A rule's counters and its once-only refusal log; the one mutable part, per VM. */
export class RuleStats {
  readonly matched: Counter;
  readonly applied: Counter;
  readonly refused: Counter;
  loggedRefusal: bool = false;
  constructor(name: string) {
    const tag = ["rule", name];
    this.matched = new Counter(taggedName("header_router_matched", tag));
    this.applied = new Counter(taggedName("header_router_mutations_applied", tag));
    this.refused = new Counter(taggedName("header_router_mutations_refused", tag));
  }

  /** Defines the counters with the host, so they show (at 0) before the first request.
   *  Only from onConfigure on (host calls are not allowed while the module starts). */
  define(): void {
    this.matched.define();
    this.applied.define();
    this.refused.define();
  }
}

/** One rule: when `match` holds (always, for the default rule), its actions apply. */
export class Rule {
  readonly stats: RuleStats;
  constructor(
    public readonly name: string,
    public readonly match: Match | null,
    public readonly request: HeaderAction[],
    public readonly response: HeaderAction[],
    public readonly reroute: bool,
  ) {
    this.stats = new RuleStats(name);
  }
}

/** The whole configuration. */
export class RouterConfig {
  constructor(
    /** Stop at the first rule that matches (else every matching rule applies, in order). */
    public readonly firstMatch: bool,
    public readonly rules: Rule[],
    /** Applies when no rule matched; null when not configured. */
    public readonly fallback: Rule | null,
    public readonly allow: AllowList,
  ) {}
}

/** The configuration in `cfg`, or null with every problem recorded on `cfg`. */
export function readRouterConfig(cfg: ConfigReader): RouterConfig | null {
  cfg.unknownKeys(TOP_KEYS);
  const mode = cfg.oneOf("mode", ["first_match", "all_matches"], "first_match");
  const allow = readAllowList(cfg);
  const items = cfg.array("rules", true);
  const rules = new Array<Rule>(0);
  if (cfg.ok && (items.length == 0 || items.length > MAX_RULES)) {
    cfg.fail("rules", "needs 1 to " + MAX_RULES.toString() + " rules, got " + items.length.toString());
  }
  const names = new Set<string>();
  for (let i = 0; i < items.length && cfg.ok; i++) {
    const key = "rules[" + i.toString() + "]";
    const r = unchecked(items[i]);
    r.unknownKeys(RULE_KEYS);
    const name = r.string("name");
    if (r.ok) {
      const problem = nameProblem(name);
      if (problem.length > 0) r.fail("name", quoteJsonString(name) + " " + problem);
      else if (names.has(name)) r.fail("name", quoteJsonString(name) + " names an earlier rule too");
      names.add(name);
    }
    const match = readMatch(cfg, key + ".match");
    const rule = readRule(r, name, match);
    if (rule !== null) rules.push(rule);
  }
  let fallback: Rule | null = null;
  if (cfg.ok && cfg.has("default")) {
    const d = cfg.object("default");
    d.unknownKeys(DEFAULT_KEYS);
    if (cfg.ok) fallback = readRule(d, "default", null);
  }
  if (!cfg.ok) return null;
  for (let i = 0; i < rules.length; i++) guardActions(unchecked(rules[i]), allow);
  if (fallback !== null) guardActions(fallback, allow);
  return new RouterConfig(mode == "first_match", rules, fallback, allow);
}

function guardActions(rule: Rule, allow: AllowList): void {
  for (let i = 0; i < rule.request.length; i++) unchecked(rule.request[i]).guard(allow);
  for (let i = 0; i < rule.response.length; i++) unchecked(rule.response[i]).guard(allow);
}

function readRule(r: ConfigReader, name: string, match: Match | null): Rule | null {
  const request = readActions(r, "request_headers", false);
  const response = readActions(r, "response_headers", true);
  const reroute = r.bool("reroute", false);
  if (!r.ok) return null;
  if (request.length + response.length == 0) {
    r.fail("request_headers", "the rule has no action: give request_headers or response_headers");
    return null;
  }
  if (reroute && request.length == 0) {
    r.fail("reroute", "re-routing needs a request_headers action that changes what routes match on");
    return null;
  }
  return new Rule(name, match, request, response, reroute);
}

// Rule names become metric tags: keep them to what a Prometheus label and Envoy's tag regex
// carry unchanged.
function nameProblem(name: string): string {
  if (name.length == 0 || name.length > NAME_LIMIT) return "must be 1 to 64 characters";
  if (name == "default") return "is the default rule's name";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d;
    if (!ok) return "may hold only a-z, 0-9 and -";
  }
  return "";
}

function readAllowList(cfg: ConfigReader): AllowList {
  const items = cfg.stringArray("allow_protected", []);
  const exact = new Array<string>(0);
  const prefixes = new Array<string>(0);
  for (let i = 0; i < items.length; i++) {
    const raw = unchecked(items[i]);
    const entry = raw;
    const path = "allow_protected[" + i.toString() + "]";
    const wildcard = entry.endsWith("*");
    const name = wildcard ? entry.substring(0, entry.length - 1) : entry;
    let ok = name.length > 0 && name.length <= 256;
    for (let k = 0; k < name.length && ok; k++) {
      const c = name.charCodeAt(k);
      ok = c > 0x20 && c < 0x7f && c != 0x2a && !(c >= 0x41 && c <= 0x5a);
    }
    if (!ok) {
      cfg.fail(path, quoteJsonString(raw) + " is not a lower-case header name or a name prefix ending in *");
    } else if (!isProtected(wildcard ? name + "x" : name) || (wildcard && !protectedPrefix(name))) {
      cfg.fail(
        path,
        quoteJsonString(raw) +
          " is not protected; only pseudo-headers, host, x-envoy-*, content-length and transfer-encoding need allowing",
      );
    } else if (wildcard) prefixes.push(name);
    else exact.push(name);
  }
  return new AllowList(exact, prefixes);
}

// A wildcard must stay inside the protected names: "x-envoy-*" or ":*", not "x-*".
function protectedPrefix(prefix: string): bool {
  return prefix.startsWith(":") || prefix.startsWith("x-envoy-");
}
