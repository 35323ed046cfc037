// header-router on the test host: every matcher, action, template source, mode, the default
// rule, protected headers, re-routing and stats, with the real module.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Host } from "../../../src/testing/index.ts";
import { send, startRouter } from "./host.ts";
import { bucketOf } from "./model.ts";
import { headerRouterModule } from "./module.ts";

// Compiling the module (when build/ is stale) takes minutes on a loaded machine.
beforeAll(() => headerRouterModule(), 300_000);

/** One rule that tags the request with x-hit when `match` holds. */
function tagRule(name: string, match: unknown) {
  return { name, match, request_headers: [{ set: "x-hit", value: name }] };
}

describe("matchers", () => {
  let host: Host;
  const RULES = [
    tagRule("hdr-exact", { from: "header:x-canary", exact: "1" }),
    tagRule("hdr-any", { from: "header:x-tag", values: "any", exact: "beta" }),
    tagRule("hdr-all", { from: "header:x-tag", values: "all", prefix: "b" }),
    tagRule("hdr-joined", { from: "header:x-tag", values: "joined", exact: "beta,blue" }),
    tagRule("hdr-first", { from: "header:x-tag", values: "first", exact: "alpha" }),
    tagRule("path-exact", { from: "path", exact: "/exact" }),
    tagRule("path-prefix", { from: "path", prefix: "/pre" }),
    tagRule("path-seg", { from: "path", segment_prefix: "/api" }),
    tagRule("path-regex", { from: "path", regex: "/orders/[0-9]+" }),
    tagRule("query", { from: "query:v", exact: "2" }),
    tagRule("cookie", { from: "cookie:group", exact: "beta" }),
    tagRule("method", { from: "method", exact: "DELETE" }),
    tagRule("authority", { from: "authority", suffix: ".internal", ignore_case: true }),
    tagRule("contains", { from: "header:user-agent", contains: "Mobile" }),
    tagRule("present", { from: "header:x-debug", present: true }),
    tagRule("absent", { from: "header:x-user", absent: true }),
    tagRule("range", { from: "header:x-version", range: { start: 3, end: 7 } }),
    tagRule("invert", { from: "header:x-region", exact: "eu", invert: true }),
    tagRule("nested", {
      all_of: [
        { from: "method", exact: "POST" },
        { any_of: [{ from: "query:a", present: true }, { not: { from: "path", prefix: "/x" } }] },
      ],
    }),
  ];
  beforeAll(async () => {
    host = await startRouter({ mode: "all_matches", rules: RULES });
  });
  afterAll(() => host?.close());

  /** The rules that matched `init` (counted by their matched counters). */
  async function hits(init: Parameters<Host["request"]>[0]): Promise<string[]> {
    const before = new Map<string, number>();
    const names = RULES.map((r) => r.name);
    for (const n of names) before.set(n, host.counter(`header_router_matched_rule=${n}`));
    await send(host, { headers: { "x-user": "u", "x-region": "eu" }, ...init });
    return names.filter(
      (n) => host.counter(`header_router_matched_rule=${n}`) > (before.get(n) ?? 0),
    );
  }

  it("matches header values exactly, and repeated headers by any, all, joined or first", async () => {
    expect(
      await hits({ path: "/", headers: { "x-canary": "1", "x-user": "u", "x-region": "eu" } }),
    ).toEqual(["hdr-exact"]);
    const tags = (...v: string[]) => [
      ["x-user", "u"],
      ["x-region", "eu"],
      ...v.map((x) => ["x-tag", x]),
    ];
    expect(await hits({ path: "/", headers: tags("beta", "blue") as [string, string][] })).toEqual([
      "hdr-any",
      "hdr-all",
      "hdr-joined",
    ]);
    expect(await hits({ path: "/", headers: tags("alpha", "beta") as [string, string][] })).toEqual(
      ["hdr-any", "hdr-first"],
    );
    expect(await hits({ path: "/", headers: tags("blue") as [string, string][] })).toEqual([
      "hdr-all",
    ]);
  });

  it("matches the path (query excluded) exactly, by prefix, by segment and by regex", async () => {
    expect(await hits({ path: "/exact?x=1" })).toEqual(["path-exact"]);
    expect(await hits({ path: "/prefix/a" })).toEqual(["path-prefix"]);
    expect(await hits({ path: "/api" })).toEqual(["path-seg"]);
    expect(await hits({ path: "/api/v1" })).toEqual(["path-seg"]);
    expect(await hits({ path: "/apiv1" })).toEqual([]);
    expect(await hits({ path: "/orders/42" })).toEqual(["path-regex"]);
    expect(await hits({ path: "/orders/42x" })).toEqual([]);
  });

  it("matches query parameters, cookies, the method and the authority", async () => {
    expect(await hits({ path: "/q?a=1&v=2" })).toEqual(["query"]);
    expect(await hits({ path: "/q?v=22" })).toEqual([]);
    expect(
      await hits({
        path: "/",
        headers: { "x-user": "u", "x-region": "eu", cookie: "a=1; group=beta" },
      }),
    ).toEqual(["cookie"]);
    expect(
      await hits({
        path: "/",
        headers: { "x-user": "u", "x-region": "eu", cookie: "group=betamax" },
      }),
    ).toEqual([]);
    expect(await hits({ path: "/", method: "DELETE" })).toEqual(["method"]);
    expect(await hits({ path: "/", authority: "Orders.INTERNAL" })).toEqual(["authority"]);
  });

  it("applies contains, present, absent, integer range and invert", async () => {
    const base = { "x-user": "u", "x-region": "eu" };
    expect(await hits({ path: "/", headers: { ...base, "user-agent": "Mozilla Mobile" } })).toEqual(
      ["contains"],
    );
    expect(await hits({ path: "/", headers: { ...base, "x-debug": "" } })).toEqual(["present"]);
    expect(await hits({ path: "/", headers: { "x-region": "eu" } })).toEqual(["absent"]);
    expect(await hits({ path: "/", headers: { ...base, "x-version": "6" } })).toEqual(["range"]);
    expect(await hits({ path: "/", headers: { ...base, "x-version": "7" } })).toEqual([]);
    expect(await hits({ path: "/", headers: { ...base, "x-version": "6.0" } })).toEqual([]);
    expect(await hits({ path: "/", headers: { "x-user": "u", "x-region": "us" } })).toEqual([
      "invert",
    ]);
    // invert applies to a missing header too: no x-region is "not eu".
    expect(await hits({ path: "/", headers: { "x-user": "u" } })).toEqual(["invert"]);
  });

  it("combines all_of, any_of and not, nested", async () => {
    expect(await hits({ path: "/y", method: "POST", body: "b" })).toEqual(["nested"]);
    expect(await hits({ path: "/x?a=1", method: "POST", body: "b" })).toEqual(["nested"]);
    expect(await hits({ path: "/x", method: "POST", body: "b" })).toEqual([]);
    expect(await hits({ path: "/y", method: "PUT", body: "b" })).toEqual([]);
  });
});

describe("actions and templates", () => {
  it("sets, adds if absent, appends, overwrites, removes, renames and copies request headers", async () => {
    const host = await startRouter({
      rules: [
        {
          name: "all",
          match: { from: "path", prefix: "/" },
          request_headers: [
            { set: "x-set", value: "s" },
            { add_if_absent: "x-keep", value: "new" },
            { add_if_absent: "x-fresh", value: "new" },
            { append: "x-list", value: "two" },
            { overwrite: "x-over", value: "o" },
            { overwrite: "x-none", value: "o" },
            { remove: "x-drop" },
            { remove_matching: { prefix: "x-internal-" } },
            { rename: "x-old", to: "x-new" },
            { copy: "x-user", to: "x-forwarded-user" },
          ],
        },
      ],
    });
    const res = await send(host, {
      path: "/",
      headers: [
        ["x-set", "old"],
        ["x-keep", "kept"],
        ["x-list", "one"],
        ["x-over", "before"],
        ["x-drop", "d"],
        ["x-internal-a", "1"],
        ["x-internal-b", "2"],
        ["x-old", "moved"],
        ["x-user", "alice"],
      ],
    });
    const up = res.upstream?.headerMap;
    expect(up?.get("x-set")).toBe("s");
    expect(up?.get("x-keep")).toBe("kept");
    expect(up?.get("x-fresh")).toBe("new");
    expect(up?.getAll("x-list")).toEqual(["one", "two"]);
    expect(up?.get("x-over")).toBe("o");
    expect(up?.get("x-none")).toBeUndefined();
    expect(up?.get("x-drop")).toBeUndefined();
    expect(up?.get("x-internal-a")).toBeUndefined();
    expect(up?.get("x-internal-b")).toBeUndefined();
    expect(up?.get("x-old")).toBeUndefined();
    expect(up?.get("x-new")).toBe("moved");
    expect(up?.get("x-forwarded-user")).toBe("alice");
    expect(up?.get("x-user")).toBe("alice");
    // 10 actions, 9 changed something (x-fresh added, x-none not there to overwrite... and x-keep kept)
    expect(host.counter("header_router_mutations_applied_rule=all")).toBe(8);
    expect(host.counter("header_router_mutations_refused_rule=all")).toBe(0);
    host.close();
  });

  it("renders every template source, with a defined result when a part is missing", async () => {
    const host = await startRouter(
      {
        rules: [
          {
            name: "t",
            match: { from: "method", present: true },
            request_headers: [
              {
                set: "x-all",
                value:
                  "{header:x-user}|{query:v}|{cookie:c}|{path_segment:1}|{method}|{path}|{authority}|{{x}}",
              },
              { set: "x-peer", value: "{property:source.address} {client_ip}" },
              { set: "x-empty", value: "[{header:x-missing}]" },
              { set: "x-skipped", value: "[{header:x-missing}]", on_missing: "skip" },
            ],
            response_headers: [
              { set: "x-echo-user", value: "{header:x-user}" },
              { remove: "x-drop-me" },
            ],
          },
        ],
      },
      { properties: { "source.address": "10.1.2.3:4567" } },
    );
    const res = await send(host, {
      path: "/a/b/c?v=9&w=1",
      authority: "shop.example",
      headers: { "x-user": "bob", cookie: "c=chip" },
    });
    const up = res.upstream?.headerMap;
    expect(up?.get("x-all")).toBe("bob|9|chip|b|GET|/a/b/c|shop.example|{x}");
    expect(up?.get("x-peer")).toBe("10.1.2.3:4567 10.1.2.3");
    expect(up?.get("x-empty")).toBe("[]");
    expect(up?.get("x-skipped")).toBeUndefined();
    expect(res.headers["x-echo-user"]).toBe("bob");
    host.close();
  });

  it("rewrites response headers chosen by the request: set, rename, remove by pattern", async () => {
    const host = await startRouter(
      {
        rules: [
          {
            name: "r",
            match: { from: "header:x-v", exact: "2" },
            response_headers: [
              { set: "x-version", value: "v{header:x-v}" },
              { rename: "x-upstream", to: "x-origin" },
              { remove_matching: { prefix: "x-secret-" } },
              { add_if_absent: "cache-control", value: "no-store" },
            ],
          },
        ],
      },
      {
        upstream: () => ({
          status: 200,
          headers: {
            "x-upstream": "u1",
            "x-secret-token": "t",
            "x-secret-key": "k",
            "cache-control": "max-age=5",
          },
          body: "ok",
        }),
      },
    );
    const matched = await send(host, { path: "/", headers: { "x-v": "2" } });
    expect(matched.headers["x-version"]).toBe("v2");
    expect(matched.headers["x-origin"]).toBe("u1");
    expect(matched.headers["x-upstream"]).toBeUndefined();
    expect(matched.headers["x-secret-token"]).toBeUndefined();
    expect(matched.headers["x-secret-key"]).toBeUndefined();
    expect(matched.headers["cache-control"]).toBe("max-age=5");
    const other = await send(host, { path: "/", headers: { "x-v": "1" } });
    expect(other.headers["x-version"]).toBeUndefined();
    expect(other.headers["x-upstream"]).toBe("u1");
    expect(other.headers["x-secret-token"]).toBe("t");
    expect(host.counter("header_router_mutations_applied_rule=r")).toBe(3);
    host.close();
  });
});

describe("rule selection", () => {
  const rules = [
    {
      name: "first",
      match: { from: "header:x-a", present: true },
      request_headers: [{ append: "x-seen", value: "first" }],
    },
    {
      name: "second",
      match: { from: "header:x-b", present: true },
      request_headers: [{ append: "x-seen", value: "second" }],
    },
  ];
  const fallback = { request_headers: [{ set: "x-seen", value: "default" }] };

  it("stops at the first matching rule by default, and falls back to the default rule", async () => {
    const host = await startRouter({ rules, default: fallback });
    const both = await send(host, { path: "/", headers: { "x-a": "1", "x-b": "1" } });
    expect(both.upstream?.headerMap.getAll("x-seen")).toEqual(["first"]);
    const none = await send(host, { path: "/" });
    expect(none.upstream?.headerMap.getAll("x-seen")).toEqual(["default"]);
    expect(host.counter("header_router_matched_rule=default")).toBe(1);
    expect(host.counter("header_router_matched_rule=second")).toBe(0);
    host.close();
  });

  it("applies every matching rule in order with all_matches", async () => {
    const host = await startRouter({ mode: "all_matches", rules, default: fallback });
    const both = await send(host, { path: "/", headers: { "x-a": "1", "x-b": "1" } });
    expect(both.upstream?.headerMap.getAll("x-seen")).toEqual(["first", "second"]);
    expect(host.counter("header_router_matched_rule=default")).toBe(0);
    host.close();
  });
});

describe("protected headers, re-routing and stats", () => {
  it("refuses protected names unless allowed, counts every refusal and logs it once", async () => {
    const config = {
      rules: [
        {
          name: "p",
          match: { from: "path", prefix: "/" },
          request_headers: [
            { set: "host", value: "evil.example" },
            { set: ":path", value: "/rewritten" },
            { remove_matching: { prefix: "x-envoy-" } },
            { set: "x-ok", value: "1" },
          ],
        },
      ],
    };
    const host = await startRouter(config);
    for (let i = 0; i < 3; i++) {
      const res = await send(host, {
        path: "/orig",
        authority: "good.example",
        headers: { "x-envoy-mesh-tag": "1" },
      });
      expect(res.upstream?.path).toBe("/orig");
      expect(res.upstream?.headers.host).toBe("good.example");
      expect(res.upstream?.headers["x-envoy-mesh-tag"]).toBe("1");
      expect(res.upstream?.headers["x-ok"]).toBe("1");
    }
    expect(host.counter("header_router_mutations_refused_rule=p")).toBe(9);
    expect(host.counter("header_router_mutations_applied_rule=p")).toBe(3);
    const warnings = host.logs("warn").filter((l) => l.includes("header-router"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('rule "p" refused a header change (set "host")');
    expect(warnings[0]).not.toContain("evil.example");
    host.close();

    const allowed = await startRouter({ ...config, allow_protected: [":path", "x-envoy-*"] });
    const res = await send(allowed, {
      path: "/orig",
      authority: "good.example",
      headers: { "x-envoy-mesh-tag": "1" },
    });
    expect(res.upstream?.path).toBe("/rewritten");
    expect(res.upstream?.headers["x-envoy-mesh-tag"]).toBeUndefined();
    expect(res.upstream?.headers.host).toBe("good.example"); // host is still not allowed
    expect(allowed.counter("header_router_mutations_refused_rule=p")).toBe(1);
    allowed.close();
  });

  // Envoy clears the route cache itself at every change an ABI 0.2.1 module makes to request
  // headers (the test host counts those as Envoy makes them); the rule's re-route is that clear,
  // with no second, explicit clear_route_cache after it.
  it("clears the route cache once per request-header change and not when nothing changed", async () => {
    const host = await startRouter({
      rules: [
        {
          name: "canary",
          match: { from: "header:x-canary", exact: "1" },
          request_headers: [{ set: "x-route", value: "canary" }],
          reroute: true,
        },
        {
          name: "tag",
          match: { from: "header:x-tag", present: true },
          request_headers: [{ set: "x-tagged", value: "1" }],
        },
        {
          name: "noop",
          match: { from: "header:x-noop", present: true },
          request_headers: [{ remove: "x-not-there" }],
          reroute: true,
        },
      ],
    });
    expect(
      (await send(host, { path: "/", headers: { "x-canary": "1" } })).stream.routeCacheCleared,
    ).toBe(1);
    expect(
      (await send(host, { path: "/", headers: { "x-tag": "1" } })).stream.routeCacheCleared,
    ).toBe(1);
    expect(
      (await send(host, { path: "/", headers: { "x-noop": "1" } })).stream.routeCacheCleared,
    ).toBe(0);
    host.close();
  });

  it("names counters per rule, which the shipped stats_tags turn into a rule label", async () => {
    const host = await createTagged();
    await send(host, { path: "/", headers: { "x-canary": "1" } });
    const text = host.prometheus();
    expect(text).toMatch(/^header_router_matched\{rule="canary"\} 1$/m);
    expect(text).toMatch(/^header_router_mutations_applied\{rule="canary"\} 1$/m);
    expect(text).toMatch(/^header_router_mutations_refused\{rule="canary"\} 0$/m);
    host.close();
  });

  it("splits by a sticky hash into weighted buckets, as the model computes", async () => {
    const buckets = [
      { value: "a", weight: 1 },
      { value: "b", weight: 2 },
      { value: "c", weight: 7 },
    ];
    const host = await startRouter({
      rules: [
        {
          name: "split",
          match: { from: "path", prefix: "/" },
          request_headers: [{ split: "x-bucket", by: "cookie:uid", buckets }],
        },
      ],
    });
    const seen = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const uid = `user-${i}`;
      const res = await send(host, { path: "/", headers: { cookie: `uid=${uid}` } });
      const got = res.upstream?.headers["x-bucket"] ?? "";
      expect(got).toBe(bucketOf(uid, buckets));
      seen.set(got, (seen.get(got) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(["a", "b", "c"]);
    const missing = await send(host, { path: "/" });
    expect(missing.upstream?.headers["x-bucket"]).toBeUndefined();
    host.close();
  });
});

async function createTagged() {
  const { createHost } = await import("../../../src/testing/index.ts");
  const { headerRouterModule } = await import("./module.ts");
  const { shippedStatsTags } = await import("./model.ts");
  return createHost({
    module: await headerRouterModule(),
    rootId: "header-router",
    statsTags: shippedStatsTags(),
    configuration: JSON.stringify({
      rules: [
        {
          name: "canary",
          match: { from: "header:x-canary", exact: "1" },
          request_headers: [{ set: "x-route", value: "canary" }],
        },
      ],
    }),
  });
}

describe("hostile values", () => {
  it("matches a regex that makes backtracking engines explode against a 48 KiB header", async () => {
    const host = await startRouter({
      rules: [
        tagRule("hostile", { from: "header:x-h", regex: "(a*)*b" }),
        tagRule("nested", { from: "header:x-h", regex: "(a|aa)+" }),
      ],
    });
    // Under Envoy's default 60 KiB limit for all request headers.
    const value = "a".repeat(48 * 1024);
    const miss = await send(host, { path: "/", headers: { "x-h": value } });
    expect(miss.status).toBe(200);
    expect(host.counter("header_router_matched_rule=hostile")).toBe(0);
    expect(miss.upstream?.headers["x-hit"]).toBe("nested"); // first_match: (a|aa)+ matches
    const hit = await send(host, { path: "/", headers: { "x-h": `${value}b` } });
    expect(hit.upstream?.headers["x-hit"]).toBe("hostile");
    host.close();
  });
});
