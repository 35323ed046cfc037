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
    expect(res.headers["x-note-batch-before"]).toBe("closed");
    expect(res.headers["x-note-batch-queued"]).toBe("0,0,0,0,0,0,0");
    expect(res.headers["x-note-batch-host"]).toBe("x-b-a=new;x-b-d=4;x-b-upper=u;x-b-c=c2;x-b-e=5");
    // The first request: the :path as one value, the batch's whole read, the module's two
    // reads past the copy; the adds are the nine notes on the response. From the next request
    // on the :path read reads the map whole and the batch takes that copy.
    expect(calls).toEqual({
      proxy_get_header_map_value: 1,
      proxy_get_header_map_pairs: 3,
      proxy_set_header_map_pairs: 1,
      proxy_add_header_map_value: 9,
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
    const { calls, res } = await callsOf("/batch/unsure", {
      "x-b-a": "1",
      "x-b-b": "2",
      "user-agent": "u",
    });
    // The batch left open is written at the end of the callback, before the request goes on.
    expect(res.upstream?.headers["x-b-z"]).toBe("z");
    expect(res.upstream?.headers["x-b-x"]).toBe("x");
    expect(res.upstream?.headers["x-b-b"]).toBeUndefined();
    // Four queued edits replayed (2 adds, the :path set, the empty add) before the map is
    // read again; the twelve after it go as one whole map at the end of the callback.
    expect(calls).toEqual({
      proxy_get_header_map_pairs: 2,
      proxy_set_header_map_pairs: 1,
      proxy_add_header_map_value: 3 + 3,
      proxy_replace_header_map_value: 1,
    });
  });

  it("one edit the copy cannot tell is written before the read that needs the host", async () => {
    const { calls, res } = await callsOf("/batch/one-unsure", { "x-b-a": "1" });
    expect(res.headers["x-note-one-unsure"]).toBe("1|2");
    expect(res.headers["x-note-one-unsure-held"]).toBe("x-b-a=1;x-b-a=2");
    expect(calls.proxy_get_header_map_pairs).toBe(3);
  });

  it("a commit with no batch or an empty one is Ok; batch() again keeps the open batch", async () => {
    const { res } = await callsOf("/batch/twice", { "x-b-a": "1" });
    expect(res.headers["x-note-commit-none"]).toBe("0");
    expect(res.headers["x-note-commit-empty"]).toBe("0");
    expect(res.headers["x-note-again"]).toBe("0");
    expect(res.headers["x-note-again-held"]).toBe("x-b-a=1");
    // byteSize writes the queued add first: the host's size then counts it too.
    expect(res.headers["x-note-size"]).toBe("6");
    expect(res.headers["x-note-again-commit"]).toBe("0");
    expect(res.headers["x-note-again-host"]).toBe("x-b-a=1;x-b-d=4");
  });

  it.each(["/pairs/refused", "/pairs/refused-bytes"])(
    "%s: a pairs write with a refused header anywhere is refused whole; a batch's edits go first",
    async (path) => {
      const { res } = await callsOf(path, { "x-b-a": "1" });
      expect(res.headers["x-note-first"]).toBe("2");
      expect(res.headers["x-note-later"]).toBe("2");
      expect(res.headers["x-note-refused-host"]).toBe("x-b-a=1");
      expect(res.headers["x-note-written"]).toBe("0");
      // The queued add reached the host before the whole map replaced it.
      expect(res.headers["x-note-written-copy"]).toBe("z,<null>");
      expect(res.headers["x-note-written-open"]).toBe("open");
      expect(res.upstream?.headers["x-b-d"]).toBeUndefined();
      expect(res.upstream?.headers["x-b-z"]).toBe("z");
    },
  );

  it("refuses a write that could inject a header at once, counting refusals in the VM from 1", async () => {
    const fresh = await createHost({ module: wasm, rootId: "" });
    try {
      const res = await fresh.request({ path: "/batch/bad", headers: { "x-b-a": "1" } });
      expect(res.headers["x-note-bad"]).toBe("2,2,<null>,1");
      // The one batch of this VM's first request, left open, is written at the callback's end.
      expect(res.upstream?.headers["x-b-ok"]).toBe("1");
      const refused = fresh
        .logs("warn")
        .filter((m) => m.startsWith("meshwasm: refused header write"));
      expect(refused).toEqual([
        'meshwasm: refused header write #1 (set): value of "x-b-bad" contains CR or LF',
        'meshwasm: refused header write #2 (add): name "x b" is not a token',
      ]);
    } finally {
      fresh.close();
    }
  });

  it("a pairs write inside a batch: the next edit reads the map again, and twelve go as one", async () => {
    const { calls, res } = await callsOf("/batch/after-pairs", { "x-b-a": "1" });
    expect(res.headers["x-note-after-pairs-commit"]).toBe("0");
    expect(res.headers["x-note-after-pairs-host"]).toBe("12,z");
    // The batch's read, the read after the pairs write, the module's own read of the host's
    // map; the pairs write and the twelve edits as one whole map.
    expect(calls.proxy_get_header_map_pairs).toBe(3);
    expect(calls.proxy_set_header_map_pairs).toBe(2);
    expect(calls.proxy_replace_header_map_value).toBeUndefined();
  });

  it("a pairs write inside a batch, then a failed read: the next edit goes to the host at once", async () => {
    const failing = await createHost({
      module: wasm,
      rootId: "",
      failHostCalls: [
        {
          call: "proxy_get_header_map_pairs",
          status: "NotFound",
          during: "proxy_on_request_headers",
          skip: 1,
          times: 1,
        },
      ],
    });
    try {
      const res = await failing.request({ path: "/batch/after-pairs", headers: { "x-b-a": "1" } });
      expect(res.headers["x-note-after-pairs-commit"]).toBe("0");
      expect(res.headers["x-note-after-pairs-host"]).toBe("12,z");
      expect(res.upstream?.headers["x-b-k0"]).toBe("k");
    } finally {
      failing.close();
    }
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
      // The copy answers the host's map after a refused edit.
      expect(res.headers["x-note-few-copy"]).toBe("x-b-a=1;x-b-b=2");
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
