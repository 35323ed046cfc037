// header-router in the test host: what a request costs the host (writes that change nothing
// are not made, a rule's counts go in one update per counter) and the counts and headers that
// stay the same for it (later actions see earlier writes; a stream reset keeps its counts).

import { describe, expect, it } from "vitest";
import type { Host } from "../../../src/testing/index.ts";
import { send, startRouter } from "./host.ts";

/** Host calls by name made while `run` ran. */
async function callsDuring(host: Host, run: () => Promise<unknown> | unknown) {
  const before = new Map(host.coverage.hostCalls);
  await run();
  const out: Record<string, number> = {};
  for (const [name, count] of host.coverage.hostCalls) {
    const d = count - (before.get(name) ?? 0);
    if (d > 0) out[name] = d;
  }
  return out;
}

const counter = (host: Host, what: string, rule: string) =>
  host.counter(`header_router_${what}_rule=${rule}`);

describe("writes that would change nothing", () => {
  const config = {
    rules: [
      {
        name: "bucket",
        match: { from: "path", prefix: "/" },
        request_headers: [{ set: "x-route", value: "canary" }],
        reroute: true,
      },
    ],
  };

  it("leaves a header alone that already has the value once: no write, no re-route, not counted", async () => {
    const host = await startRouter(config);
    let res: Awaited<ReturnType<typeof send>> | undefined;
    const calls = await callsDuring(host, async () => {
      res = await send(host, { path: "/", headers: { "x-route": "canary" } });
    });
    expect(res?.upstream?.headerMap.getAll("x-route")).toEqual(["canary"]);
    expect(calls.proxy_replace_header_map_value).toBeUndefined();
    expect(calls.proxy_call_foreign_function).toBeUndefined(); // no clear_route_cache
    expect(res?.stream.routeCacheCleared).toBe(0); // and no change that clears it
    expect(counter(host, "matched", "bucket")).toBe(1);
    expect(counter(host, "mutations_applied", "bucket")).toBe(0);
    host.close();
  });

  it("still writes (and so re-routes) when the value differs, is absent or comes twice", async () => {
    const host = await startRouter(config);
    const cases: [string, [string, string][]][] = [
      ["other value", [["x-route", "stable"]]],
      ["absent", []],
      [
        "twice",
        [
          ["x-route", "canary"],
          ["x-route", "canary"],
        ],
      ],
      ["different case of a value", [["x-route", "Canary"]]],
    ];
    for (const [label, headers] of cases) {
      let res: Awaited<ReturnType<typeof send>> | undefined;
      const calls = await callsDuring(host, async () => {
        res = await send(host, { path: "/", headers });
      });
      expect(res?.upstream?.headerMap.getAll("x-route"), label).toEqual(["canary"]);
      expect(calls.proxy_replace_header_map_value, label).toBe(1);
      // The write is the re-route: Envoy clears the route cache at each request-header change
      // from an ABI 0.2.1 module, so no clear_route_cache follows it.
      expect(res?.stream.routeCacheCleared, label).toBe(1);
      expect(calls.proxy_call_foreign_function, label).toBeUndefined();
    }
    expect(counter(host, "mutations_applied", "bucket")).toBe(4);
    host.close();
  });

  it("refuses a protected header even when it already has the value", async () => {
    const host = await startRouter({
      rules: [
        {
          name: "p",
          match: { from: "path", prefix: "/" },
          request_headers: [{ set: "x-envoy-x", value: "1" }],
        },
      ],
    });
    const res = await send(host, { path: "/", headers: { "x-envoy-x": "1" } });
    expect(res.upstream?.headerMap.get("x-envoy-x")).toBe("1");
    expect(counter(host, "mutations_refused", "p")).toBe(1);
    host.close();
  });
});

describe("later actions see earlier writes to the same header", () => {
  it("answers add_if_absent, overwrite and remove from the map once a name was written", async () => {
    const host = await startRouter({
      rules: [
        {
          name: "seq",
          match: { from: "path", prefix: "/" },
          request_headers: [
            { remove: "x-a" },
            { add_if_absent: "x-a", value: "added" },
            { set: "x-b", value: "set" },
            { overwrite: "x-b", value: "overwritten" },
            { remove: "x-c" },
            { overwrite: "x-c", value: "not again" },
            { remove: "x-c" },
            { set: "x-d", value: "one" },
            { set: "x-d", value: "one" },
            { add_if_absent: "x-e", value: "first" },
            { set: "x-e", value: "first" },
          ],
        },
      ],
    });
    const res = await send(host, { path: "/", headers: { "x-a": "old", "x-c": "gone" } });
    const up = res.upstream?.headerMap;
    expect(up?.getAll("x-a")).toEqual(["added"]);
    expect(up?.getAll("x-b")).toEqual(["overwritten"]);
    expect(up?.get("x-c")).toBeUndefined();
    expect(up?.getAll("x-d")).toEqual(["one"]);
    expect(up?.getAll("x-e")).toEqual(["first"]);
    // Every action but the overwrite and the second remove of the removed x-c changed the map;
    // a set of a name written earlier in the callback is written again (only the message as
    // it arrived is compared with).
    expect(counter(host, "mutations_applied", "seq")).toBe(9);
    host.close();
  });

  it("removes by pattern from the message as it arrived, then sees those removals", async () => {
    const host = await startRouter({
      rules: [
        {
          name: "rm",
          match: { from: "path", prefix: "/" },
          request_headers: [
            { remove_matching: { prefix: "x-debug-" } },
            { add_if_absent: "x-debug-a", value: "back" },
            { overwrite: "x-debug-b", value: "never" },
          ],
        },
      ],
    });
    const res = await send(host, {
      path: "/",
      headers: { "x-debug-a": "1", "x-debug-b": "2", "x-keep": "k" },
    });
    const up = res.upstream?.headerMap;
    expect(up?.getAll("x-debug-a")).toEqual(["back"]);
    expect(up?.get("x-debug-b")).toBeUndefined();
    expect(up?.get("x-keep")).toBe("k");
    expect(counter(host, "mutations_applied", "rm")).toBe(2); // remove_matching counts once
    host.close();
  });
});

describe("counter updates", () => {
  const config = {
    rules: [
      {
        name: "both",
        match: { from: "header:x-go", present: true },
        request_headers: [
          { set: "x-one", value: "1" },
          { set: "x-two", value: "2" },
        ],
        response_headers: [{ set: "x-seen", value: "yes" }],
        reroute: true,
      },
      {
        name: "request-only",
        match: { from: "header:x-go", present: true },
        request_headers: [{ set: "x-three", value: "3" }],
      },
    ],
    mode: "all_matches",
  };

  it("sends a rule's request and response counts in one update per counter", async () => {
    const host = await startRouter(config);
    let res: Awaited<ReturnType<typeof send>> | undefined;
    const calls = await callsDuring(host, async () => {
      res = await send(host, { path: "/", headers: { "x-go": "1" } });
    });
    expect(res?.headers["x-seen"]).toBe("yes");
    expect(res?.upstream?.headerMap.get("x-three")).toBe("3");
    // matched twice, applied twice (3 for "both", 1 for "request-only")
    expect(calls.proxy_increment_metric).toBe(4);
    expect(counter(host, "matched", "both")).toBe(1);
    expect(counter(host, "mutations_applied", "both")).toBe(3);
    expect(counter(host, "matched", "request-only")).toBe(1);
    expect(counter(host, "mutations_applied", "request-only")).toBe(1);
    host.close();
  });

  it("counts the request's changes when the stream ends before its response", async () => {
    const host = await startRouter(config);
    const stream = host.stream();
    stream.requestHeaders({
      ":method": "GET",
      ":path": "/",
      ":authority": "a",
      ":scheme": "http",
      "x-go": "1",
    });
    expect(counter(host, "mutations_applied", "request-only")).toBe(1);
    stream.reset();
    expect(counter(host, "matched", "both")).toBe(1);
    expect(counter(host, "mutations_applied", "both")).toBe(2); // the response set never ran
    expect(counter(host, "mutations_refused", "both")).toBe(0);
    // the next stream starts clean
    await send(host, { path: "/", headers: { "x-go": "1" } });
    expect(counter(host, "mutations_applied", "both")).toBe(5);
    host.close();
  });
});
