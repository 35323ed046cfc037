// The testing API beyond what the conformance suite exercises: several workers sharing one
// vm_id, the virtual clock, callouts answered by the test, properties set by the test.

import { describe, expect, it } from "vitest";
import { createHost, PluginStartError } from "../../src/testing/index.ts";
import { grpcEchoHandler, startGrpcEchoServer } from "../conformance/servers.ts";
import { buildTestModule } from "../modules/build.ts";

const module = await buildTestModule("conformance");

describe("workers", () => {
  it("share shared data across VMs of one vm_id", async () => {
    const host = await createHost({ module, workers: 2, vmId: "shared" });
    await host.request({ path: "/shared/set", worker: 0 });
    const read = await host.request({ path: "/shared/get", worker: 1 });
    expect(read.headers["x-note-value"]).toBe("hello-shared");
    expect(new TextDecoder().decode(host.sharedData("conf_key"))).toBe("hello-shared");
    expect(host.vms).toHaveLength(2);
  });

  it("wake the VM that registered a queue when another worker enqueues", async () => {
    const host = await createHost({ module, workers: 2, vmId: "q" });
    // Both workers register "conf_queue"; the last registration (worker 1) gets the wake-up,
    // dequeues the item and stores it in shared data, where worker 0 reads it.
    await host.request({ path: "/queue/enqueue", worker: 0 });
    expect(host.queueSize("conf_queue")).toBe(0);
    const read = await host.request({ path: "/queue/read", worker: 0 });
    expect(read.headers["x-note-last"]).toBe("queued-item");
    expect(host.coverage.callbacks.get("proxy_on_queue_ready")).toBe(1);
  });

  it("count metrics once per process, whichever worker records", async () => {
    const host = await createHost({ module, workers: 3 });
    for (let i = 0; i < 6; i++) await host.request({ path: "/x" });
    expect(host.counter("conf_requests")).toBe(6);
  });
});

describe("virtual clock", () => {
  it("fires ticks only when the test advances time", async () => {
    const host = await createHost({ module, configuration: "tick" });
    expect(host.tickPeriod()).toBe(20);
    expect(host.counter("conf_ticks")).toBe(0);
    host.advance(19);
    expect(host.counter("conf_ticks")).toBe(0);
    host.advance(1);
    expect(host.counter("conf_ticks")).toBe(1);
    host.advance(100);
    expect(host.counter("conf_ticks")).toBe(6);
  });
});

describe("callouts answered by the test", () => {
  it("stay pending until answered, then resume the request", async () => {
    const host = await createHost({ module, clusters: { callout: () => undefined } });
    const stream = host.stream();
    const action = stream.requestHeaders(
      { ":method": "GET", ":path": "/callout/ok", ":authority": "a" },
      { endOfStream: true },
    );
    expect(action).toBe("Pause");
    const [call] = host.pendingHttpCalls;
    expect(call?.cluster).toBe("callout");
    expect(call?.headers.get(":path")).toBe("/from-callout");
    expect(stream.upstream.headers).toBeNull();
    call?.respond({ status: 201, body: '{"path":"/from-callout"}' });
    await host.settle();
    expect(stream.upstream.headers?.get("x-from-callout")).toBe("201");
    expect(stream.upstream.complete).toBe(true);
  });

  it("report a reset as Envoy does: no headers, BrokenConnection", async () => {
    const host = await createHost({
      module,
      clusters: { refused: () => ({ failure: "reset" }) },
    });
    const res = await host.request({ path: "/callout/refused" });
    expect(res.headers["x-note-callout-status"]).toBe("<none>");
    expect(res.headers["x-note-get-status"]).toBe("11");
  });
});

describe("properties", () => {
  it("can be set by the test, overriding the host's values", async () => {
    const host = await createHost({ module, properties: { "source.address": "10.1.2.3:4444" } });
    const res = await host.request({ path: "/props/connection" });
    expect(res.headers["x-note-source-loopback"]).toBe("no");
  });
});

describe("gRPC answered by a handler", () => {
  it("delivers a unary response and a stream's events in Envoy's order", async () => {
    const host = await createHost({ module, grpcClusters: { grpc: grpcEchoHandler } });
    const unary = await host.request({ path: "/grpc/unary" });
    expect(unary.headers["x-note-grpc-message"]).toBe("pong:ping");
    const stream = await host.request({ path: "/grpc/stream" });
    expect(stream.headers["x-note-initial-md"]).toBe("yes");
    expect(stream.headers["x-note-grpc-message"]).toBe("echo:one");
    expect(stream.headers["x-note-grpc-close"]).toBe("0");
    const call = host.grpcCalls.find((c) => c.stream);
    expect(call?.method).toBe("Chat");
    expect(call?.metadata.get("x-md")).toBe("1");
    expect(new TextDecoder().decode(call?.sent[0])).toBe("one");
  });
});

describe("gRPC call timeouts", () => {
  // Envoy's answer (UNAVAILABLE, its timeout text) is pinned by the conformance scenario.
  const timedOut = (res: { headers: Record<string, string | undefined> }) => [
    res.headers["x-note-grpc-close"],
    res.headers["x-note-grpc-close-message"],
  ];

  it("end a call nobody answers on the virtual clock", async () => {
    const host = await createHost({ module, grpcClusters: { grpc: grpcEchoHandler } });
    host.advance(5_000);
    const started = host.world.clock.nowMs();
    expect(started).toBe(5_000);
    const res = await host.request({ path: "/grpc/unary-timeout" });
    expect(timedOut(res)).toEqual(["14", "upstream request timeout{response_timeout}"]);
    expect(host.grpcCalls.find((c) => c.method === "Slow")).toBeDefined();
    // The client waited exactly the call's 300 ms of virtual time.
    expect(host.world.clock.nowMs() - started).toBe(300);
  });

  it("end a call a real server never answers, in real time", async () => {
    const server = await startGrpcEchoServer();
    try {
      const host = await createHost({
        module,
        grpcClusters: { grpc: `http://127.0.0.1:${server.port}` },
      });
      const started = performance.now();
      const res = await host.request({ path: "/grpc/unary-timeout" });
      expect(timedOut(res)).toEqual(["14", "upstream request timeout{response_timeout}"]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      const ok = await host.request({ path: "/grpc/unary" });
      expect(ok.headers["x-note-grpc-message"]).toBe("pong:ping");
    } finally {
      await server.close();
    }
  });
});

describe("the upstream's response, as Envoy's codec hands it to the filter and the client", () => {
  it("frames a body without a length with one, defaults the status to 200, adds Envoy's headers", async () => {
    const host = await createHost({ module, upstream: () => ({ body: ["ab", "cde"] }) });
    const res = await host.request({ path: "/response/eos" });
    expect(res.status).toBe(200);
    expect(res.body).toBe("abcde");
    expect(res.headers["x-note-resp-headers-eos"]).toBe("no");
    expect(res.headerMap.getAll("content-length")).toStrictEqual(["5"]);
    expect(res.headers["x-envoy-upstream-service-time"]).toBe("0");
    expect(res.headers.server).toBe("envoy");
    // Pseudo-headers stay out of the plain record; the map keeps :status.
    expect(Object.keys(res.headers).filter((k) => k.startsWith(":"))).toStrictEqual([]);
    expect(res.headerMap.get(":status")).toBe("200");
    // The filter saw the headers first, then the body, the last chunk ending the stream.
    expect(res.steps.map((s) => s.callback)).toContain("proxy_on_response_body");
  });

  it("keeps the upstream's own status and length, and gives an empty body a zero length", async () => {
    const own = await createHost({
      module,
      upstream: () => ({ status: 404, headers: { "content-length": "2" }, body: "no" }),
    });
    const res = await own.request({ path: "/response/eos" });
    expect(res.status).toBe(404);
    expect(res.headerMap.getAll("content-length")).toStrictEqual(["2"]);
    const empty = await createHost({ module, upstream: () => ({ status: 204 }) });
    const none = await empty.request({ path: "/response/eos" });
    expect(none.status).toBe(204);
    expect(none.body).toBe("");
    expect(none.paused).toBe(false);
    expect(none.headers["x-note-resp-headers-eos"]).toBe("yes");
    expect(none.headerMap.getAll("content-length")).toStrictEqual(["0"]);
    expect(none.steps.map((s) => s.callback)).not.toContain("proxy_on_response_body");
  });

  it("drops an HTTP/1.1 upstream's trailers, and passes an HTTP/2 upstream's on (no length added)", async () => {
    const upstream = () => ({ body: "abc", trailers: { "grpc-status": "0" } });
    const h1 = await createHost({ module, upstream });
    const one = await h1.request({ path: "/response/eos" });
    expect(one.body).toBe("abc");
    expect(one.trailers).toBeNull();
    expect(one.headerMap.has("content-length")).toBe(false);
    expect(one.steps.map((s) => s.callback)).not.toContain("proxy_on_response_trailers");
    const h2 = await createHost({ module, upstream, upstreamHttp2: true });
    const two = await h2.request({ path: "/response/eos" });
    expect(two.body).toBe("abc");
    expect(two.trailers?.get("grpc-status")).toBe("0");
    expect(two.headerMap.has("content-length")).toBe(false);
    expect(two.steps.map((s) => s.callback)).toContain("proxy_on_response_trailers");
    // Trailers alone, no body: the headers do not end the stream, the trailers do.
    const bare = await createHost({
      module,
      upstream: () => ({ trailers: { "grpc-status": "7" } }),
      upstreamHttp2: true,
    });
    const trailersOnly = await bare.request({ path: "/response/eos" });
    expect(trailersOnly.trailers?.get("grpc-status")).toBe("7");
    expect(trailersOnly.headers["x-note-resp-headers-eos"]).toBe("no");
    expect(one.headers["x-note-resp-headers-eos"]).toBe("no");
  });

  it("leaves a stream the filter still holds unfinished: no log, no done", async () => {
    const host = await createHost({ module });
    const res = await host.request({ path: "/stream/pause-until-tick" });
    expect(res.paused).toBe(true);
    expect(res.status).toBe(0);
    expect(host.coverage.callbacks.get("proxy_on_log") ?? 0).toBe(0);
    expect(host.coverage.callbacks.get("proxy_on_done") ?? 0).toBe(0);
    // A stream that ends is logged and done, once.
    await host.request({ path: "/plain" });
    expect(host.coverage.callbacks.get("proxy_on_log")).toBe(1);
    expect(host.coverage.callbacks.get("proxy_on_done")).toBe(1);
  });
});

describe("plugins, workers and stream ids", () => {
  it("names the callback that refused to start the plugin", async () => {
    const vm = await createHost({ module, vmConfiguration: "refuse" }).catch((e: unknown) => e);
    expect(vm).toBeInstanceOf(PluginStartError);
    expect((vm as PluginStartError).callback).toBe("proxy_on_vm_start");
    expect((vm as Error).message).toBe("Failed to start Wasm VM: proxy_on_vm_start returned false");
    const configure = await createHost({ module, configuration: "refuse" }).catch(
      (e: unknown) => e,
    );
    expect((configure as PluginStartError).callback).toBe("proxy_on_configure");
    // The plugin's lines since its VM started, level first.
    expect((configure as PluginStartError).logs).toContain(
      "error: conformance: configuration refused on purpose",
    );
    // A second plugin of the VM refusing: its own lines, not the first plugin's before it.
    const second = await createHost({
      module,
      sharedVm: [{ name: "other", configuration: "refuse" }],
    }).catch((e: unknown) => e);
    const logs = (second as PluginStartError).logs;
    expect(logs).toContain("error: conformance: configuration refused on purpose");
    expect(logs.filter((l) => l.includes("configured:"))).toStrictEqual([]);
  });

  it("refuses a second plugin of a name the host already has", async () => {
    await expect(createHost({ module, sharedVm: [{ name: "test" }] })).rejects.toThrow(
      'sharedVm[0].name: "test" is already a plugin of this host',
    );
    await expect(
      createHost({ module, sharedVm: [{ name: "a" }, { name: "b" }, { name: "a" }] }),
    ).rejects.toThrow('sharedVm[2].name: "a" is already a plugin of this host');
    const host = await createHost({ module, sharedVm: [{ name: "other" }] });
    expect(() => host.stream({ plugin: "nope" })).toThrow(
      'plugin: no plugin "nope" in this host (plugins: test, other)',
    );
    expect(host.stream({ plugin: "other" }).raw.id).toBeGreaterThan(0);
  });

  it("numbers contexts per worker from 1 (the root), each stream the next", async () => {
    const host = await createHost({ module, workers: 2 });
    const ids = [0, 0, 1, 1, 0].map((worker) => host.stream({ worker }).raw.id);
    // Worker 0: root 1, then 2, 3, 4; worker 1: root 1, then 2, 3.
    expect(ids).toStrictEqual([2, 3, 2, 3, 4]);
  });

  it("puts a stream on the worker asked for, or on each in turn", async () => {
    const host = await createHost({ module, workers: 3 });
    const vmOf = (s: { raw: unknown }) =>
      host.vms.indexOf((s.raw as unknown as { vm: (typeof host.vms)[number] }).vm);
    expect([2, 2, 0].map((worker) => vmOf(host.stream({ worker })))).toStrictEqual([2, 2, 0]);
    expect([0, 0, 0, 0].map(() => vmOf(host.stream()))).toStrictEqual([0, 1, 2, 0]);
  });
});

describe("what the test reads back", () => {
  it("metrics by kind, 0 or nothing for one never defined, and Envoy's Prometheus text", async () => {
    const host = await createHost({ module });
    expect(host.counter("conf_requests")).toBe(0);
    expect(host.gauge("nope")).toBe(0);
    expect(host.histogram("nope")).toStrictEqual([]);
    await host.request({ path: "/metrics/histogram" });
    await host.request({ path: "/metrics/gauge" });
    expect(host.histogram("conf_sizes")).toStrictEqual([42]);
    expect(host.gauge("conf_gauge")).toBe(12);
    // A counter is not read as a gauge of the same name, nor the other way round.
    expect(host.gauge("conf_requests")).toBe(0);
    expect(host.counter("conf_gauge")).toBe(0);
    expect(host.counter("conf_requests")).toBe(2);
    expect(host.prometheus()).toContain("# TYPE conf_requests counter\nconf_requests{} 2\n");
  });

  it("counts the guest allocations the host makes to hand it data", async () => {
    const host = await createHost({ module });
    const before = host.coverage.callbacks.get("malloc") ?? 0;
    await host.request({ path: "/plain", headers: { "x-a": "1" } });
    expect(host.coverage.callbacks.get("malloc") ?? 0).toBeGreaterThan(before);
  });

  it("shared data set by the test as text or bytes", async () => {
    const host = await createHost({ module });
    host.setSharedData("k", "abc");
    expect(new TextDecoder().decode(host.sharedData("k"))).toBe("abc");
    host.setSharedData("k", new Uint8Array([0, 255]));
    expect([...(host.sharedData("k") ?? [])]).toStrictEqual([0, 255]);
  });

  it("a foreign function called on the root, with its arguments readable", async () => {
    const host = await createHost({ module });
    host.callForeignFunction(7, new TextEncoder().encode("xyz"));
    expect(new TextDecoder().decode(host.sharedData("conf_foreign"))).toBe("7:xyz:3");
  });

  it("a worker that does not exist: named for memory, no tick period", async () => {
    const host = await createHost({ module, configuration: "tick" });
    expect(host.memoryBytes(0)).toBeGreaterThan(0);
    expect(() => host.memoryBytes(1)).toThrow("no worker 1: the host has 1");
    expect(host.tickPeriod(0)).toBe(20);
    expect(host.tickPeriod(3)).toBe(0);
  });

  it("pending callouts are those not answered yet; settle waits for answers on their way", async () => {
    const host = await createHost({
      module,
      clusters: {
        // Answered a little later, in real time.
        callout: () =>
          new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: "{}" }), 20)),
      },
    });
    const stream = host.stream();
    stream.requestHeaders(
      { ":method": "GET", ":path": "/callout/ok", ":authority": "a" },
      { endOfStream: true },
    );
    expect(host.pendingHttpCalls).toHaveLength(1);
    await host.settle();
    expect(host.httpCalls).toHaveLength(1);
    expect(host.pendingHttpCalls).toHaveLength(0);
    expect(stream.upstream.complete).toBe(true);
  });

  it("close ends every plugin's root on every worker", async () => {
    const host = await createHost({ module, workers: 2, sharedVm: [{ name: "other" }] });
    host.close();
    expect(host.coverage.callbacks.get("proxy_on_done")).toBe(4);
    expect(host.coverage.callbacks.get("proxy_on_delete")).toBe(4);
  });
});

describe("a failed VM", () => {
  it("is reloaded under FAIL_RELOAD once a second has passed since it was last loaded, not before", async () => {
    const host = await createHost({ module, failurePolicy: "FAIL_RELOAD" });
    // A healthy VM is kept, however long it has run.
    const first = host.vms[0];
    host.advance(5_000);
    expect((await host.request({ path: "/plain" })).status).toBe(200);
    expect(host.vms[0]).toBe(first);
    // Loaded five seconds ago: the first stream after the trap gets a new VM.
    expect((await host.request({ path: "/trap/request-headers" })).status).toBe(503);
    expect((await host.request({ path: "/plain" })).status).toBe(200);
    expect(host.vms[0]).not.toBe(first);
    // Failed again at once: the new VM's reload waits for its second.
    expect((await host.request({ path: "/trap/request-headers" })).status).toBe(503);
    host.advance(999);
    expect((await host.request({ path: "/plain" })).status).toBe(503);
    host.advance(1);
    expect((await host.request({ path: "/plain" })).status).toBe(200);
  });

  it("stays failed under FAIL_CLOSED, however long", async () => {
    const host = await createHost({ module, failurePolicy: "FAIL_CLOSED" });
    expect((await host.request({ path: "/trap/request-headers" })).status).toBe(503);
    host.advance(60_000);
    expect((await host.request({ path: "/plain" })).status).toBe(503);
  });
});

describe("a request's headers and waiting", () => {
  it("takes Host as :authority, else the one given, else example.com", async () => {
    const host = await createHost({ module });
    const fromHost = await host.request({ path: "/plain", headers: { host: "h.example" } });
    expect(fromHost.upstream?.headerMap.get(":authority")).toBe("h.example");
    // The client's Host went up once, as :authority (an HTTP/1 upstream writes it back as Host).
    expect(fromHost.upstream?.headerMap.getAll("host")).toStrictEqual(["h.example"]);
    const given = await host.request({ path: "/plain", authority: "a.example" });
    expect(given.upstream?.headerMap.get(":authority")).toBe("a.example");
    const none = await host.request({ path: "/plain" });
    expect(none.upstream?.headerMap.get(":authority")).toBe("example.com");
    expect(none.upstream?.method).toBe("GET");
    expect(none.upstream?.headerMap.get(":scheme")).toBe("http");
  });

  it("lets a held stream wait through ticks for a minute of virtual time, then reports it held", async () => {
    const host = await createHost({ module, configuration: "tick" });
    const res = await host.request({ path: "/lifecycle/abort" });
    expect(res.paused).toBe(true);
    // Ticks every 20 ms fired through the two waits, a minute each: for the request to pass,
    // then for the response.
    expect(host.counter("conf_ticks")).toBe(6000);
  });
});

describe("a stream driven step by step", () => {
  it("ends each message at the step that does not say otherwise", async () => {
    const host = await createHost({ module });
    const headersOnly = host.stream();
    headersOnly.requestHeaders({ ":method": "GET", ":path": "/plain", ":authority": "a" });
    expect(headersOnly.upstream.complete).toBe(true);
    headersOnly.responseHeaders({ ":status": "204" });
    expect(headersOnly.downstream.complete).toBe(true);
    // The maps as the filter left them.
    expect(headersOnly.requestHeaderMap?.get(":path")).toBe("/plain");
    expect(headersOnly.responseHeaderMap?.get(":status")).toBe("204");

    const withBodies = host.stream();
    withBodies.requestHeaders(
      { ":method": "POST", ":path": "/plain", ":authority": "a" },
      { endOfStream: false },
    );
    expect(withBodies.upstream.complete).toBe(false);
    withBodies.requestBody("abc");
    expect(withBodies.upstream.complete).toBe(true);
    withBodies.responseHeaders({ ":status": "200" }, { endOfStream: false });
    expect(withBodies.downstream.complete).toBe(false);
    withBodies.responseBody("xyz");
    expect(withBodies.downstream.complete).toBe(true);
  });
});
