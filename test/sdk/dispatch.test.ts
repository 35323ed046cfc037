// The dispatcher (assembly/exports.ts) on the test host, with test/modules/dispatch: which
// context a stream's handle acts on when another context's callback resumes it, the effective
// context in gRPC handlers, roots whose streams pass through untouched, several roots with one
// root_id, a root_id no root is registered for, and the bookkeeping of finished callouts and
// deleted contexts (memory stays flat).

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createHost,
  type GrpcHandler,
  type Host,
  type HostOptions,
} from "../../src/testing/index.ts";
import { LOG_LEVELS } from "../../src/testing/status.ts";
import { RootContextState } from "../../src/testing/vm.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";
import { buildTestModule } from "../modules/build.ts";

let module: WasmModule;
/** The same filter built with every export kept: the host announces each context. */
let announced: WasmModule;

beforeAll(async () => {
  module = await WA.compile(await readFile(await buildTestModule("dispatch")));
  announced = await WA.compile(await readFile(await buildTestModule("dispatch-announced")));
}, 300_000);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const GET = { ":method": "GET", ":authority": "a", ":scheme": "http" };

/** A gRPC server that answers every call at once: metadata, one message, trailers, OK. */
const echo: GrpcHandler = (call, event) =>
  event.message === undefined && call.stream
    ? {
        initialMetadata: { "x-initial": "1" },
        messages: [new TextEncoder().encode("pong")],
        trailingMetadata: { "x-trailing": "1" },
        status: 0,
      }
    : call.stream
      ? undefined
      : { messages: [new TextEncoder().encode("pong")] };

function host(extra: Partial<HostOptions> = {}): Promise<Host> {
  return createHost({
    module,
    rootId: "d",
    clusters: { callout: () => ({ status: 200, body: "ok" }) },
    grpcClusters: { grpc: echo },
    ...extra,
  });
}

describe("a stream resumed from another context's callback", () => {
  // Each case drives stream R up to the callback it names, holds stream W in its request
  // headers just before (so W's callback is the VM's last entry), then runs R's callback,
  // which resumes W through the handle it kept. The host made R effective for that callback:
  // the SDK must know it and make W effective before continuing it.
  const cases: Array<[string, (r: ReturnType<Host["stream"]>, hold: () => void) => void]> = [
    [
      "request-headers",
      (r, hold) => {
        hold();
        r.requestHeaders({ ...GET, ":path": "/release/request-headers" });
      },
    ],
    [
      "request-body",
      (r, hold) => {
        r.requestHeaders({ ...GET, ":path": "/release/request-body" }, { endOfStream: false });
        hold();
        r.requestBody("x");
      },
    ],
    [
      "request-trailers",
      (r, hold) => {
        r.requestHeaders({ ...GET, ":path": "/release/request-trailers" }, { endOfStream: false });
        r.requestBody("x", { endOfStream: false });
        hold();
        r.requestTrailers({ "x-t": "1" });
      },
    ],
    [
      "response-headers",
      (r, hold) => {
        r.requestHeaders({ ...GET, ":path": "/release/response-headers" });
        hold();
        r.responseHeaders({ ":status": "200" });
      },
    ],
    [
      "response-body",
      (r, hold) => {
        r.requestHeaders({ ...GET, ":path": "/release/response-body" });
        r.responseHeaders({ ":status": "200" }, { endOfStream: false });
        hold();
        r.responseBody("y");
      },
    ],
    [
      "response-trailers",
      (r, hold) => {
        r.requestHeaders({ ...GET, ":path": "/release/response-trailers" });
        r.responseHeaders({ ":status": "200" }, { endOfStream: false });
        r.responseBody("y", { endOfStream: false });
        hold();
        r.responseTrailers({ "x-t": "1" });
      },
    ],
    [
      "log",
      (r, hold) => {
        r.requestHeaders({ ...GET, ":path": "/release/log" });
        r.responseHeaders({ ":status": "200" });
        hold();
        r.complete();
      },
    ],
  ];

  it.each(cases)("from %s", async (callback, drive) => {
    const h = await host();
    const r = h.stream();
    const w = h.stream();
    drive(r, () => {
      expect(w.requestHeaders({ ...GET, ":path": "/wait" })).toBe("Pause");
      expect(w.upstream.headers).toBeNull();
    });
    expect(h.logs("info")).toContain(`release from ${callback}: 0`);
    expect(w.upstream.headers?.get(":path")).toBe("/wait");
  });

  it("from the root's onDone, when the plugin shuts down", async () => {
    const h = await host();
    const w = h.stream();
    expect(w.requestHeaders({ ...GET, ":path": "/wait" })).toBe("Pause");
    h.close();
    expect(h.logs("info")).toContain("release from done: 0");
    expect(w.upstream.headers?.get(":path")).toBe("/wait");
  });

  it("from the root's onDelete, after its onDone acted on the held request", async () => {
    // The root's onDone made the held request effective last: its delete must know the host
    // runs the root again, or the release would skip making the request effective.
    const h = await host();
    const w = h.stream();
    expect(w.requestHeaders({ ...GET, ":path": "/wait/shutdown" })).toBe("Pause");
    h.close();
    expect(h.logs("info")).toContain("release from root-delete: 0");
    expect(w.upstream.headers?.get("x-mark-root-done")).toBe("1");
    expect(w.upstream.headers?.get("x-mark-root-delete")).toBe("1");
  });

  it("a handle to a stream the host deleted answers NotFound, without a host call", async () => {
    const h = await host();
    const w = h.stream();
    expect(w.requestHeaders({ ...GET, ":path": "/wait" })).toBe("Pause");
    w.reset();
    const calls = h.coverage.hostCalls.get("proxy_set_effective_context") ?? 0;
    h.callForeignFunction(1);
    expect(h.logs("info")).toContain("release from foreign: 1");
    expect(h.coverage.hostCalls.get("proxy_set_effective_context") ?? 0).toBe(calls);
  });

  it("from the root's onForeignFunction", async () => {
    const h = await host();
    const w = h.stream();
    expect(w.requestHeaders({ ...GET, ":path": "/wait" })).toBe("Pause");
    h.callForeignFunction(1);
    expect(h.logs("info")).toContain("release from foreign: 0");
    expect(w.upstream.headers?.get(":path")).toBe("/wait");
  });
});

describe("gRPC handlers run with the stream that made the call effective", () => {
  it("a stream's initial metadata, message, trailing metadata and close", async () => {
    const h = await host();
    const res = await h.request({ path: "/grpc/stream" });
    expect(res.upstream?.path).toBe("/grpc/stream");
    expect(h.logs("info")).toEqual([
      "grpc initial: /grpc/stream",
      "grpc message: /grpc/stream",
      "grpc trailing: /grpc/stream",
      "grpc close: /grpc/stream",
    ]);
  });

  it("a unary call's answer", async () => {
    const h = await host();
    const res = await h.request({ path: "/grpc/unary" });
    expect(res.upstream?.path).toBe("/grpc/unary");
    expect(h.logs("info")).toEqual(["grpc message: /grpc/unary"]);
  });
});

/** The root context of plugin `name` in the host's first VM. */
function rootOf(h: Host, name: string): RootContextState {
  const vm = h.vms[0];
  const root =
    vm &&
    [...vm.contexts.values()].find(
      (c): c is RootContextState => c instanceof RootContextState && c.plugin.name === name,
    );
  if (!root) throw new Error(`no root of plugin ${name}`);
  return root;
}

describe("a header batch left open is written at the end of every callback", () => {
  // Stream W is held in its request headers. In the callback each case names, the filter
  // opens a batch on W's request headers through W's handle (which makes W effective), adds
  // x-mark-<callback> and leaves the batch open. Only the end of that callback writes it
  // while W is effective; a later write would go to whichever context is effective then.
  // The root's onForeignFunction(1) then resumes W, and W's upstream must see the mark.
  const cases: Array<[string, (h: Host) => Promise<void> | void]> = [
    ["foreign", (h) => h.callForeignFunction(2)],
    ["tick", (h) => h.advance(1000)],
    [
      "queue",
      (h) => {
        const root = rootOf(h, h.plugin.name);
        root.queueReady(1);
      },
    ],
    ...["vm-start", "configure", "configure-end"].map((callback): [string, (h: Host) => void] => [
      callback,
      (h) => {
        // One more plugin starting in the running VM (as Envoy starts one with the same VM
        // settings) while W is held: its root's start and configure act on W's handle.
        const vm = h.vms[0];
        if (!vm) throw new Error("no VM");
        const late = new RootContextState(vm, 98, { ...h.plugin, name: "late" });
        vm.contexts.set(late.id, late);
        expect(vm.call("proxy_on_vm_start", late, late.id, 0)).toBe(1);
        if (callback !== "vm-start")
          expect(vm.call("proxy_on_configure", late, late.id, 0)).toBe(1);
      },
    ]),
    [
      "callout",
      async (h) => {
        await h.request({ path: "/mark/callout" });
      },
    ],
    ...["grpc-initial", "grpc-message", "grpc-trailing", "grpc-close"].map(
      (callback): [string, (h: Host) => Promise<void>] => [
        callback,
        async (h) => {
          await h.request({ path: `/mark/${callback}` });
        },
      ],
    ),
    ...[
      "request-headers",
      "request-body",
      "request-trailers",
      "response-headers",
      "response-body",
      "response-trailers",
    ].map((callback): [string, (h: Host) => void] => [
      callback,
      (h) => {
        const r = h.stream();
        r.requestHeaders({ ...GET, ":path": `/mark/${callback}` }, { endOfStream: false });
        r.requestBody("x", { endOfStream: false });
        r.requestTrailers({ "x-t": "1" });
        r.responseHeaders({ ":status": "200" }, { endOfStream: false });
        r.responseBody("y", { endOfStream: false });
        r.responseTrailers({ "x-t": "1" });
      },
    ]),
    ...["log", "done", "delete"].map((callback): [string, (h: Host) => void] => [
      callback,
      (h) => {
        const r = h.stream();
        r.requestHeaders({ ...GET, ":path": `/mark/${callback}` });
        r.responseHeaders({ ":status": "200" });
        r.complete();
      },
    ]),
  ];

  it.each(cases)("in %s", async (callback, mark) => {
    const h = await host();
    const w = h.stream();
    expect(w.requestHeaders({ ...GET, ":path": "/wait" })).toBe("Pause");
    await mark(h);
    expect(w.upstream.headers).toBeNull();
    // A stream of its own in between: a batch still open would be written at the end of its
    // callback, into its headers (and the release below would not write it into W's).
    const between = await h.request({ path: "/between" });
    expect(between.upstream?.headers[`x-mark-${callback}`]).toBeUndefined();
    h.callForeignFunction(1);
    expect(h.logs("info")).toContain("release from foreign: 0");
    expect(w.upstream.headers?.get(`x-mark-${callback}`)).toBe("1");
    expect(h.logs("warn")).toEqual([]);
  });

  it.each(["first callback", "announced"])(
    "in the root's createHttpContext, made at the stream's %s",
    async (kind) => {
      // Announced, the host runs proxy_on_context_create for the new stream (its parent
      // effective): the held request's callback was the VM's last, and only the end of that
      // callback writes the batch while the held request is effective.
      const h = await host(kind === "announced" ? { module: announced } : {});
      const w = h.stream();
      expect(w.requestHeaders({ ...GET, ":path": "/wait/mark-create" })).toBe("Pause");
      const r = h.stream();
      expect(r.requestHeaders({ ...GET, ":path": "/r" })).toBe("Continue");
      expect(r.upstream.headers?.get("x-mark-create")).toBeUndefined();
      h.callForeignFunction(1);
      expect(h.logs("info")).toContain("release from foreign: 0");
      expect(w.upstream.headers?.get("x-mark-create")).toBe("1");
      expect(h.logs("warn")).toEqual([]);
    },
  );

  it("in a stream's request headers, before its own first call", async () => {
    // The held request's callback was the VM's last: the dispatcher must know the new
    // stream's callback runs now, or the handle would skip making W effective.
    const h = await host();
    const w = h.stream();
    expect(w.requestHeaders({ ...GET, ":path": "/wait/mark-first" })).toBe("Pause");
    const r = h.stream();
    expect(r.requestHeaders({ ...GET, ":path": "/r" })).toBe("Continue");
    expect(r.upstream.headers?.get("x-mark-first")).toBeUndefined();
    h.callForeignFunction(1);
    expect(h.logs("info")).toContain("release from foreign: 0");
    expect(w.upstream.headers?.get("x-mark-first")).toBe("1");
    expect(h.logs("warn")).toEqual([]);
  });

  it("in each callback of a TCP connection (a root of the same VM)", async () => {
    const h = await host({ sharedVm: [{ name: "t", rootId: "tcp", configuration: "" }] });
    const w = h.stream();
    expect(w.requestHeaders({ ...GET, ":path": "/wait" })).toBe("Pause");
    const c = h.connect({ plugin: "t" });
    expect(c.downstreamData(bytes("ping"))).toBe("Continue");
    expect(c.upstreamData(bytes("pong"))).toBe("Continue");
    c.closeUpstream();
    c.closeDownstream();
    h.callForeignFunction(1);
    expect(h.logs("info")).toContain("release from foreign: 0");
    for (const callback of [
      "new",
      "downstream-data",
      "upstream-data",
      "downstream-close",
      "upstream-close",
    ]) {
      expect(w.upstream.headers?.get(`x-mark-tcp-${callback}`), callback).toBe("1");
    }
    expect(h.logs("warn")).toEqual([]);
  });

  it.each(["downstream", "upstream"])(
    "in a connection's %s close right after the held request's own callback",
    async (side) => {
      // The held request's callback was the VM's last: the close callback must be recorded as
      // the connection's, or the batch's write would skip making W effective.
      const h = await host({ sharedVm: [{ name: "t", rootId: "tcp", configuration: "" }] });
      const c = h.connect({ plugin: "t" });
      const w = h.stream();
      expect(w.requestHeaders({ ...GET, ":path": "/wait" })).toBe("Pause");
      if (side === "upstream") c.closeUpstream();
      else c.closeDownstream();
      h.callForeignFunction(1);
      expect(h.logs("info")).toContain("release from foreign: 0");
      expect(w.upstream.headers?.get(`x-mark-tcp-${side}-close`)).toBe("1");
      expect(h.logs("warn")).toEqual([]);
    },
  );
});

describe("a root that makes no stream contexts", () => {
  it("lets every HTTP callback pass: headers, body and trailers both ways", async () => {
    const h = await host({ rootId: "pass" });
    const s = h.stream();
    expect(s.requestHeaders({ ...GET, ":path": "/p" }, { endOfStream: false })).toBe("Continue");
    expect(s.requestBody("body", { endOfStream: false })).toBe("Continue");
    expect(s.requestTrailers({ "x-t": "1" })).toBe("Continue");
    expect(s.responseHeaders({ ":status": "200" }, { endOfStream: false })).toBe("Continue");
    expect(s.responseBody("answer", { endOfStream: false })).toBe("Continue");
    expect(s.responseTrailers({ "x-t": "2" })).toBe("Continue");
    s.complete();
    expect(s.trap).toBeNull();
    expect(new TextDecoder().decode(s.upstream.body)).toBe("body");
    expect(new TextDecoder().decode(s.downstream.body)).toBe("answer");
  });

  it("lets a connection's data pass both ways", async () => {
    const h = await host({ rootId: "pass" });
    const c = h.connect();
    expect(c.steps).toEqual([{ callback: "proxy_on_new_connection", action: "Continue" }]);
    expect(c.downstreamData(bytes("ping"))).toBe("Continue");
    expect(c.upstreamData(bytes("pong"))).toBe("Continue");
    c.closeDownstream();
    c.closeUpstream();
    expect(new TextDecoder().decode(c.toUpstream)).toBe("ping");
    expect(new TextDecoder().decode(c.toDownstream)).toBe("pong");
  });
});

describe("a connection's data", () => {
  it("passes both ways through a stream context that overrides no callback", async () => {
    const h = await host({ rootId: "tcp-plain" });
    const c = h.connect();
    expect(c.steps).toEqual([{ callback: "proxy_on_new_connection", action: "Continue" }]);
    expect(c.downstreamData(bytes("ping"))).toBe("Continue");
    expect(c.upstreamData(bytes("pong"))).toBe("Continue");
    expect(new TextDecoder().decode(c.toUpstream)).toBe("ping");
    expect(new TextDecoder().decode(c.toDownstream)).toBe("pong");
  });

  it("each direction's callback reads the other's held bytes from the host", async () => {
    // The length the host announced to a data callback is that callback's alone: the other
    // direction's callback asks the host.
    const h = await host({ rootId: "tcp" });
    const c = h.connect();
    expect(c.downstreamData(bytes("hold"))).toBe("Pause");
    expect(c.upstreamData(bytes("hold"))).toBe("Pause");
    expect(c.downstreamData(bytes("more"))).toBe("Continue");
    expect(h.logs("info")).toEqual([
      "upstream bytes held: 0",
      "downstream bytes held: 4",
      "upstream bytes held: 4",
    ]);
    expect(new TextDecoder().decode(c.toUpstream)).toBe("holdmore");
  });
});

describe("the host's log level", () => {
  it("a level changed on the host takes effect from the next stream on", async () => {
    const h = await host({ logLevel: "info" });
    const debug = async (path: string) => (await h.request({ path })).upstream?.headers["x-debug"];
    expect(await debug("/l/1")).toBe("off");
    expect(h.logs("debug")).not.toContain("request /l/1");
    h.world.logLevel = LOG_LEVELS.indexOf("debug");
    expect(await debug("/l/2")).toBe("on");
    expect(h.logs("debug")).toContain("request /l/2");
    h.world.logLevel = LOG_LEVELS.indexOf("info");
    expect(await debug("/l/3")).toBe("off");
  });

  it("a stream keeps the level it started with, trace too, when the host changes it meanwhile", async () => {
    const h: Host = await host({
      logLevel: "trace",
      // The level changes while the request is upstream: between the stream's two callbacks.
      upstream: () => {
        h.world.logLevel = LOG_LEVELS.indexOf("info");
        return { status: 200, body: "ok" };
      },
    });
    const first = await h.request({ path: "/l/1" });
    expect(first.headers["x-debug"]).toBe("on");
    const second = await h.request({ path: "/l/2" });
    expect(second.headers["x-debug"]).toBe("off");
  });
});

/** A plugin that went away (a configuration update removed it): its root is done and deleted. */
function removePlugin(h: Host, name: string): void {
  const vm = h.vms[0];
  if (!vm) throw new Error("no VM");
  const root = [...vm.contexts.values()].find(
    (c): c is RootContextState => c instanceof RootContextState && c.plugin.name === name,
  );
  if (!root) throw new Error(`no root of plugin ${name}`);
  vm.call("proxy_on_done", root, root.id);
  root.delete();
}

describe("several roots in one VM", () => {
  it("with one root_id, streams go to the newest live root", async () => {
    const h = await host({
      configuration: "first",
      sharedVm: [
        { name: "p", rootId: "pass", configuration: "" },
        { name: "second", rootId: "d", configuration: "second" },
      ],
    });
    const config = async (path: string) =>
      (await h.request({ path })).upstream?.headers["x-config"];
    expect(await config("/r/1")).toBe("second");
    // Plugins go away (a configuration update removed them): each root is done and deleted,
    // and streams go to the newest root left with their root_id.
    removePlugin(h, "p");
    expect(await config("/r/2")).toBe("second");
    removePlugin(h, "second");
    expect(await config("/r/3")).toBe("first");
    // The last root gone, a stream has no root to go to: the VM stops, naming the callback.
    removePlugin(h, h.plugin.name);
    const orphan = await h.request({ path: "/r/4" });
    expect(orphan.trap?.message).toMatch(/proxy_on_request_headers/);
    expect(h.logs("critical").join("\n")).toMatch(/unknown context id in proxy_on_request_headers/);
  });

  it("roots removed from the front and the back: each stream finds its own root, or none", async () => {
    const h = await host({
      configuration: "first",
      sharedVm: [
        { name: "p", rootId: "pass", configuration: "" },
        { name: "t", rootId: "tcp", configuration: "" },
        { name: "second", rootId: "d", configuration: "second" },
      ],
    });
    // The first root gone, the others move up in the dispatcher's lists: a stream of the
    // root that was second still finds it (not the one after it, which makes no HTTP streams).
    removePlugin(h, h.plugin.name);
    const passing = h.stream({ plugin: "p" });
    expect(passing.requestHeaders({ ...GET, ":path": "/p" })).toBe("Continue");
    expect(passing.trap).toBeNull();
    expect((await h.request({ path: "/r" })).upstream?.headers["x-config"]).toBe("second");
    // The last root gone: its root_id names no live root, though the lists once held it there.
    removePlugin(h, "second");
    const orphan = await h.request({ path: "/r" });
    expect(orphan.trap?.message).toMatch(/proxy_on_request_headers/);
    expect(h.logs("critical").join("\n")).toMatch(
      /no root context registered for root_id "d" in proxy_on_request_headers \(context \d+\)/,
    );
  });

  it("finds a stream's root by its plugin_root_id only when the VM has several", async () => {
    const reads = async (h: Host) => {
      const before = h.coverage.hostCalls.get("proxy_get_property") ?? 0;
      const res = await h.request({ path: "/r" });
      expect(res.upstream?.path).toBe("/r");
      return (h.coverage.hostCalls.get("proxy_get_property") ?? 0) - before;
    };
    expect(await reads(await host())).toBe(0);
    const shared = await host({ sharedVm: [{ name: "p", rootId: "pass", configuration: "" }] });
    expect(await reads(shared)).toBe(1);
  });

  it("a stream whose plugin_root_id names no root in the VM aborts, naming it and the callback", async () => {
    const h = await host({ sharedVm: [{ name: "p", rootId: "pass", configuration: "" }] });
    h.world.properties.set("plugin_root_id", bytes("gone"));
    const res = await h.request({ path: "/r" });
    expect(res.trap?.message).toMatch(/proxy_on_request_headers/);
    expect(h.logs("critical").join("\n")).toMatch(
      /no root context registered for root_id "gone" in proxy_on_request_headers \(context \d+\)/,
    );
  });

  it("a plugin whose root_id no root is registered for stops, naming it and the ones registered", async () => {
    // A plugin starting in a running VM (as Envoy starts one more plugin with the same VM
    // settings) whose root_id the module does not know.
    const h = await host();
    const vm = h.vms[0];
    if (!vm) throw new Error("no VM");
    const stranger = new RootContextState(vm, 99, { ...h.plugin, rootId: "nope" });
    vm.contexts.set(stranger.id, stranger);
    expect(() => vm.call("proxy_on_vm_start", stranger, stranger.id, 0)).toThrow(
      /proxy_on_vm_start/,
    );
    expect(h.logs("critical")).toContain(
      'meshwasm: no root context registered for root_id "nope"; registered: "d", "pass", "tcp", "tcp-plain"',
    );
  });
});

describe("what the dispatcher keeps per context and per call is let go", () => {
  /** Runs `n` times `once`, after as many to warm up: the VM's memory must not grow. */
  async function flat(h: Host, n: number, once: (i: number) => Promise<void> | void) {
    for (let i = 0; i < n; i++) await once(i);
    const warm = h.memoryBytes();
    for (let i = 0; i < n * 4; i++) await once(i);
    expect(h.memoryBytes()).toBe(warm);
  }

  it("answered callouts and gRPC calls", async () => {
    const h = await host();
    await flat(h, 300, async (i) => {
      const path = ["/callout", "/grpc/unary", "/grpc/stream"][i % 3] ?? "";
      expect((await h.request({ path })).upstream?.path).toBe(path);
    });
  });

  it("unary gRPC calls, answered and failed", async () => {
    // A unary call's token is kept until its answer or its failure: a token left behind is a
    // few bytes, so it takes thousands of calls to show in the VM's pages.
    let calls = 0;
    const h = await host({
      grpcClusters: {
        grpc: (call) =>
          call.stream
            ? undefined
            : calls++ % 2 === 0
              ? { messages: [bytes("pong")] }
              : { status: 14 },
      },
    });
    await flat(h, 2000, async () => {
      expect((await h.request({ path: "/grpc/unary" })).upstream?.path).toBe("/grpc/unary");
    });
    expect(h.logs("info").filter((l) => l === "grpc close: /grpc/unary")).toHaveLength(5000);
  });

  it("connections, and streams and connections that pass through", async () => {
    for (const rootId of ["tcp", "pass"]) {
      const h = await host({ rootId });
      await flat(h, 300, async () => {
        const c = h.connect();
        c.downstreamData(bytes("ping"));
        c.closeDownstream();
        c.closeUpstream();
        if (rootId === "pass") {
          const s = h.stream();
          s.requestHeaders({ ...GET, ":path": "/p" });
          s.responseHeaders({ ":status": "200" });
          s.complete();
        }
      });
    }
  });
});
