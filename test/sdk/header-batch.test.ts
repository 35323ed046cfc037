// Batched header edits (HeaderMap.batch, test/modules/headermaps): host calls per pattern in
// the test host. A batch reads the map once and writes its edits as one
// proxy_set_header_map_pairs when there are enough of them and the copy can tell the result,
// else one call each; test/conformance/header-pairs.test.ts holds what the maps become to
// real Envoy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host } from "../../src/testing/index.ts";
import { buildTestModule } from "../modules/build.ts";

const wasm = await buildTestModule("headermaps");

const CALLS = [
  "proxy_get_header_map_value",
  "proxy_get_header_map_pairs",
  "proxy_set_header_map_pairs",
  "proxy_add_header_map_value",
  "proxy_replace_header_map_value",
  "proxy_remove_header_map_value",
  "proxy_get_property",
];

describe("batched header edits (test host)", () => {
  let host: Host;
  beforeAll(async () => {
    host = await createHost({ module: wasm, rootId: "" });
  });
  afterAll(() => host?.close());

  /** One request, and the host calls of CALLS it made. */
  async function callsOf(path: string, headers: Record<string, string>) {
    const before = new Map(host.coverage.hostCalls);
    const res = await host.request({ worker: 0, path, headers });
    const calls: Record<string, number> = {};
    for (const n of CALLS) {
      const d = (host.coverage.hostCalls.get(n) ?? 0) - (before.get(n) ?? 0);
      if (d !== 0) calls[n] = d;
    }
    return { calls, res };
  }

  it("twelve edits the copy can tell (seven noted, five padding): one read and one whole-map write", async () => {
    const { calls, res } = await callsOf("/batch/edits", {
      "x-b-a": "1",
      "x-b-b": "2",
      "x-b-c": "3",
    });
    expect(res.headers["x-note-batch-host"]).toBe("x-b-a=new;x-b-d=4;x-b-upper=u;x-b-c=c2;x-b-e=5");
    // The first request: the :path as one value, the batch's whole read, the module's two
    // reads past the copy; the adds are the seven notes on the response. From the next request
    // on the :path read reads the map whole and the batch takes that copy.
    expect(calls).toEqual({
      proxy_get_header_map_value: 1,
      proxy_get_header_map_pairs: 3,
      proxy_set_header_map_pairs: 1,
      proxy_add_header_map_value: 7,
    });
  });

  it("two edits (fewer than a whole map is worth): one call each at the commit", async () => {
    const { calls } = await callsOf("/batch/few", { "x-b-a": "1", "x-b-b": "2" });
    expect(calls).toEqual({
      proxy_get_header_map_pairs: 3,
      proxy_add_header_map_value: 1 + 4,
      proxy_remove_header_map_value: 1,
    });
  });

  it("edits the copy cannot tell are written one by one before the read that needs the host", async () => {
    const { calls } = await callsOf("/batch/unsure", {
      "x-b-a": "1",
      "x-b-b": "2",
      "user-agent": "u",
    });
    // Four queued edits replayed (2 adds, the :path set, the empty add) before the map is
    // read again; the twelve after it go as one whole map at the end of the callback.
    expect(calls).toEqual({
      proxy_get_header_map_pairs: 2,
      proxy_set_header_map_pairs: 1,
      proxy_add_header_map_value: 3 + 3,
      proxy_replace_header_map_value: 1,
    });
  });

  it("a property read writes the batch first; writes after it go one by one", async () => {
    const { calls, res } = await callsOf("/batch/property", { "x-b-b": "2" });
    expect(res.headers["x-note-property"]).toBe("after");
    expect(calls).toEqual({
      proxy_get_header_map_pairs: 1,
      proxy_set_header_map_pairs: 1,
      proxy_get_property: 1,
      proxy_add_header_map_value: 1 + 2,
    });
  });

  it("refused edits of a batch written one by one: the commit gives the first refusal, each logged", async () => {
    const during = "proxy_on_request_headers";
    const refusing = await createHost({
      module: wasm,
      rootId: "",
      failHostCalls: [
        { call: "proxy_add_header_map_value", status: "BadArgument", during },
        { call: "proxy_remove_header_map_value", status: "NotFound", during },
      ],
    });
    try {
      const res = await refusing.request({
        path: "/batch/few",
        headers: { "x-b-a": "1", "x-b-b": "2" },
      });
      expect(res.headers["x-note-few-commit"]).toBe("2");
      expect(res.headers["x-note-few-host"]).toBe("x-b-a=1;x-b-b=2");
      const refused = refusing
        .logs("warn")
        .filter((m) => m.startsWith("meshwasm: batched header edit"));
      expect(refused).toEqual([
        'meshwasm: batched header edit of "x-b-d" was not written: status 2',
        'meshwasm: batched header edit of "x-b-b" was not written: status 1',
      ]);
    } finally {
      refusing.close();
    }
  });
});
