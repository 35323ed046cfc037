// header-router under fuzz (found by test/fuzz/targets.ts). Model: configurations built from a
// plain subset (header, query, cookie, method and path leaves with exact, prefix, suffix,
// contains, present and absent, any/all/joined/first, ignore_case, invert, nested groups; set,
// append, add_if_absent, overwrite, remove and split actions with header, query, cookie and
// method templates; literal response headers) start the plugin and decide, request by request,
// which rules match, what reaches the upstream (every header, byte for byte) and which
// response headers the client gets. Anything outside the subset is "either": only traps and
// hangs count there. Values are compared as bytes (latin-1 strings of their UTF-8).

import fc from "fast-check";
import { utf8 } from "../../../src/testing/wire.ts";
import { type Decision, readConfigModel } from "../../../test/fuzz/config-model.ts";
import { type FuzzTarget, requestAsFilterSeesIt } from "../../../test/fuzz/target.ts";
import { buildCheckedFilter } from "../../../test/modules/build.ts";
import { bucketOf } from "./model.ts";

type Leaf = {
  from: string;
  mode: string;
  kind: string;
  value: string;
  fold: boolean;
  invert: boolean;
};
type Match = { leaf: Leaf } | { all: Match[] } | { any: Match[] } | { not: Match };
type Act = {
  verb: string;
  name: string;
  value: string;
  skip: boolean;
  by: string;
  buckets: Bucket[];
};
type Bucket = { value: string; weight: number };
type Rule = { name: string; match: Match | null; request: Act[]; response: Act[] };
interface Config {
  firstMatch: boolean;
  rules: Rule[];
  fallback: Rule | null;
}

const NAMES = ["x-a", "x-user", "cookie", "x-tag"];
const RULE_NAMES = ["r0", "r1", "r2", "r3", "default"];
const KINDS = ["exact", "prefix", "suffix", "contains", "present", "absent"];
const SOURCES = [
  "header:x-a",
  "header:x-user",
  "header:x-tag",
  "query:v",
  "cookie:c",
  "method",
  "path",
];
const TEMPLATES = [
  "",
  "lit",
  "{header:x-user}",
  "v-{query:v}-{cookie:c}",
  "{method}{header:x-tag}",
  "{{x}}",
];
/** Byte string (latin-1) of a value: its exact UTF-8 bytes. */
const bytes = (s: string) => Buffer.from(utf8(s)).toString("latin1");

const leafArb = fc
  .record({
    from: fc.constantFrom(...SOURCES),
    kind: fc.constantFrom(...KINDS),
    value: fc.constantFrom("1", "A", "beta", "/", "é", ""),
    values: fc.constantFrom("any", "all", "joined", "first", undefined),
    ignore_case: fc.boolean(),
    invert: fc.boolean(),
  })
  .map(({ kind, value, values, ...rest }) => ({
    ...rest,
    ...(values !== undefined && rest.from.includes(":") ? { values } : {}),
    [kind]: kind === "present" || kind === "absent" ? true : value,
    ...(kind === "present" || kind === "absent" ? { ignore_case: false } : {}),
  }));
const matchArb = fc.letrec((tie) => ({
  m: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.record({ all_of: fc.array(tie("m"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any_of: fc.array(tie("m"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie("m") }),
  ),
})).m;
const actionArb = fc.oneof(
  fc.record({
    verb: fc.constantFrom("set", "append", "add_if_absent", "overwrite"),
    name: fc.constantFrom("x-a", "x-out", "x-tag", "host"),
    value: fc.constantFrom(...TEMPLATES),
    on_missing: fc.constantFrom("empty", "skip", undefined),
  }),
  fc.record({ verb: fc.constant("remove"), name: fc.constantFrom("x-a", "x-tag", "x-out") }),
  fc.record({
    verb: fc.constant("split"),
    name: fc.constantFrom("x-bucket"),
    by: fc.constantFrom("header:x-user", "cookie:c", "query:v"),
    weights: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 2, maxLength: 3 }),
  }),
);

/** A configuration value from generated parts, in the filter's JSON shape. */
function configJson(g: {
  mode: string;
  rules: Array<{ match: unknown; acts: unknown[]; resp: boolean }>;
  dflt: boolean;
}) {
  const action = (a: Record<string, unknown>) => {
    if (a.verb === "split") {
      const ws = [...(a.weights as number[])];
      if (!ws.some((w) => w > 0)) ws[0] = 1;
      return {
        split: a.name,
        by: a.by,
        buckets: ws.map((weight, i) => ({ value: `b${i}`, weight })),
      };
    }
    if (a.verb === "remove") return { remove: a.name };
    const out: Record<string, unknown> = { [a.verb as string]: a.name, value: a.value };
    if (a.on_missing !== undefined) out.on_missing = a.on_missing;
    return out;
  };
  const rules = g.rules.map((r, i) => ({
    name: `r${i}`,
    match: r.match,
    request_headers: r.acts.map((a) => action(a as Record<string, unknown>)),
    ...(r.resp ? { response_headers: [{ set: "x-resp", value: `r${i}` }] } : {}),
  }));
  const out: Record<string, unknown> = { mode: g.mode, rules };
  if (g.dflt) out.default = { request_headers: [{ set: "x-default", value: "{method}" }] };
  return out;
}

const configArb = fc
  .record({
    mode: fc.constantFrom("first_match", "all_matches"),
    rules: fc.array(
      fc.record({
        match: matchArb,
        acts: fc.array(actionArb, { minLength: 1, maxLength: 3 }),
        resp: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    dflt: fc.boolean(),
  })
  .map(configJson);

const PRESETS = [
  {
    rules: [
      {
        name: "r0",
        match: { from: "header:x-a", exact: "1" },
        request_headers: [{ set: "x-out", value: "{header:x-user}" }],
      },
      {
        name: "r1",
        match: {
          any_of: [
            { from: "cookie:c", prefix: "beta" },
            { from: "query:v", present: true },
          ],
        },
        request_headers: [
          {
            split: "x-bucket",
            by: "header:x-user",
            buckets: [
              { value: "b0", weight: 1 },
              { value: "b1", weight: 9 },
            ],
          },
        ],
        response_headers: [{ set: "x-resp", value: "r1" }],
      },
    ],
    default: { request_headers: [{ remove: "x-tag" }] },
  },
  {
    mode: "all_matches",
    rules: [
      {
        name: "r0",
        match: { from: "header:x-tag", values: "all", contains: "a", ignore_case: true },
        request_headers: [{ append: "x-tag", value: "seen" }],
      },
      {
        name: "r1",
        match: { not: { from: "method", exact: "GET" } },
        request_headers: [{ overwrite: "x-a", value: "{method}" }],
      },
    ],
  },
];

// ---- the model ---------------------------------------------------------------------------

const LEAF_KEYS = ["from", "values", "ignore_case", "invert", ...KINDS];
const ACTION_KEYS = [
  "set",
  "append",
  "add_if_absent",
  "overwrite",
  "remove",
  "split",
  "value",
  "on_missing",
  "by",
  "buckets",
];
/** Whether `o` holds only `allowed` keys and exactly one of `one`. */
function shape(o: unknown, allowed: string[], one: string[]): o is Record<string, unknown> {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return false;
  const keys = Object.keys(o);
  return keys.every((k) => allowed.includes(k)) && keys.filter((k) => one.includes(k)).length === 1;
}

function leafOf(o: Record<string, unknown>): Leaf | null {
  if (!shape(o, LEAF_KEYS, KINDS) || !SOURCES.includes(o.from as string)) return null;
  const kind = KINDS.find((k) => k in o);
  if (kind === undefined) return null;
  const flag = (k: string) => o[k] === undefined || typeof o[k] === "boolean";
  if (!flag("ignore_case") || !flag("invert")) return null;
  if (o.values !== undefined && !["any", "all", "joined", "first"].includes(o.values as string))
    return null;
  if (
    kind === "present" || kind === "absent"
      ? typeof o[kind] !== "boolean"
      : !LEAF_VALUES.includes(o[kind] as string)
  ) {
    return null;
  }
  if (!kind || typeof o.from !== "string") return null;
  const raw = o[kind];
  const value = kind === "present" || kind === "absent" ? "" : (raw as string);
  let k = kind;
  if (kind === "present" || kind === "absent")
    k = (kind === "present") === raw ? "present" : "absent";
  const fold = o.ignore_case === true;
  if (fold && (k === "present" || k === "absent")) return null; // refused: not modelled
  if (o.values !== undefined && !o.from.includes(":")) return null;
  return {
    from: o.from,
    mode: (o.values as string) ?? "any",
    kind: k,
    value: bytes(value),
    fold,
    invert: o.invert === true,
  };
}

function matchOf(o: unknown, depth = 1): Match | null {
  if (typeof o !== "object" || o === null || depth > 8) return null;
  const m = o as Record<string, unknown>;
  const groups = ["all_of", "any_of", "not"].filter((g) => g in m);
  if (groups.length > 0 && Object.keys(m).length !== 1) return null;
  if ("all_of" in m || "any_of" in m) {
    const list = m.all_of ?? m.any_of;
    if (!Array.isArray(list) || list.length === 0 || list.length > 64) return null;
    const kids = list.map((k) => matchOf(k, depth + 1));
    if (kids.some((k) => k === null)) return null;
    return "all_of" in m ? { all: kids as Match[] } : { any: kids as Match[] };
  }
  if ("not" in m) {
    const kid = matchOf(m.not, depth + 1);
    return kid === null ? null : { not: kid };
  }
  const leaf = leafOf(m);
  return leaf === null ? null : { leaf };
}

function actOf(o: Record<string, unknown>): Act {
  const verb = ["set", "append", "add_if_absent", "overwrite", "remove", "split"].find(
    (v) => v in o,
  ) as string;
  return {
    verb,
    name: o[verb] as string,
    value: (o.value as string) ?? "",
    skip: o.on_missing === "skip",
    by: (o.by as string) ?? "",
    buckets: (o.buckets as Bucket[]) ?? [],
  };
}

const TARGETS = ["x-a", "x-out", "x-tag", "host", "x-bucket", "x-resp", "x-default"];
const LEAF_VALUES = ["1", "A", "beta", "/", "é", ""];

/** Whether an action is one the generator writes (anything else: the model says "either"). */
function knownAction(a: unknown): boolean {
  const verbs = ["set", "append", "add_if_absent", "overwrite", "remove", "split"];
  if (!shape(a, ACTION_KEYS, verbs)) return false;
  const verb = verbs.find((v) => v in a) as string;
  if (!TARGETS.includes(a[verb] as string)) return false;
  if (verb === "remove") return Object.keys(a).length === 1;
  if (verb === "split") {
    const b = a.buckets;
    if (!["header:x-user", "cookie:c", "query:v"].includes(a.by as string) || !Array.isArray(b))
      return false;
    if (Object.keys(a).length !== 3 || b.length < 2 || b.length > 3) return false;
    const ok = b.every(
      (x, i) =>
        shape(x, ["value", "weight"], ["weight"]) &&
        Object.keys(x).length === 2 &&
        x.value === `b${i}` &&
        Number.isInteger(x.weight) &&
        (x.weight as number) >= 0 &&
        (x.weight as number) <= 5,
    );
    return ok && b.some((x) => (x as Bucket).weight > 0);
  }
  if (
    !TEMPLATES.includes(a.value as string) &&
    !/^r[0-3]$/.test(a.value as string) &&
    a.value !== "{method}"
  ) {
    return false;
  }
  return (
    ["empty", "skip", undefined].includes(a.on_missing as string | undefined) &&
    !("by" in a) &&
    !("buckets" in a)
  );
}

function validActions(list: unknown): boolean {
  if (list === undefined) return true;
  return Array.isArray(list) && list.length <= 64 && list.every(knownAction);
}

function ruleOf(o: Record<string, unknown>, name: string, match: Match | null): Rule {
  const list = (k: string) => ((o[k] as Array<Record<string, unknown>>) ?? []).map(actOf);
  return { name, match, request: list("request_headers"), response: list("response_headers") };
}

/** The request as the filter sees it, with the values every source reads. */
class View {
  constructor(readonly pairs: Array<[string, string]>) {}
  header(name: string): string[] {
    return this.pairs.filter(([k]) => k === name).map(([, v]) => v);
  }
  private pathAndQuery(): [string, string | null] {
    const p = this.header(":path")[0] ?? "";
    const cut = p.search(/[?#]/);
    if (cut < 0) return [p, null];
    if (p[cut] === "#") return [p.slice(0, cut), null];
    const rest = p.slice(cut + 1);
    const hash = rest.indexOf("#");
    return [p.slice(0, cut), hash < 0 ? rest : rest.slice(0, hash)];
  }
  values(source: string): string[] {
    const [kind, name = ""] = source.split(/:(.*)/s);
    if (kind === "header") return this.header(name);
    if (kind === "method") return this.header(":method").slice(0, 1);
    if (kind === "path") return [this.pathAndQuery()[0]];
    if (kind === "query") {
      const q = this.pathAndQuery()[1];
      if (q === null) return [];
      return q
        .split("&")
        .filter((part) => (part.includes("=") ? part.slice(0, part.indexOf("=")) : part) === name)
        .map((part) => (part.includes("=") ? part.slice(part.indexOf("=") + 1) : ""));
    }
    const out: string[] = [];
    for (const h of this.header("cookie")) {
      for (const piece of h.split(";")) {
        const p = piece.replace(/^[ \t]+/, "");
        const eq = p.indexOf("=");
        if (eq < 0 || p.slice(0, eq) !== name) continue;
        let v = p.slice(eq + 1).replace(/[ \t]+$/, "");
        if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
        out.push(v);
      }
    }
    return out;
  }
  value(source: string): string | null {
    const all = this.values(source);
    if (all.length === 0) return null;
    return source.startsWith("header:") ? all.join(",") : (all[0] as string);
  }
}

const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function leafMatches(l: Leaf, v: string): boolean {
  const a = l.fold ? lower(v) : v;
  const t = l.fold ? lower(l.value) : l.value;
  if (l.kind === "present") return true;
  if (l.kind === "absent") return false;
  if (l.kind === "exact") return a === t;
  if (l.kind === "prefix") return a.startsWith(t);
  if (l.kind === "suffix") return a.endsWith(t);
  return a.includes(t);
}

function evaluate(m: Match, view: View): boolean {
  if ("all" in m) return m.all.every((k) => evaluate(k, view));
  if ("any" in m) return m.any.some((k) => evaluate(k, view));
  if ("not" in m) return !evaluate(m.not, view);
  const l = m.leaf;
  const vs = view.values(l.from);
  let r: boolean;
  if (vs.length === 0) r = l.kind === "absent";
  else if (l.mode === "joined") r = leafMatches(l, vs.join(","));
  else if (l.mode === "first") r = leafMatches(l, vs[0] as string);
  else if (l.mode === "all") r = vs.every((v) => leafMatches(l, v));
  else r = vs.some((v) => leafMatches(l, v));
  return r !== l.invert;
}

function render(template: string, view: View): { text: string; missing: boolean } {
  let missing = false;
  const text = template.replace(/\{\{|\}\}|\{([^}]*)\}/g, (all, src: string | undefined) => {
    if (all === "{{") return "{";
    if (all === "}}") return "}";
    const v = view.value(src as string);
    if (v === null) missing = true;
    return v ?? "";
  });
  return { text, missing };
}

const PROTECTED = (n: string) => n.startsWith(":") || n === "host" || n.startsWith("x-envoy-");

/** Applies request actions to `headers` (name → values); returns how many rules matched. */
function applyRequest(
  config: Config,
  view: View,
  headers: Map<string, string[]>,
): { matched: string[]; response: Map<string, string> } {
  const matched: string[] = [];
  const response = new Map<string, string>();
  const run = (rule: Rule) => {
    matched.push(rule.name);
    for (const a of rule.request) {
      if (PROTECTED(a.name)) continue;
      if (a.verb === "remove") headers.delete(a.name);
      else if (a.verb === "split") {
        const key = view.value(a.by);
        if (key !== null) headers.set(a.name, [bucketOf(Buffer.from(key, "latin1"), a.buckets)]);
      } else {
        const r = render(a.value, view);
        if (r.missing && a.skip) continue;
        const has = (headers.get(a.name) ?? []).length > 0;
        if (a.verb === "add_if_absent" && has) continue;
        if (a.verb === "overwrite" && !has) continue;
        if (a.verb === "append") headers.set(a.name, [...(headers.get(a.name) ?? []), r.text]);
        else headers.set(a.name, [r.text]);
      }
    }
    for (const a of rule.response) response.set(a.name, a.value);
  };
  for (const rule of config.rules) {
    if (rule.match && evaluate(rule.match, view)) {
      run(rule);
      if (config.firstMatch) break;
    }
  }
  if (matched.length === 0 && config.fallback) run(config.fallback);
  return { matched, response };
}

const PROXY_OWNED = new Set([
  "content-length",
  "transfer-encoding",
  "host",
  "x-request-id",
  "x-forwarded-proto",
  "x-envoy-expected-rq-timeout-ms",
]);

const target: FuzzTarget<Config> = {
  name: "header-router",
  rootId: "header-router",
  module: () => buildCheckedFilter("header-router"),
  counters: RULE_NAMES.map((n) => `header_router_matched_rule=${n}`),
  // Headers the generated rules may overwrite: a hostile value there may be replaced (then the
  // request is routable), so the engine leaves those requests to check(), which judges only
  // requests whose every header is routable.
  writesRequestHeaders: ["x-a", "x-out", "x-tag", "x-bucket", "x-default"],
  vocabulary: {
    presets: PRESETS,
    headerNames: NAMES,
    tokens: ["1", "beta", "A", "c=beta", "v=1", "é", "a,b"],
    configs: configArb,
  },

  decide(raw): Decision<Config> {
    const obj = readConfigModel(raw);
    if (obj === "either") return "either";
    if (typeof obj === "string") return { start: false, why: obj };
    const keys = Object.keys(obj);
    if (keys.some((k) => !["mode", "rules", "default"].includes(k)))
      return { start: false, why: "unknown key" };
    const rules = obj.rules;
    if (!Array.isArray(rules) || rules.length === 0)
      return { start: false, why: "rules missing or empty" };
    if (obj.mode !== undefined && obj.mode !== "first_match" && obj.mode !== "all_matches")
      return "either";
    const out: Rule[] = [];
    for (const [i, r] of rules.entries()) {
      if (
        !shape(r, ["name", "match", "request_headers", "response_headers"], ["name"]) ||
        r.name !== `r${i}`
      ) {
        return "either";
      }
      if (!validActions(r.request_headers) || !validActions(r.response_headers)) return "either";
      const match = matchOf(r.match);
      if (match === null) return "either";
      const rule = ruleOf(r, r.name, match);
      if (rule.request.length === 0 || rule.request.some((a) => a.verb === undefined))
        return "either";
      out.push(rule);
    }
    const d = obj.default as Record<string, unknown> | undefined;
    if (
      d !== undefined &&
      (!shape(d, ["request_headers"], ["request_headers"]) || !validActions(d.request_headers))
    ) {
      return "either";
    }
    return {
      start: true,
      config: {
        firstMatch: obj.mode !== "all_matches",
        rules: out,
        fallback: d ? ruleOf(d, "default", null) : null,
      },
    };
  },

  check(config, input, seen) {
    if (config === null || seen.kind !== "exchange") return [];
    const sees = requestAsFilterSeesIt(input);
    if (sees.refused !== null || sees.unroutable) return [];
    const pairs = sees.headers.map(([k, v]) => [k.toLowerCase(), bytes(v)] as [string, string]);
    const view = new View(pairs);
    const want = new Map<string, string[]>();
    for (const [k, v] of pairs) want.set(k, [...(want.get(k) ?? []), v]);
    const { matched, response } = applyRequest(config, view, want);
    const problems: string[] = [];
    for (const name of RULE_NAMES) {
      const expect = matched.includes(name) ? 1 : 0;
      if ((seen.counters[`header_router_matched_rule=${name}`] ?? 0) !== expect) {
        problems.push(
          `rule ${name}: matched ${seen.counters[`header_router_matched_rule=${name}`]}, model ${expect}`,
        );
      }
    }
    const up = seen.upstream;
    if (up === null) return [...problems, "upstream: the request never reached it"];
    const names = new Set([...want.keys(), ...up.headers.pairs().map(([k]) => k.toLowerCase())]);
    for (const name of names) {
      if (name.startsWith(":") || PROXY_OWNED.has(name)) continue;
      const got = up.headers.getAll(name).map(bytes);
      const expected = want.get(name) ?? [];
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        problems.push(
          `upstream ${name}: ${JSON.stringify(got).slice(0, 120)}, model ${JSON.stringify(expected).slice(0, 120)}`,
        );
      }
    }
    for (const [name, value] of response) {
      const got = seen.response?.headers.getAll(name) ?? [];
      if (got.length !== 1 || got[0] !== value)
        problems.push(`response ${name}: ${JSON.stringify(got)}, model ${value}`);
    }
    return problems;
  },
};

export default target;
