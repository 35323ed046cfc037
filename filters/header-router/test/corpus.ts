// The bad-configuration corpus: every case is refused by the module with the named field, and
// by schema.json, except the few checks JSON Schema cannot state (marked `parserOnly`, with
// the reason; the README lists them).

/** A minimal valid rule to build cases from. */
export const rule = (over: Record<string, unknown> = {}) => ({
  name: "r",
  match: { from: "header:x-a", exact: "1" },
  request_headers: [{ set: "x-b", value: "1" }],
  ...over,
});

const withRule = (over: Record<string, unknown>) => ({ rules: [rule(over)] });
const withMatch = (match: unknown) => withRule({ match });
const withAction = (action: unknown) => withRule({ request_headers: [action] });

export interface BadCase {
  name: string;
  config: unknown;
  /** The field path the refusal must name. */
  field: string;
  /** Why JSON Schema cannot refuse this one; the module must. */
  parserOnly?: string;
}

function nest(depth: number): unknown {
  let m: unknown = { from: "path", prefix: "/" };
  for (let i = 0; i < depth; i++) m = { not: m };
  return m;
}

export const BAD_CASES: BadCase[] = [
  { name: "not an object", config: [1, 2], field: "" },
  { name: "unknown top-level field", config: { rules: [rule()], rulez: [] }, field: "rulez" },
  { name: "rules missing", config: { mode: "first_match" }, field: "rules" },
  { name: "rules empty", config: { rules: [] }, field: "rules" },
  { name: "rules not an array", config: { rules: { a: 1 } }, field: "rules" },
  { name: "rule not an object", config: { rules: ["r"] }, field: "rules[0]" },
  { name: "mode unknown", config: { mode: "first", rules: [rule()] }, field: "mode" },
  {
    name: "rule without a name",
    config: { rules: [{ match: rule().match, request_headers: [] }] },
    field: "rules[0].name",
  },
  { name: "rule name with capitals", config: withRule({ name: "Canary" }), field: "rules[0].name" },
  { name: "rule name default", config: withRule({ name: "default" }), field: "rules[0].name" },
  {
    name: "rule name too long",
    config: withRule({ name: "a".repeat(65) }),
    field: "rules[0].name",
  },
  {
    name: "duplicate rule names",
    config: { rules: [rule(), rule()] },
    field: "rules[1].name",
    parserOnly: "uniqueness of one member across array items",
  },
  { name: "unknown rule field", config: withRule({ actions: [] }), field: "rules[0].actions" },
  {
    name: "rule without match",
    config: { rules: [{ name: "r", request_headers: [{ remove: "x" }] }] },
    field: "rules[0].match",
  },
  {
    name: "rule without actions",
    config: withRule({ request_headers: [] }),
    field: "rules[0].request_headers",
  },
  {
    name: "reroute without request actions",
    config: withRule({
      request_headers: undefined,
      response_headers: [{ remove: "x" }],
      reroute: true,
    }),
    field: "rules[0].reroute",
  },
  {
    name: "reroute not a boolean",
    config: withRule({ reroute: "yes" }),
    field: "rules[0].reroute",
  },
  {
    name: "match without from or group",
    config: withMatch({ exact: "1" }),
    field: "rules[0].match",
  },
  {
    name: "match with an unknown source",
    config: withMatch({ from: "hedaer:x", exact: "1" }),
    field: "rules[0].match.from",
  },
  {
    name: "match source without a name",
    config: withMatch({ from: "header:", exact: "1" }),
    field: "rules[0].match.from",
  },
  {
    name: "path segment out of range",
    config: withMatch({ from: "path_segment:64", exact: "a" }),
    field: "rules[0].match.from",
  },
  {
    name: "property path with empty segment",
    config: withMatch({ from: "property:source..address", exact: "a" }),
    field: "rules[0].match.from",
  },
  {
    name: "match with two kinds",
    config: withMatch({ from: "path", exact: "/", prefix: "/" }),
    field: "rules[0].match.prefix",
  },
  { name: "match with no kind", config: withMatch({ from: "path" }), field: "rules[0].match" },
  {
    name: "exact not a string",
    config: withMatch({ from: "path", exact: 1 }),
    field: "rules[0].match.exact",
  },
  {
    name: "unknown matcher field",
    config: withMatch({ from: "path", exact: "/", ignorecase: true }),
    field: "rules[0].match.ignorecase",
  },
  {
    name: "values on a path",
    config: withMatch({ from: "path", values: "all", exact: "/" }),
    field: "rules[0].match.values",
  },
  {
    name: "values unknown mode",
    config: withMatch({ from: "header:x", values: "some", exact: "/" }),
    field: "rules[0].match.values",
  },
  {
    name: "broken regex",
    config: withMatch({ from: "path", regex: "/orders/(" }),
    field: "rules[0].match.regex",
  },
  {
    name: "lookahead regex",
    config: withMatch({ from: "path", regex: "a(?=b)" }),
    field: "rules[0].match.regex",
  },
  {
    name: "backreference regex",
    config: withMatch({ from: "path", regex: "(a)\\1" }),
    field: "rules[0].match.regex",
  },
  {
    name: "nested broken regex",
    config: withMatch({
      any_of: [
        { from: "path", exact: "/" },
        { from: "query:q", regex: "[z-a]" },
      ],
    }),
    field: "rules[0].match.any_of[1].regex",
  },
  {
    name: "ignore_case on a range",
    config: withMatch({ from: "header:x", range: { start: 1, end: 2 }, ignore_case: true }),
    field: "rules[0].match.ignore_case",
  },
  {
    name: "range start not an integer",
    config: withMatch({ from: "header:x", range: { start: 1.5, end: 3 } }),
    field: "rules[0].match.range.start",
  },
  {
    name: "range end not above start",
    config: withMatch({ from: "header:x", range: { start: 5, end: 5 } }),
    field: "rules[0].match.range.end",
    parserOnly: "comparison of two members",
  },
  {
    name: "segment prefix ending in /",
    config: withMatch({ from: "path", segment_prefix: "/api/" }),
    field: "rules[0].match.segment_prefix",
  },
  { name: "empty all_of", config: withMatch({ all_of: [] }), field: "rules[0].match.all_of" },
  {
    name: "two groups in one",
    config: withMatch({
      all_of: [{ from: "path", exact: "/" }],
      any_of: [{ from: "path", exact: "/" }],
    }),
    field: "rules[0].match.any_of",
  },
  {
    name: "group with an extra field",
    config: withMatch({ not: { from: "path", exact: "/" }, from: "path" }),
    field: "rules[0].match.from",
  },
  {
    name: "groups nested too deep",
    config: withMatch(nest(9)),
    field: "rules[0].match.not.not.not.not.not.not.not.not.not",
    parserOnly: "a nesting depth (the schema's match is recursive)",
  },
  {
    name: "action without a verb",
    config: withAction({ value: "1" }),
    field: "rules[0].request_headers[0]",
  },
  {
    name: "action with two verbs",
    config: withAction({ set: "x", remove: "y", value: "1" }),
    field: "rules[0].request_headers[0].remove",
  },
  {
    name: "set without value",
    config: withAction({ set: "x-a" }),
    field: "rules[0].request_headers[0].value",
  },
  {
    name: "set header name not a token",
    config: withAction({ set: "x a", value: "1" }),
    field: "rules[0].request_headers[0].set",
  },
  {
    name: "value with CR LF",
    config: withAction({ set: "x-a", value: "a\r\nb: c" }),
    field: "rules[0].request_headers[0].value",
  },
  {
    name: "template with unknown source",
    config: withAction({ set: "x-a", value: "{header}" }),
    field: "rules[0].request_headers[0].value",
  },
  {
    name: "template with an unclosed brace",
    config: withAction({ set: "x-a", value: "v-{header:x" }),
    field: "rules[0].request_headers[0].value",
  },
  {
    name: "template with a stray }",
    config: withAction({ set: "x-a", value: "a}b" }),
    field: "rules[0].request_headers[0].value",
  },
  {
    name: "template with 17 placeholders",
    config: withAction({ set: "x-a", value: "{method}".repeat(17) }),
    field: "rules[0].request_headers[0].value",
    parserOnly: "a count of pattern matches",
  },
  {
    name: "huge template",
    config: withAction({ set: "x-a", value: "v".repeat(5000) }),
    field: "rules[0].request_headers[0].value",
  },
  {
    name: "on_missing unknown",
    config: withAction({ set: "x-a", value: "1", on_missing: "drop" }),
    field: "rules[0].request_headers[0].on_missing",
  },
  {
    name: "remove :path",
    config: withAction({ remove: ":path" }),
    field: "rules[0].request_headers[0].remove",
  },
  {
    name: "remove with a value",
    config: withAction({ remove: "x-a", value: "1" }),
    field: "rules[0].request_headers[0].value",
  },
  {
    name: "rename without to",
    config: withAction({ rename: "x-a" }),
    field: "rules[0].request_headers[0].to",
  },
  {
    name: "copy onto itself",
    config: withAction({ copy: "x-a", to: "X-A" }),
    field: "rules[0].request_headers[0].to",
    parserOnly: "comparison of two members (after lower-casing)",
  },
  {
    name: "remove_matching with no kind",
    config: withAction({ remove_matching: { ignore_case: true } }),
    field: "rules[0].request_headers[0].remove_matching",
  },
  {
    name: "split with one bucket",
    config: withAction({ split: "x-b", by: "header:x-user", buckets: [{ value: "a", weight: 1 }] }),
    field: "rules[0].request_headers[0].buckets",
  },
  {
    name: "split weight out of range",
    config: withAction({
      split: "x-b",
      by: "header:x-user",
      buckets: [
        { value: "a", weight: 1 },
        { value: "b", weight: 2000000 },
      ],
    }),
    field: "rules[0].request_headers[0].buckets[1].weight",
  },
  {
    name: "split weight negative",
    config: withAction({
      split: "x-b",
      by: "header:x-user",
      buckets: [
        { value: "a", weight: -1 },
        { value: "b", weight: 1 },
      ],
    }),
    field: "rules[0].request_headers[0].buckets[0].weight",
  },
  {
    name: "split weights all zero",
    config: withAction({
      split: "x-b",
      by: "header:x-user",
      buckets: [
        { value: "a", weight: 0 },
        { value: "b", weight: 0 },
      ],
    }),
    field: "rules[0].request_headers[0].buckets",
    parserOnly: "a sum over array items",
  },
  {
    name: "split by an unknown source",
    config: withAction({
      split: "x-b",
      by: "user",
      buckets: [
        { value: "a", weight: 1 },
        { value: "b", weight: 1 },
      ],
    }),
    field: "rules[0].request_headers[0].by",
  },
  {
    name: "split in response headers",
    config: withRule({
      response_headers: [
        {
          split: "x-b",
          by: "header:x-user",
          buckets: [
            { value: "a", weight: 1 },
            { value: "b", weight: 1 },
          ],
        },
      ],
    }),
    field: "rules[0].response_headers[0].split",
  },
  {
    name: "too many actions",
    config: withRule({ request_headers: Array.from({ length: 65 }, () => ({ remove: "x-a" })) }),
    field: "rules[0].request_headers",
  },
  {
    name: "allow_protected a plain header",
    config: { allow_protected: ["x-user"], rules: [rule()] },
    field: "allow_protected[0]",
  },
  {
    name: "allow_protected a wide wildcard",
    config: { allow_protected: ["x-*"], rules: [rule()] },
    field: "allow_protected[0]",
  },
  {
    name: "allow_protected upper case",
    config: { allow_protected: ["Host"], rules: [rule()] },
    field: "allow_protected[0]",
  },
  {
    name: "allow_protected not an array",
    config: { allow_protected: ":path", rules: [rule()] },
    field: "allow_protected",
  },
  {
    name: "default with an unknown field",
    config: { rules: [rule()], default: { name: "d", request_headers: [{ remove: "x" }] } },
    field: "default.name",
  },
  {
    name: "default without actions",
    config: { rules: [rule()], default: {} },
    field: "default.request_headers",
  },
  {
    name: "too many rules",
    config: { rules: Array.from({ length: 257 }, (_, i) => rule({ name: `r${i}` })) },
    field: "rules",
  },
];
