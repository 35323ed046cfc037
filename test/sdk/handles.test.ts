// Contexts (assembly/context.ts), with test/modules/handles: callouts made through
// a handle to a stream the host deleted answer NotFound with no token and no host call, and a
// root that keeps Context's default onDone is done when the host asks (so it is deleted), and
// a root reads its own configuration after acting on a stream, whole-body buffering's overflow
// flags, and contexts that override nothing going on at every callback.

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host } from "../../src/testing/index.ts";
import { RootContextState } from "../../src/testing/vm.ts";
import { WA, type WasmModule } from "../../src/testing/wasm-api.ts";
import { buildTestModule } from "../modules/build.ts";

let module: WasmModule;

beforeAll(async () => {
  module = await WA.compile(await readFile(await buildTestModule("handles")));
}, 300_000);

describe("a handle to a deleted stream", () => {
  it("makes no callout: each answers NotFound (1) with token 0", async () => {
    const h = await createHost({
      module,
      rootId: "handles",
      clusters: { callout: () => ({ status: 200, body: "ok" }) },
      grpcClusters: { grpc: () => ({ messages: [] }) },
    });
    await h.request({ path: "/first" });
    h.world.logs.length = 0;
    const calls = (name: string) => h.coverage.hostCalls.get(name) ?? 0;
    const before = [calls("proxy_http_call"), calls("proxy_grpc_call"), calls("proxy_grpc_stream")];
    await h.request({ path: "/last" });
    expect(h.logs("info").filter((l) => l !== "stream done")).toEqual([
      "http 1 0",
      "grpc 1 0",
      "stream 1 0",
    ]);
    expect([
      calls("proxy_http_call"),
      calls("proxy_grpc_call"),
      calls("proxy_grpc_stream"),
    ]).toEqual(before);
  });
});

describe("Context's default onDone", () => {
  it("says done, so the host deletes a root that keeps it", async () => {
    const h = await createHost({ module, rootId: "handles" });
    await h.request({ path: "/" });
    expect(h.logs("info").slice(1)).toEqual(["stream done"]);
    h.close();
    expect(h.logs("info").slice(1)).toEqual(["stream done", "root delete"]);
  });
});

describe("a root's configuration", () => {
  it("is its own, read after its onConfigure acted on a stream", async () => {
    const h = await createHost({ module, rootId: "handles", configuration: "first" });
    expect(h.logs("info")).toEqual(["configured: first"]);
    // A stream in progress: the next root's onConfigure resumes it through its handle first.
    h.stream().requestHeaders(
      { ":method": "GET", ":path": "/", ":authority": "a" },
      { endOfStream: false },
    );
    const vm = h.vms[0];
    if (!vm) throw new Error("no VM");
    // A configuration update as Envoy makes one: a new root context in the running VM.
    const root = new RootContextState(vm, 90, { ...h.plugin, name: "updated" });
    vm.contexts.set(root.id, root);
    expect(vm.call("proxy_on_vm_start", root, root.id, 0)).toBe(1);
    root.configuring = new TextEncoder().encode("second");
    expect(vm.call("proxy_on_configure", root, root.id, 6)).toBe(1);
    expect(h.logs("info").slice(1)).toEqual(["resume 0", "configured: second"]);
  });
});

describe("whole-body buffering's overflow flags", () => {
  it("are false until a body outgrows its limit, then true for that body alone", async () => {
    const h = await createHost({ module, rootId: "handles" });
    h.world.logs.length = 0;
    await h.request({ path: "/buffer", method: "POST", body: "abc" });
    expect(h.logs("info")).toEqual(["body 3", "overflowed no no", "stream done"]);
    h.world.logs.length = 0;
    const res = await h.request({ path: "/buffer", method: "POST", body: "abcdefgh" });
    expect(res.upstream?.body).toBe("abcdefgh");
    expect(h.logs("info")).toEqual(["overflowed yes no", "stream done"]);
  });
});

describe("contexts that override nothing", () => {
  it("an HTTP stream goes on at each of its callbacks", async () => {
    const h = await createHost({ module, rootId: "plain" });
    const s = h.stream();
    const GET = { ":method": "POST", ":authority": "a", ":path": "/p" };
    expect(s.requestHeaders(GET, { endOfStream: false })).toBe("Continue");
    expect(s.requestBody("sent", { endOfStream: false })).toBe("Continue");
    expect(s.requestTrailers({ "x-qt": "1" })).toBe("Continue");
    expect(s.responseHeaders({ ":status": "200" }, { endOfStream: false })).toBe("Continue");
    expect(s.responseBody("back", { endOfStream: false })).toBe("Continue");
    expect(s.responseTrailers({ "x-rt": "1" })).toBe("Continue");
    expect(s.upstream.headers?.get(":path")).toBe("/p");
  });

  it("a TCP connection goes on at each of its callbacks", async () => {
    const h = await createHost({ module, rootId: "plain-tcp" });
    const c = h.connect();
    expect(c.downstreamData(new TextEncoder().encode("ping"))).toBe("Continue");
    expect(c.upstreamData(new TextEncoder().encode("pong"))).toBe("Continue");
    expect(new TextDecoder().decode(c.toUpstream)).toBe("ping");
    expect(new TextDecoder().decode(c.toDownstream)).toBe("pong");
  });
});

const REQUEST = { ":method": "GET", ":authority": "a" };

/** The info lines logged while `run` ran. */
async function logged(h: Host, run: () => unknown): Promise<string[]> {
  const before = h.logs("info").length;
  await run();
  return h
    .logs("info")
    .slice(before)
    .filter((l) => l !== "stream done");
}

describe("an HTTP stream's own calls", () => {
  it("bufferResponseBody delivers the response body once, whole", async () => {
    const h = await createHost({ module, rootId: "handles" });
    const s = h.stream();
    s.requestHeaders({ ...REQUEST, ":path": "/buffer-response" }, { endOfStream: true });
    s.responseHeaders({ ":status": "200" }, { endOfStream: false });
    const lines = await logged(h, () => {
      s.responseBody("xy", { endOfStream: false });
      s.responseBody("z", { endOfStream: true });
    });
    expect(lines).toEqual(["response body 3 yes"]);
  });

  it("continueResponse before the response answers BadArgument (2)", async () => {
    const h = await createHost({ module, rootId: "handles" });
    expect(await logged(h, () => h.request({ path: "/continue-response" }))).toEqual([
      "continue response 2",
    ]);
  });

  it("resetStream resets the stream", async () => {
    const h = await createHost({ module, rootId: "handles" });
    let res: Awaited<ReturnType<Host["request"]>> | undefined;
    expect(
      await logged(h, async () => {
        res = await h.request({ path: "/reset" });
      }),
    ).toEqual(["reset 0"]);
    expect(res?.reset).toBe(true);
    expect(res?.upstream).toBeNull();
  });

  it("a handle reads its own stream's response, from another stream's callback", async () => {
    const h = await createHost({ module, rootId: "handles" });
    const a = h.stream();
    a.requestHeaders({ ...REQUEST, ":path": "/keep" }, { endOfStream: true });
    a.responseHeaders({ ":status": "200", "x-who": "a" }, { endOfStream: false });
    const b = h.stream();
    expect(
      await logged(h, () =>
        b.requestHeaders({ ...REQUEST, ":path": "/peek" }, { endOfStream: true }),
      ),
    ).toEqual(["peek a"]);
  });
});

describe("a connection's handle, from another connection's callback", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it("reads its own bytes and closes its own sides", async () => {
    for (const side of ["downstream", "upstream"] as const) {
      const h = await createHost({ module, rootId: "tcp" });
      const first = h.connect();
      expect(first.downstreamData(bytes("held down"))).toBe("Pause");
      expect(first.upstreamData(bytes("held up"))).toBe("Pause");
      const second = h.connect();
      const close = side === "downstream" ? "close-down own" : "close-up own";
      const lines = await logged(h, () => {
        if (side === "downstream") second.downstreamData(bytes(close));
        else second.upstreamData(bytes(close));
        h.advance(0);
      });
      expect(lines).toEqual([
        side === "downstream" ? "first's downstream held down" : "first's upstream held up",
        `close ${side} 0`,
        `close own ${side} 0`,
      ]);
      expect(first.closedByFilter).toBe(side);
      expect(second.closedByFilter).toBe(side);
    }
  });
});
