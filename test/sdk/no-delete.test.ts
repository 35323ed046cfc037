// The dispatcher (assembly/exports.ts) of a module built without proxy_on_delete
// (test/modules/no-delete, built so by test/modules/build.ts as `meshwasm build --for-config`
// builds one), on the test host. Without a configured root that needs the log, a stream's
// context lives only while its callback runs; with one, until the stream's log. Either way
// the host never deletes a root, so a configuration update retires the older root of its
// root_id. test/sdk/contexts.test.ts and the "contexts:" conformance scenarios hold the
// default build.

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host, type HostOptions } from "../../src/testing/index.ts";
import { RootContextState } from "../../src/testing/vm.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";
import { buildTestModule } from "../modules/build.ts";

let module: WasmModule;

beforeAll(async () => {
  module = await WA.compile(await readFile(await buildTestModule("no-delete")));
}, 300_000);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const GET = { ":method": "GET", ":authority": "a", ":scheme": "http" };

function host(rootId: string, extra: Partial<HostOptions> = {}): Promise<Host> {
  return createHost({ module, rootId, configuration: "A1", ...extra });
}

/** How many times the guest asked the host to switch its effective context while `run` ran:
 *  a handle to a live context switches to it, one the SDK let go answers without a call. */
async function switches(h: Host, run: () => Promise<void> | void): Promise<number> {
  const before = h.coverage.hostCalls.get("proxy_set_effective_context") ?? 0;
  await run();
  return (h.coverage.hostCalls.get("proxy_set_effective_context") ?? 0) - before;
}

/** Runs `n` times `once`, after as many to warm up: the VM's memory must not grow. */
async function flat(h: Host, n: number, once: (i: number) => Promise<void> | void) {
  for (let i = 0; i < n; i++) await once(i);
  const warm = h.memoryBytes();
  for (let i = 0; i < n * 4; i++) await once(i);
  expect(h.memoryBytes()).toBe(warm);
}

/** A configuration update as Envoy makes one: a new root context (a new id) for a plugin with
 *  the same root_id starts in the running VM; the host never deletes the old one. */
function update(h: Host, id: number, configuration: string): RootContextState {
  const vm = h.vms[0];
  if (!vm) throw new Error("no VM");
  const root = new RootContextState(vm, id, { ...h.plugin, name: `updated-${id}` });
  vm.contexts.set(root.id, root);
  expect(vm.call("proxy_on_vm_start", root, root.id, 0)).toBe(1);
  root.configuring = bytes(configuration);
  try {
    expect(vm.call("proxy_on_configure", root, root.id, configuration.length)).toBe(1);
  } finally {
    root.configuring = null;
  }
  return root;
}

describe("no configured root needs the log: a context per callback", () => {
  it("the module has no proxy_on_delete", async () => {
    const h = await host("s");
    expect(h.vms[0]?.has("proxy_on_delete")).toBe(false);
    expect(h.vms[0]?.has("proxy_on_log")).toBe(true);
  });

  it("each callback of a stream gets a context of its own, made when the callback starts", async () => {
    const h = await host("s");
    const s = h.stream();
    expect(s.requestHeaders({ ...GET, ":path": "/one" })).toBe("Continue");
    expect(s.upstream.headers?.get("x-made")).toBe("1");
    expect(s.responseHeaders({ ":status": "200" })).toBe("Continue");
    expect(s.downstream.headers?.get("x-made")).toBe("2");
    expect(s.downstream.headers?.get("x-config")).toBe("A1");
    s.complete();
    // The log made a third.
    const next = await h.request({ path: "/two" });
    expect(next.upstream?.headers["x-made"]).toBe("4");
    expect(next.headers["x-made"]).toBe("5");
  });

  it("a handle kept past its callback answers NotFound, without a host call", async () => {
    const h = await host("s");
    // The last context kept is the one the first stream's log made.
    await h.request({ path: "/first" });
    expect(await switches(h, () => h.request({ path: "/resume-last" }).then(() => {}))).toBe(0);
    expect(h.logs("info")).toContain("resume last: 1");
    // And one kept from request headers whose stream is still open.
    const open = h.stream();
    open.requestHeaders({ ...GET, ":path": "/open" }, { endOfStream: false });
    const s = h.stream();
    expect(
      await switches(h, () => void s.requestHeaders({ ...GET, ":path": "/resume-last" })),
    ).toBe(0);
    expect(h.logs("info").filter((l) => l === "resume last: 1")).toHaveLength(2);
  });

  it("a root whose streams pass through: their callbacks and connections pass", async () => {
    const h = await host("pass");
    const s = h.stream();
    expect(s.requestHeaders({ ...GET, ":path": "/p" }, { endOfStream: false })).toBe("Continue");
    expect(s.requestBody("body")).toBe("Continue");
    expect(s.responseHeaders({ ":status": "200" })).toBe("Continue");
    s.complete();
    expect(s.trap).toBeNull();
    expect(new TextDecoder().decode(s.upstream.body)).toBe("body");
    const c = h.connect();
    expect(c.steps).toEqual([{ callback: "proxy_on_new_connection", action: "Continue" }]);
    expect(c.downstreamData(bytes("ping"))).toBe("Continue");
    expect(c.upstreamData(bytes("pong"))).toBe("Continue");
    c.closeDownstream();
    c.closeUpstream();
    expect(new TextDecoder().decode(c.toUpstream)).toBe("ping");
    expect(new TextDecoder().decode(c.toDownstream)).toBe("pong");
  });

  it("a connection's callbacks each get a context; a handle kept past one answers NotFound", async () => {
    const h = await host("tcp");
    const first = h.connect();
    expect(first.downstreamData(bytes("ping"))).toBe("Continue");
    first.closeDownstream();
    first.closeUpstream();
    expect(await switches(h, () => void h.connect())).toBe(0);
    expect(h.logs("info")).toEqual([
      "resume last connection: none",
      "downstream close: 3 made",
      "log connection",
      "resume last connection: 1",
    ]);
  });

  it("a connection's data callbacks each end their context: the next callback makes its own", async () => {
    const h = await host("tcp");
    const c = h.connect();
    c.downstreamData(bytes("ping"));
    c.upstreamData(bytes("pong"));
    c.closeDownstream();
    expect(h.logs("info")).toEqual([
      "resume last connection: none",
      "upstream data: 3 made",
      "downstream close: 4 made",
      "log connection",
    ]);
  });

  it("a stream callback the root's contexts cannot take aborts, naming the callback", async () => {
    // An HTTP stream of a root that makes network streams, a connection of one that makes
    // HTTP streams.
    const tcp = await host("tcp");
    const s = tcp.stream();
    s.requestHeaders({ ...GET, ":path": "/" });
    expect(s.trap?.message).toMatch(/proxy_on_request_headers/);
    expect(tcp.logs("critical").join("\n")).toMatch(
      /context is not an HTTP context in proxy_on_request_headers \(context \d+\)/,
    );
    const http = await host("s");
    expect(http.connect().trap?.message).toMatch(/proxy_on_new_connection/);
    expect(http.logs("critical").join("\n")).toMatch(
      /context is not a stream context in proxy_on_new_connection \(context \d+\)/,
    );
  });

  it("memory stays flat over many streams", async () => {
    const h = await host("s");
    await flat(h, 300, async (i) => {
      expect((await h.request({ path: `/m/${i}` })).status).toBe(200);
    });
  });
});

describe("a configuration update retires the older root of its root_id", () => {
  it("streams go to the new root; the old one's ticks and late callout answers do nothing", async () => {
    const h = await host("s", {
      configuration: "A1 callout",
      clusters: { slow: () => undefined },
    });
    expect(h.pendingHttpCalls).toHaveLength(1);
    update(h, 90, "A2");
    expect((await h.request({ path: "/after" })).upstream?.headers["x-config"]).toBe("A2");
    h.advance(1000);
    expect(h.logs("info")).toEqual(["tick A2"]);
    h.pendingHttpCalls[0]?.respond({ status: 200, body: "late" });
    h.advance(0);
    expect(h.pendingHttpCalls).toHaveLength(0);
    expect(h.logs("info")).toEqual(["tick A2"]);
  });

  it("another root_id's root in the same VM keeps its streams", async () => {
    const h = await host("s", { sharedVm: [{ name: "b", rootId: "s2", configuration: "B" }] });
    update(h, 90, "A2");
    const config = (plugin?: string) => {
      const s = h.stream(plugin === undefined ? {} : { plugin });
      s.requestHeaders({ ...GET, ":path": "/r" });
      return s.upstream.headers?.get("x-config");
    };
    expect(config("b")).toBe("B");
    expect(config()).toBe("A2");
    update(h, 91, "A3");
    expect(config("b")).toBe("B");
    expect(config()).toBe("A3");
    h.advance(1000);
    expect(h.logs("info").sort()).toEqual(["tick A3", "tick B"]);
  });
});

describe("a configured root needs the log: the log ends each stream", () => {
  it("a stream's context lives from its first callback to its log, which deletes it", async () => {
    const h = await host("log");
    const res = await h.request({ path: "/kept" });
    expect(res.headers["x-path"]).toBe("/kept");
    expect(h.logs("info")).toEqual(["log /kept", "delete /kept"]);
  });

  it("a handle to a logged stream answers NotFound, without a host call", async () => {
    const h = await host("log");
    await h.request({ path: "/first" });
    expect(await switches(h, () => h.request({ path: "/resume-last" }).then(() => {}))).toBe(0);
    expect(h.logs("info")).toContain("resume last: 1");
  });

  it("a handle to a logged connection answers NotFound, without a host call", async () => {
    const h = await host("tlog");
    const c = h.connect();
    c.closeDownstream();
    c.closeUpstream();
    // The log needs the connection's context: one for all its callbacks.
    expect(h.logs("info")).toEqual([
      "resume last connection: none",
      "downstream close: 1 made",
      "log connection",
    ]);
    expect(await switches(h, () => void h.connect())).toBe(0);
    expect(h.logs("info")).toContain("resume last connection: 1");
  });

  it("memory stays flat over streams, connections, and streams of a root that makes none", async () => {
    const h = await host("log", { sharedVm: [{ name: "p", rootId: "pass", configuration: "" }] });
    await flat(h, 300, async (i) => {
      expect((await h.request({ path: `/m/${i}` })).status).toBe(200);
      const s = h.stream({ plugin: "p" });
      s.requestHeaders({ ...GET, ":path": "/p" });
      s.responseHeaders({ ":status": "200" });
      s.complete();
    });
    const t = await host("tlog");
    await flat(t, 300, () => {
      const c = t.connect();
      c.downstreamData(bytes("ping"));
      c.closeDownstream();
      c.closeUpstream();
    });
  });
});
