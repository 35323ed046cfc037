// Header reads after the filter's own writes (test/modules/headermaps): the SDK applies each
// write the host accepted to the whole-map copy it holds, so reads after writes in the same
// callback make no host call; a write whose effect the copy cannot tell sends the next read
// to the host, and the copy never outlives its callback. The conformance suite holds the
// answers to real Envoy's map; here the test host counts host calls per pattern, and real
// Envoy runs a Lua filter before this one that edits the map on every request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";
import { createHost, type Host } from "../../src/testing/index.ts";
import { buildTestModule } from "../modules/build.ts";

const wasm = await buildTestModule("headermaps");

const CALLS = [
  "proxy_get_header_map_value",
  "proxy_get_header_map_pairs",
  "proxy_add_header_map_value",
  "proxy_replace_header_map_value",
  "proxy_remove_header_map_value",
];

/** Host calls of CALLS made by one request (counted around it). */
async function callsOf(
  host: Host,
  run: () => Promise<Record<string, string>>,
): Promise<{ calls: Record<string, number>; headers: Record<string, string> }> {
  const before = new Map(host.coverage.hostCalls);
  const headers = await run();
  const calls: Record<string, number> = {};
  for (const n of CALLS) {
    const d = (host.coverage.hostCalls.get(n) ?? 0) - (before.get(n) ?? 0);
    if (d !== 0) calls[n] = d;
  }
  return { calls, headers };
}

describe("header reads after writes (test host)", () => {
  let host: Host;
  beforeAll(async () => {
    host = await createHost({ module: wasm, rootId: "" });
  });
  afterAll(() => host?.close());

  const request = async (path: string, headers: Record<string, string>, body?: string) =>
    (
      await host.request({
        worker: 0,
        method: body === undefined ? "GET" : "POST",
        path,
        headers,
        ...(body === undefined ? {} : { body: [new TextEncoder().encode(body)] }),
      })
    ).headers;

  it("answers reads after set, add and remove from the copy, with no host read", async () => {
    const edits = () => request("/reads/edits", { "x-e-a": "1", "x-e-b": "2", "x-e-c": "3" });
    const after = "x-e-a=new;x-e-d=4;x-e-upper=u;x-e-c=c2";
    // First request: the path as one value, the map whole at the second read, then nothing.
    const first = await callsOf(host, edits);
    expect(first.headers["x-note-edits"]).toBe(`1,2,new,<null>,u,4,${after}`);
    expect(first.headers["x-note-edits-host"]).toBe(after);
    // Reads: the path as one value, then the map whole; the second whole read is the
    // module's own read past the copy. Writes: each one host call (2 of the adds are the
    // notes on the response).
    expect(first.calls).toEqual({
      proxy_get_header_map_value: 1,
      proxy_get_header_map_pairs: 2,
      proxy_add_header_map_value: 4,
      proxy_replace_header_map_value: 2,
      proxy_remove_header_map_value: 2,
    });
    // From the next request on the map is read whole at the first read: one host read.
    const next = await callsOf(host, edits);
    expect(next.headers["x-note-edits"]).toBe(`1,2,new,<null>,u,4,${after}`);
    expect(next.calls.proxy_get_header_map_value).toBeUndefined();
    expect(next.calls.proxy_get_header_map_pairs).toBe(2);
  });

  it("reads the map again after a write the copy cannot tell, and answers the host's map", async () => {
    const { calls, headers } = await callsOf(host, () =>
      request("/reads/edits-unsure", { "x-e-a": "1" }),
    );
    // A second value of a name, a pseudo-header, an empty value: one whole read each.
    expect(headers["x-note-unsure"]).toBe("1,1|2,/reads/rewritten,");
    expect(calls.proxy_get_header_map_pairs).toBe(4);
    expect(calls.proxy_get_header_map_value).toBeUndefined();
  });

  it("drops the copy after more writes than it logs, and reads the map again", async () => {
    const { calls, headers } = await callsOf(host, () => request("/edits/many", { "x-e-a": "1" }));
    expect(headers["x-note-many"]).toBe("0,255,299,300");
    // The copy read once before the writes and once after them.
    expect(calls.proxy_get_header_map_pairs).toBe(2);
  });

  it("reads the map again in a later callback (the copy ends with its callback)", async () => {
    const { calls, headers } = await callsOf(host, () =>
      request("/reads/across", { "x-e-a": "1", "x-e-b": "2" }),
    );
    expect(headers["x-note-across-headers"]).toBe("1,2,1");
    expect(headers["x-note-across-tick"]).toBe("1,1,x-e-a=1;x-e-b=2;x-e-across=1");
    expect(calls.proxy_get_header_map_pairs).toBe(2);
  });
});

// A Lua filter before this one edits the map on every request (adds x-o-lua with the
// request's seed, drops x-o-b): this filter's reads, whole from its second request on, must
// show each request's edits, never a copy from an earlier request or callback.
const LUA = `
function envoy_on_request(h)
  local seed = h:headers():get("x-seed")
  if seed ~= nil then
    h:headers():add("x-o-lua", seed)
    h:headers():remove("x-o-b")
  end
end
`;

describe("header reads with a filter before this one (real Envoy)", () => {
  let echo: EchoUpstream | undefined;
  let envoy: EnvoyProcess | undefined;
  beforeAll(async () => {
    echo = await startEchoUpstream();
    envoy = await startEnvoy({
      config: buildBootstrap({
        upstream: { kind: "cluster", port: echo.port },
        wasmFilters: [{ name: "headermaps", wasmPath: wasm }],
        extraHttpFilters: [
          {
            name: "envoy.filters.http.lua",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
              default_source_code: { inline_string: LUA },
            },
          },
        ],
        extraHttpFiltersPosition: "before",
      }),
    });
  }, 120_000);
  afterAll(async () => {
    await envoy?.stop();
    await echo?.close();
  });

  it("sees each request's edits by the filter before it", async () => {
    const e = envoy as EnvoyProcess;
    const seen: string[] = [];
    for (const seed of ["1", "", "2", "3", "", "4"]) {
      const headers: Record<string, string> = { "x-o-a": "a", "x-o-b": "b" };
      if (seed !== "") headers["x-seed"] = seed;
      const res = await e.request("/edits/other-filter", { headers });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      seen.push(res.headers.get("x-note-seen") ?? "<none>");
    }
    expect(seen).toEqual([
      "x-o-a=a;x-o-lua=1;x-o-ours=1",
      "x-o-a=a;x-o-b=b;x-o-ours=1",
      "x-o-a=a;x-o-lua=2;x-o-ours=1",
      "x-o-a=a;x-o-lua=3;x-o-ours=1",
      "x-o-a=a;x-o-b=b;x-o-ours=1",
      "x-o-a=a;x-o-lua=4;x-o-ours=1",
    ]);
  });
});
