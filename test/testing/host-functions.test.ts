// The test host's host functions called directly, with pointers into the linear memory of a
// real module: the smallest module the host loads (memory, the ABI marker and a bump
// allocator), so each call's statuses, out-cells and effects are checked one by one, without
// a filter in between that would read only some of them.

import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ByteBuffer, type LocalReply, type RootContextState } from "../../src/testing/contexts.ts";
import { HeaderMap } from "../../src/testing/headers.ts";
import { hostFunctions } from "../../src/testing/hostcalls/index.ts";
import { type Direction, HttpContext, type SideView } from "../../src/testing/http-context.ts";
import { createHost, type HostOptions } from "../../src/testing/index.ts";
import { BufferType, MapType, MetricType, Status, StreamType } from "../../src/testing/status.ts";
import type { Vm } from "../../src/testing/vm.ts";
import { encodePairs, int64Bytes, text, utf8 } from "../../src/testing/wire.ts";
import { WasmBuilder } from "../check/wasm-builder.ts";

/** Where the allocator starts handing out memory; inputs are written below it. */
const HEAP = 4096;
/** Out-cells (a pointer and a size, or a value) the calls write to. */
const P = 8;
const S = 12;
/** One past the end of the module's single page: every access from here is out of bounds. */
const OOB = 65536;

/** memory, proxy_abi_version_0_2_1 and `malloc(size)`: a bump allocator from HEAP. */
function bumpModule(): Uint8Array {
  const b = new WasmBuilder();
  b.memory(1);
  const top = b.mutableGlobal(HEAP);
  b.func([], [], "proxy_abi_version_0_2_1");
  // old = top; top += size; return old
  b.code(["i32"], ["i32"], [0x23, top, 0x23, top, 0x20, 0x00, 0x6a, 0x24, top], "malloc");
  return b.build();
}

type Call = (...args: Array<number | bigint>) => number;

async function start(options: Partial<HostOptions> = {}) {
  const host = await createHost({ module: bumpModule(), ...options });
  const vm = host.vms[0] as Vm;
  const root = host.roots[0] as RootContextState;
  const fns = hostFunctions(vm) as unknown as Record<string, Call>;
  vm.current = root;
  let next = 64;
  const mem = () => {
    vm.refresh();
    return vm.dv;
  };
  return {
    host,
    vm,
    root,
    world: host.world,
    call: (name: string, ...args: Array<number | bigint>) => {
      const fn = fns[name];
      if (!fn) throw new Error(`no host function ${name}`);
      return fn(...args);
    },
    /** Writes `data` below the heap; returns its pointer and size. */
    put(data: string | Uint8Array): [number, number] {
      const bytes = typeof data === "string" ? utf8(data) : data;
      const at = next;
      next += bytes.length + 8;
      vm.refresh();
      vm.u8.set(bytes, at);
      return [at, bytes.length];
    },
    u32: (ptr: number) => mem().getUint32(ptr, true),
    u64: (ptr: number) => mem().getBigUint64(ptr, true),
    /** Marks the out-cells so a call that leaves them alone shows. */
    mark() {
      mem().setUint32(P, 0xdeadbeef, true);
      mem().setUint32(S, 0xdeadbeef, true);
    },
    /** The bytes a call copied out through the out-cells P and S. */
    out(): string {
      const bytes = vm.read(mem().getUint32(P, true), mem().getUint32(S, true));
      return bytes ? text(bytes) : "<out of bounds>";
    },
  };
}

type Env = Awaited<ReturnType<typeof start>>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function side(headers: HeaderMap, body: ByteBuffer | null): Mutable<SideView> {
  return {
    headers,
    headersAvailable: true,
    trailers: new HeaderMap([["t", "1"]]),
    trailersAvailable: true,
    body,
  };
}

/** An HTTP context current in `env`'s VM, over a stream state the test holds. */
function httpContext(env: Env) {
  const events: string[] = [];
  const replies: LocalReply[] = [];
  const request = side(
    new HeaderMap([
      [":path", "/a"],
      ["x-in", "1"],
    ]),
    new ByteBuffer(utf8("hello")),
  );
  const response = side(new HeaderMap([[":status", "200"]]), null);
  const control = {
    request,
    response,
    accessLog: false,
    requestBodyBytes: 5,
    responseBodyBytes: 0,
    upstreamChosen: false,
    responseDetails: null as string | null,
    continueAfterCallback: (dir: Direction) => events.push(`continue ${dir}`),
    resetAfterCallback: () => events.push("reset"),
    localReplyAfterCallback: (reply: LocalReply) => replies.push(reply),
  };
  const connection = {
    sourceAddress: "127.0.0.1:5000",
    destinationAddress: "127.0.0.1:10000",
    connectionId: 1,
    upstreamAddress: "127.0.0.1:8080",
    clusterName: "up",
    routeName: "r",
    virtualHostName: "v",
    node: new Uint8Array(0),
    upstreamHostMetadata: null,
  };
  const http = new HttpContext(env.vm, 2, env.root, connection, control);
  env.vm.contexts.set(http.id, http);
  env.vm.current = http;
  return { http, control, events, replies };
}

describe("host functions: buffers", () => {
  it("read a buffer's bytes from a start, clamped to its end", async () => {
    const env = await start({ configuration: "0123456789" });
    env.root.configuring = utf8("0123456789");
    expect(env.call("proxy_get_buffer_bytes", BufferType.PluginConfiguration, 2, 3, P, S)).toBe(
      Status.Ok,
    );
    expect(env.out()).toBe("234");
    expect(env.call("proxy_get_buffer_bytes", BufferType.PluginConfiguration, 7, 100, P, S)).toBe(
      Status.Ok,
    );
    expect(env.out()).toBe("789");
    // The length as an unsigned size: -1 asks for everything from the start.
    expect(env.call("proxy_get_buffer_bytes", BufferType.PluginConfiguration, 8, -1, P, S)).toBe(
      Status.Ok,
    );
    expect(env.out()).toBe("89");
  });

  it("answer Ok and leave the out-cells alone when nothing is left to read", async () => {
    const env = await start();
    env.root.configuring = utf8("abc");
    env.mark();
    expect(env.call("proxy_get_buffer_bytes", BufferType.PluginConfiguration, 3, 10, P, S)).toBe(
      Status.Ok,
    );
    expect(env.call("proxy_get_buffer_bytes", BufferType.PluginConfiguration, 0, 0, P, S)).toBe(
      Status.Ok,
    );
    expect([env.u32(P), env.u32(S)]).toStrictEqual([0xdeadbeef, 0xdeadbeef]);
  });

  it("refuse a start past the end, a type past CallData and a buffer the callback lacks", async () => {
    const env = await start();
    env.root.configuring = utf8("abc");
    expect(env.call("proxy_get_buffer_bytes", BufferType.PluginConfiguration, 4, 1, P, S)).toBe(
      Status.BadArgument,
    );
    expect(env.call("proxy_get_buffer_bytes", BufferType.CallData + 1, 0, 1, P, S)).toBe(
      Status.BadArgument,
    );
    expect(env.call("proxy_get_buffer_bytes", BufferType.CallData, 0, 1, P, S)).toBe(Status.Ok);
    expect(env.call("proxy_get_buffer_bytes", BufferType.HttpCallResponseBody, 0, 1, P, S)).toBe(
      Status.NotFound,
    );
    expect(env.call("proxy_get_buffer_status", BufferType.CallData + 1, P, S)).toBe(
      Status.BadArgument,
    );
    expect(env.call("proxy_get_buffer_status", BufferType.CallData, P, S)).toBe(Status.Ok);
    expect(env.call("proxy_get_buffer_status", BufferType.HttpCallResponseBody, P, S)).toBe(
      Status.NotFound,
    );
    expect(env.call("proxy_set_buffer_bytes", BufferType.CallData + 1, 0, 0, 64, 1)).toBe(
      Status.BadArgument,
    );
    expect(env.call("proxy_set_buffer_bytes", BufferType.HttpCallResponseBody, 0, 0, 64, 1)).toBe(
      Status.NotFound,
    );
  });

  it("report a buffer's length and zero flags, or a bad out-cell", async () => {
    const env = await start();
    env.root.configuring = utf8("abcdef");
    env.mark();
    expect(env.call("proxy_get_buffer_status", BufferType.PluginConfiguration, P, S)).toBe(
      Status.Ok,
    );
    expect([env.u32(P), env.u32(S)]).toStrictEqual([6, 0]);
    expect(env.call("proxy_get_buffer_status", BufferType.PluginConfiguration, OOB, S)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_get_buffer_status", BufferType.PluginConfiguration, P, OOB)).toBe(
      Status.InvalidMemoryAccess,
    );
  });

  it("write a stream's body: replace from 0, append at the end, and refuse what is out of bounds", async () => {
    const env = await start();
    const { control } = httpContext(env);
    const [p, n] = env.put("HE");
    expect(env.call("proxy_set_buffer_bytes", BufferType.HttpRequestBody, 0, 2, p, n)).toBe(
      Status.Ok,
    );
    expect(text(control.request.body?.bytes ?? new Uint8Array())).toBe("HEllo");
    const [q, m] = env.put("!");
    expect(env.call("proxy_set_buffer_bytes", BufferType.HttpRequestBody, 5, 0, q, m)).toBe(
      Status.Ok,
    );
    expect(text(control.request.body?.bytes ?? new Uint8Array())).toBe("HEllo!");
    expect(env.call("proxy_set_buffer_bytes", BufferType.HttpRequestBody, 0, 0, OOB, 1)).toBe(
      Status.InvalidMemoryAccess,
    );
    // Start and size are unsigned: -1 is past the end, an append.
    expect(env.call("proxy_set_buffer_bytes", BufferType.HttpRequestBody, -1, 0, q, m)).toBe(
      Status.Ok,
    );
    expect(text(control.request.body?.bytes ?? new Uint8Array())).toBe("HEllo!!");
    // The response body of a callback that has none is an empty, read-only buffer.
    expect(env.call("proxy_set_buffer_bytes", BufferType.HttpResponseBody, 0, 0, q, m)).toBe(
      Status.BadArgument,
    );
    expect(env.call("proxy_get_buffer_status", BufferType.HttpResponseBody, P, S)).toBe(Status.Ok);
    expect(env.u32(P)).toBe(0);
  });
});

describe("host functions: header maps", () => {
  it("read a map's size, pairs and one value", async () => {
    const env = await start();
    httpContext(env);
    const pairs = encodePairs([
      [":path", "/a"],
      ["x-in", "1"],
    ]);
    expect(env.call("proxy_get_header_map_size", MapType.HttpRequestHeaders, S)).toBe(Status.Ok);
    // The size is the bytes of the names and values, as Envoy's byteSize() counts them.
    expect(env.u32(S)).toBe(":path/ax-in1".length);
    expect(env.call("proxy_get_header_map_pairs", MapType.HttpRequestHeaders, P, S)).toBe(
      Status.Ok,
    );
    expect([...(env.vm.read(env.u32(P), env.u32(S)) ?? [])]).toStrictEqual([...pairs]);
    const [k, ks] = env.put("x-in");
    expect(env.call("proxy_get_header_map_value", MapType.HttpRequestHeaders, k, ks, P, S)).toBe(
      Status.Ok,
    );
    expect(env.out()).toBe("1");
    const [u, us] = env.put("x-none");
    expect(env.call("proxy_get_header_map_value", MapType.HttpRequestHeaders, u, us, P, S)).toBe(
      Status.NotFound,
    );
    expect(env.call("proxy_get_header_map_value", MapType.HttpRequestHeaders, OOB, 1, P, S)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_get_header_map_size", MapType.HttpRequestHeaders, OOB)).toBe(
      Status.InvalidMemoryAccess,
    );
  });

  it("refuse a type past the callout trailers, and a map the callback does not have", async () => {
    const env = await start();
    const [k, ks] = env.put("a");
    const last = MapType.HttpCallResponseTrailers;
    expect(env.call("proxy_get_header_map_size", last + 1, S)).toBe(Status.BadArgument);
    expect(env.call("proxy_get_header_map_pairs", last + 1, P, S)).toBe(Status.BadArgument);
    expect(env.call("proxy_set_header_map_pairs", last + 1, k, 0)).toBe(Status.BadArgument);
    expect(env.call("proxy_get_header_map_value", last + 1, k, ks, P, S)).toBe(Status.BadArgument);
    expect(env.call("proxy_add_header_map_value", last + 1, k, ks, k, ks)).toBe(Status.BadArgument);
    // A root context outside a callout has no maps: size and value refuse, pairs are empty.
    expect(env.call("proxy_get_header_map_size", last, S)).toBe(Status.BadArgument);
    expect(env.call("proxy_get_header_map_value", last, k, ks, P, S)).toBe(Status.BadArgument);
    env.mark();
    expect(env.call("proxy_get_header_map_pairs", last, P, S)).toBe(Status.Ok);
    expect([env.u32(P), env.u32(S)]).toStrictEqual([0, 0]);
    expect(env.call("proxy_set_header_map_pairs", last, k, 0)).toBe(Status.BadArgument);
    expect(env.call("proxy_replace_header_map_value", last, k, ks, k, ks)).toBe(Status.BadArgument);
  });

  it("read a callout's trailers, the last map type, but not their size", async () => {
    const env = await start();
    env.root.callout = {
      headers: new HeaderMap(),
      body: new Uint8Array(0),
      trailers: new HeaderMap([["t", "v"]]),
    };
    expect(env.call("proxy_get_header_map_pairs", MapType.HttpCallResponseTrailers, P, S)).toBe(
      Status.Ok,
    );
    expect(text(env.vm.read(env.u32(P), env.u32(S)) ?? new Uint8Array(0))).toBe(
      text(encodePairs([["t", "v"]])),
    );
    const [k, ks] = env.put("t");
    expect(
      env.call("proxy_get_header_map_value", MapType.HttpCallResponseTrailers, k, ks, P, S),
    ).toBe(Status.Ok);
    expect(env.out()).toBe("v");
    // Envoy's getHeaderMapSize asks for the writable map, which a callout's maps are not.
    env.mark();
    expect(env.call("proxy_get_header_map_size", MapType.HttpCallResponseTrailers, S)).toBe(
      Status.BadArgument,
    );
    expect(env.u32(S)).toBe(0xdeadbeef);
  });

  it("read the guest's memory before refusing the last map type, as Envoy does", async () => {
    const env = await start();
    env.root.callout = {
      headers: new HeaderMap(),
      body: new Uint8Array(0),
      trailers: new HeaderMap([["t", "v"]]),
    };
    const last = MapType.HttpCallResponseTrailers;
    const [k, ks] = env.put("t");
    // A pairs block or a name out of bounds is InvalidMemoryAccess before the map is asked for.
    expect(env.call("proxy_set_header_map_pairs", last, OOB, 4)).toBe(Status.InvalidMemoryAccess);
    expect(env.call("proxy_add_header_map_value", last, OOB, 1, k, ks)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_replace_header_map_value", last, k, ks, OOB, 1)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_remove_header_map_value", last, OOB, 1)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.root.callout.trailers.pairs()).toStrictEqual([["t", "v"]]);
  });

  it("replace, add, set and remove values, and count each request-header change", async () => {
    const env = await start();
    const { http, control } = httpContext(env);
    const [pp, ps] = env.put(
      encodePairs([
        ["a", "1"],
        ["b", "2"],
      ]),
    );
    expect(env.call("proxy_set_header_map_pairs", MapType.HttpRequestHeaders, pp, ps)).toBe(
      Status.Ok,
    );
    expect(control.request.headers?.pairs()).toStrictEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    expect(http.routeCacheCleared).toBe(1);
    const [k, ks] = env.put("a");
    const [v, vs] = env.put("9");
    expect(env.call("proxy_add_header_map_value", MapType.HttpRequestHeaders, k, ks, v, vs)).toBe(
      Status.Ok,
    );
    expect(control.request.headers?.pairs()).toStrictEqual([
      ["a", "1"],
      ["b", "2"],
      ["a", "9"],
    ]);
    expect(
      env.call("proxy_replace_header_map_value", MapType.HttpRequestHeaders, k, ks, v, vs),
    ).toBe(Status.Ok);
    // Envoy's setCopy removes every value of the name and adds the new one at the end.
    expect(control.request.headers?.pairs()).toStrictEqual([
      ["b", "2"],
      ["a", "9"],
    ]);
    expect(env.call("proxy_remove_header_map_value", MapType.HttpRequestHeaders, k, ks)).toBe(
      Status.Ok,
    );
    expect(control.request.headers?.pairs()).toStrictEqual([["b", "2"]]);
    expect(http.routeCacheCleared).toBe(4);
    // Response headers and trailers change without touching the route cache.
    expect(env.call("proxy_add_header_map_value", MapType.HttpResponseHeaders, k, ks, v, vs)).toBe(
      Status.Ok,
    );
    expect(control.response.headers?.pairs()).toStrictEqual([
      [":status", "200"],
      ["a", "9"],
    ]);
    expect(env.call("proxy_set_header_map_pairs", MapType.HttpResponseTrailers, pp, ps)).toBe(
      Status.Ok,
    );
    expect(control.response.trailers?.pairs()).toStrictEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    expect(env.call("proxy_add_header_map_value", MapType.HttpResponseTrailers, k, ks, v, vs)).toBe(
      Status.Ok,
    );
    expect(http.routeCacheCleared).toBe(4);
  });

  it("refuse a pairs block, a name or a value out of bounds", async () => {
    const env = await start();
    const { control } = httpContext(env);
    const [k, ks] = env.put("a");
    expect(env.call("proxy_set_header_map_pairs", MapType.HttpRequestHeaders, OOB, 4)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_add_header_map_value", MapType.HttpRequestHeaders, OOB, 1, k, ks)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_add_header_map_value", MapType.HttpRequestHeaders, k, ks, OOB, 1)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(control.request.headers?.pairs()).toStrictEqual([
      [":path", "/a"],
      ["x-in", "1"],
    ]);
  });

  it("read a pairs block that does not parse as no pairs, as Envoy does: the map emptied, Ok", async () => {
    const good = encodePairs([["x-a", "1"]]);
    const withoutNul = good.slice();
    withoutNul[withoutNul.length - 1] = 0x41;
    const malformed = [
      Uint8Array.of(5, 0, 0, 0, 1),
      Uint8Array.of(1, 0, 0),
      Uint8Array.of(1, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 97, 0, 98, 0),
      withoutNul,
      Uint8Array.of(...good, 0),
      Uint8Array.of(0x01, 0x04, 0, 0, ...good.subarray(4)),
    ];
    for (const block of malformed) {
      const env = await start();
      const { control } = httpContext(env);
      const [p, ps] = env.put(block);
      expect(env.call("proxy_set_header_map_pairs", MapType.HttpRequestHeaders, p, ps)).toBe(
        Status.Ok,
      );
      expect(control.request.headers?.pairs()).toStrictEqual([]);
    }
    const env = await start();
    const { control } = httpContext(env);
    const [p, ps] = env.put(good);
    expect(env.call("proxy_set_header_map_pairs", MapType.HttpRequestHeaders, p, ps)).toBe(
      Status.Ok,
    );
    expect(control.request.headers?.pairs()).toStrictEqual([["x-a", "1"]]);
  });

  it("keep gRPC metadata and callout maps read-only, to every edit and to set_header_map_pairs", async () => {
    const env = await start();
    const [k, ks] = env.put("a");
    const [pp, ps] = env.put(encodePairs([["x", "1"]]));
    env.root.grpcMetadata = new HeaderMap([["m", "1"]]);
    env.root.callout = {
      headers: new HeaderMap([["h", "1"]]),
      body: new Uint8Array(0),
      trailers: new HeaderMap([["t", "1"]]),
    };
    for (const type of [
      MapType.GrpcReceiveInitialMetadata,
      MapType.GrpcReceiveTrailingMetadata,
      MapType.HttpCallResponseHeaders,
      MapType.HttpCallResponseTrailers,
    ]) {
      // Envoy's writable map lookup knows only the stream's four maps: BadArgument for these.
      expect(env.call("proxy_set_header_map_pairs", type, pp, ps)).toBe(Status.BadArgument);
      expect(env.call("proxy_add_header_map_value", type, k, ks, k, ks)).toBe(Status.BadArgument);
      expect(env.call("proxy_replace_header_map_value", type, k, ks, k, ks)).toBe(
        Status.BadArgument,
      );
      expect(env.call("proxy_remove_header_map_value", type, k, ks)).toBe(Status.BadArgument);
      expect(env.call("proxy_get_header_map_size", type, S)).toBe(Status.BadArgument);
      // Reading them is fine.
      expect(env.call("proxy_get_header_map_pairs", type, P, S)).toBe(Status.Ok);
      expect(env.u32(S)).toBeGreaterThan(4);
    }
    expect(env.root.grpcMetadata.pairs()).toStrictEqual([["m", "1"]]);
    expect(env.root.callout.headers.pairs()).toStrictEqual([["h", "1"]]);
    expect(env.root.callout.trailers.pairs()).toStrictEqual([["t", "1"]]);
  });

  it("answer BadArgument, not a trap, for an edit with no context", async () => {
    const env = await start();
    env.vm.current = null;
    const [k, ks] = env.put("a");
    expect(env.call("proxy_add_header_map_value", MapType.HttpRequestHeaders, k, ks, k, ks)).toBe(
      Status.BadArgument,
    );
  });
});

describe("host functions: contexts, logs, time and ticks", () => {
  it("finish a root context that said it was not done, once", async () => {
    const env = await start();
    env.vm.pendingDone.add(env.root.id);
    expect(env.call("proxy_done")).toBe(Status.Ok);
    expect(env.vm.contexts.has(env.root.id)).toBe(false);
    expect(env.vm.pendingDone.size).toBe(0);
    expect(env.call("proxy_done")).toBe(Status.NotFound);
  });

  it("refuse proxy_done from a stream, or from a root not waiting for it", async () => {
    const env = await start();
    expect(env.call("proxy_done")).toBe(Status.NotFound);
    expect(env.vm.contexts.has(env.root.id)).toBe(true);
    const { http } = httpContext(env);
    env.vm.pendingDone.add(http.id);
    expect(env.call("proxy_done")).toBe(Status.NotFound);
    expect(env.vm.pendingDone.has(http.id)).toBe(true);
  });

  it("trap a host call made outside any context", async () => {
    const env = await start();
    env.vm.current = null;
    expect(() => env.call("proxy_done")).toThrow(
      "Function: (start) failed: host call without a current context",
    );
  });

  it("make a known context effective and refuse an unknown id", async () => {
    const env = await start();
    const { http } = httpContext(env);
    env.vm.current = env.root;
    expect(env.call("proxy_set_effective_context", 99)).toBe(Status.BadArgument);
    expect(env.vm.effective).toBeNull();
    expect(env.call("proxy_set_effective_context", http.id)).toBe(Status.Ok);
    expect(env.vm.effective).toBe(http);
  });

  it("log at levels up to critical and refuse a level above it", async () => {
    const env = await start({ logLevel: "trace" });
    const [m, ms] = env.put("hi there");
    const before = env.world.logs.length;
    expect(env.call("proxy_log", 5, m, ms)).toBe(Status.Ok);
    expect(env.call("proxy_log", 6, m, ms)).toBe(Status.BadArgument);
    expect(env.call("proxy_log", 2, OOB, 1)).toBe(Status.InvalidMemoryAccess);
    expect(env.world.logs.slice(before)).toStrictEqual([
      { level: "critical", message: "hi there", worker: 0, source: "wasm" },
    ]);
  });

  it("write the log level, the time and the tick period", async () => {
    const env = await start({ logLevel: "warn", startTimeMs: 1_000 });
    expect(env.call("proxy_get_log_level", S)).toBe(Status.Ok);
    expect(env.u32(S)).toBe(3);
    expect(env.call("proxy_get_log_level", OOB)).toBe(Status.InvalidMemoryAccess);
    expect(env.call("proxy_get_current_time_nanoseconds", P)).toBe(Status.Ok);
    expect(env.u64(P)).toBe(env.world.clock.nowNanos());
    expect(env.call("proxy_get_current_time_nanoseconds", OOB - 4)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_set_tick_period_milliseconds", 250)).toBe(Status.Ok);
    expect(env.root.tickPeriodMs).toBe(250);
    httpContext(env);
    // From a stream, the tick belongs to its root.
    expect(env.call("proxy_set_tick_period_milliseconds", 40)).toBe(Status.Ok);
    expect(env.root.tickPeriodMs).toBe(40);
  });
});

describe("host functions: the stream", () => {
  it("continue and close a stream's request or response", async () => {
    const env = await start();
    const { events } = httpContext(env);
    expect(env.call("proxy_continue_stream", StreamType.HttpRequest)).toBe(Status.Ok);
    expect(env.call("proxy_continue_stream", StreamType.HttpResponse)).toBe(Status.Ok);
    expect(env.call("proxy_close_stream", StreamType.HttpResponse)).toBe(Status.Ok);
    expect(env.call("proxy_close_stream", StreamType.HttpRequest)).toBe(Status.Ok);
    expect(env.call("proxy_continue_stream", StreamType.Upstream)).toBe(Status.Unimplemented);
    expect(env.call("proxy_close_stream", 4)).toBe(Status.BadArgument);
    expect(events).toStrictEqual(["continue request", "continue response", "reset", "reset"]);
  });

  it("send a local reply with its details' spaces made underscores and a gRPC status in range", async () => {
    const env = await start();
    const { replies } = httpContext(env);
    const [d, ds] = env.put("no  route\tfound");
    const [b, bs] = env.put("denied");
    const [h, hs] = env.put(encodePairs([["x-why", "rule"]]));
    expect(env.call("proxy_send_local_response", 403, d, ds, b, bs, h, hs, 16)).toBe(Status.Ok);
    expect(env.call("proxy_send_local_response", 403, d, ds, b, bs, h, hs, 17)).toBe(Status.Ok);
    expect(env.call("proxy_send_local_response", 403, d, ds, b, bs, h, hs, 0)).toBe(Status.Ok);
    expect(env.call("proxy_send_local_response", 403, d, ds, b, bs, h, hs, -1)).toBe(Status.Ok);
    expect(replies[0]).toStrictEqual({
      status: 403,
      body: "denied",
      bodyBytes: utf8("denied"),
      headers: [["x-why", "rule"]],
      details: "no__route_found",
      grpcStatus: 16,
    });
    expect(replies.map((r) => r.grpcStatus)).toStrictEqual([16, null, 0, null]);
  });

  it("refuse a local reply whose details, body or headers are out of bounds; send one whose headers do not parse without them", async () => {
    const env = await start();
    const { replies } = httpContext(env);
    const [d, ds] = env.put("x");
    const [bad, bads] = env.put(Uint8Array.of(2, 0, 0, 0));
    expect(env.call("proxy_send_local_response", 403, OOB, 1, d, ds, d, 0, -1)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_send_local_response", 403, d, ds, OOB, 1, d, 0, -1)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_send_local_response", 403, d, ds, d, ds, OOB, 1, -1)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(replies).toStrictEqual([]);
    // A headers block that does not parse is no headers: the reply is sent without them.
    expect(env.call("proxy_send_local_response", 403, d, ds, d, ds, bad, bads, -1)).toBe(Status.Ok);
    expect(replies.map((r) => [r.status, r.headers])).toStrictEqual([[403, []]]);
  });
});

describe("host functions: properties and foreign functions", () => {
  it("read a property, a status for one Envoy refuses, and NotFound for an unknown one", async () => {
    const env = await start({ name: "probe" });
    const [p, ps] = env.put("plugin_name");
    expect(env.call("proxy_get_property", p, ps, P, S)).toBe(Status.Ok);
    expect(env.out()).toBe("probe");
    const [u, us] = env.put("no_such");
    expect(env.call("proxy_get_property", u, us, P, S)).toBe(Status.NotFound);
    expect(env.call("proxy_get_property", OOB, 1, P, S)).toBe(Status.InvalidMemoryAccess);
    httpContext(env);
    // A header the request lacks, under a map attribute, is absent; one it has is read.
    const [h, hs] = env.put("request\0headers\0x-in");
    expect(env.call("proxy_get_property", h, hs, P, S)).toBe(Status.Ok);
    expect(env.out()).toBe("1");
  });

  it("set a property as the stream's filter state and read it back", async () => {
    const env = await start();
    const { http } = httpContext(env);
    const [p, ps] = env.put("my_key");
    const [v, vs] = env.put("v1");
    expect(env.call("proxy_set_property", p, ps, v, vs)).toBe(Status.Ok);
    expect(text(http.filterState.get("wasm.my_key") ?? new Uint8Array())).toBe("v1");
    expect(env.call("proxy_get_property", p, ps, P, S)).toBe(Status.Ok);
    expect(env.out()).toBe("v1");
    expect(env.call("proxy_set_property", OOB, 1, v, vs)).toBe(Status.InvalidMemoryAccess);
    expect(env.call("proxy_set_property", p, ps, OOB, 1)).toBe(Status.InvalidMemoryAccess);
    env.vm.current = env.root;
    expect(env.call("proxy_set_property", p, ps, v, vs)).toBe(Status.NotFound);
  });

  it("call a foreign function and copy out its result, or return its status", async () => {
    const env = await start({
      foreignFunctions: {
        echo: (args: Uint8Array) => Uint8Array.from([...args].reverse()),
        refuse: () => Status.SerializationFailure,
      },
    });
    const [n, ns] = env.put("echo");
    const [a, as] = env.put("abc");
    expect(env.call("proxy_call_foreign_function", n, ns, a, as, P, S)).toBe(Status.Ok);
    expect(env.out()).toBe("cba");
    const [r, rs] = env.put("refuse");
    expect(env.call("proxy_call_foreign_function", r, rs, a, as, P, S)).toBe(
      Status.SerializationFailure,
    );
    expect(env.call("proxy_call_foreign_function", OOB, 1, a, as, P, S)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_call_foreign_function", n, ns, OOB, 1, P, S)).toBe(
      Status.InvalidMemoryAccess,
    );
    const [c, cs] = env.put("clear_route_cache");
    const { http } = httpContext(env);
    expect(env.call("proxy_call_foreign_function", c, cs, a, 0, P, S)).toBe(Status.Ok);
    expect(http.routeCacheCleared).toBe(1);
  });
});

describe("host functions: metrics", () => {
  it("define metrics with the type in the id's low bits and refuse a type past histogram", async () => {
    const env = await start();
    const [n, ns] = env.put("hits");
    expect(env.call("proxy_define_metric", MetricType.Histogram, n, ns, S)).toBe(Status.Ok);
    expect(env.u32(S)).toBe((1 << 2) | 2);
    expect(env.call("proxy_define_metric", MetricType.Counter, n, ns, S)).toBe(Status.Ok);
    expect(env.u32(S)).toBe(1 << 2);
    expect(env.call("proxy_define_metric", MetricType.Histogram + 1, n, ns, S)).toBe(
      Status.BadArgument,
    );
    expect(env.call("proxy_define_metric", MetricType.Counter, OOB, 1, S)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_define_metric", MetricType.Counter, n, ns, OOB)).toBe(
      Status.InvalidMemoryAccess,
    );
  });

  it("increment counters by a positive amount and gauges either way, wrapping below zero", async () => {
    const env = await start();
    const [n, ns] = env.put("m");
    env.call("proxy_define_metric", MetricType.Counter, n, ns, S);
    const counter = env.u32(S);
    env.call("proxy_define_metric", MetricType.Gauge, n, ns, S);
    const gauge = env.u32(S);
    env.call("proxy_define_metric", MetricType.Histogram, n, ns, S);
    const histogram = env.u32(S);
    expect(env.call("proxy_increment_metric", counter, 1n)).toBe(Status.Ok);
    expect(env.call("proxy_increment_metric", counter, 0n)).toBe(Status.BadArgument);
    expect(env.call("proxy_increment_metric", counter, -1n)).toBe(Status.BadArgument);
    expect(env.call("proxy_get_metric", counter, P)).toBe(Status.Ok);
    expect(env.u64(P)).toBe(1n);
    expect(env.call("proxy_increment_metric", gauge, 2n)).toBe(Status.Ok);
    expect(env.call("proxy_increment_metric", gauge, -3n)).toBe(Status.Ok);
    expect(env.call("proxy_get_metric", gauge, P)).toBe(Status.Ok);
    expect(env.u64(P)).toBe(2n ** 64n - 1n);
    expect(env.call("proxy_increment_metric", histogram, 1n)).toBe(Status.BadArgument);
    expect(env.call("proxy_get_metric", histogram, P)).toBe(Status.BadArgument);
    expect(env.call("proxy_increment_metric", (9 << 2) | 0, 1n)).toBe(Status.NotFound);
    expect(env.call("proxy_get_metric", (9 << 2) | 1, P)).toBe(Status.NotFound);
    expect(env.call("proxy_get_metric", counter, OOB)).toBe(Status.InvalidMemoryAccess);
  });

  it("record a counter's sum, a gauge's value and a histogram's samples", async () => {
    const env = await start();
    const ids: number[] = [];
    for (const type of [MetricType.Counter, MetricType.Gauge, MetricType.Histogram]) {
      const [n, ns] = env.put(`r${type}`);
      env.call("proxy_define_metric", type, n, ns, S);
      ids.push(env.u32(S));
    }
    const [counter, gauge, histogram] = ids as [number, number, number];
    for (const v of [3n, 4n]) {
      expect(env.call("proxy_record_metric", counter, v)).toBe(Status.Ok);
      expect(env.call("proxy_record_metric", gauge, v)).toBe(Status.Ok);
      expect(env.call("proxy_record_metric", histogram, v)).toBe(Status.Ok);
    }
    expect(env.call("proxy_record_metric", (9 << 2) | 2, 1n)).toBe(Status.NotFound);
    const m = env.world.metrics;
    expect(m.find("r0", "counter")?.value).toBe(7n);
    expect(m.find("r1", "gauge")?.value).toBe(4n);
    expect(m.find("r2", "histogram")?.samples).toStrictEqual([3n, 4n]);
    expect(m.find("r2", "histogram")?.value).toBe(0n);
  });
});

describe("host functions: shared data and queues", () => {
  it("read a value and its CAS, and write with and without a CAS", async () => {
    const env = await start();
    const [k, ks] = env.put("key");
    const [v, vs] = env.put("one");
    expect(env.call("proxy_get_shared_data", k, ks, P, S, 16)).toBe(Status.NotFound);
    expect(env.call("proxy_set_shared_data", k, ks, v, vs, 0)).toBe(Status.Ok);
    env.mark();
    expect(env.call("proxy_get_shared_data", k, ks, P, S, 16)).toBe(Status.Ok);
    expect(env.out()).toBe("one");
    const cas = env.u32(16);
    expect(cas).toBe(env.world.shared.get(env.vm.plugin.vmId, "key")?.cas);
    expect(env.call("proxy_set_shared_data", k, ks, v, vs, cas + 1)).toBe(Status.CasMismatch);
    expect(env.call("proxy_set_shared_data", k, ks, v, vs, cas)).toBe(Status.Ok);
    expect(env.call("proxy_get_shared_data", OOB, 1, P, S, 16)).toBe(Status.InvalidMemoryAccess);
    expect(env.call("proxy_set_shared_data", OOB, 1, v, vs, 0)).toBe(Status.InvalidMemoryAccess);
    expect(env.call("proxy_set_shared_data", k, ks, OOB, 1, 0)).toBe(Status.InvalidMemoryAccess);
  });

  it("give each write the next token of a 32-bit counter that skips 0, from sharedDataCas on", async () => {
    /** Writes `key` conditional on `cas`; the status and the token the key then holds. */
    const write = (env: Awaited<ReturnType<typeof start>>, cas: number) => {
      const [k, ks] = env.put("key");
      const [v, vs] = env.put("one");
      const status = env.call("proxy_set_shared_data", k, ks, v, vs, cas);
      expect(env.call("proxy_get_shared_data", k, ks, P, S, 16)).toBe(Status.Ok);
      return [status, env.u32(16)];
    };
    expect(write(await start(), 0)).toStrictEqual([Status.Ok, 1]);
    const env = await start({ sharedDataCas: 0xfffffffe });
    expect(write(env, 0)).toStrictEqual([Status.Ok, 0xfffffffe]);
    expect(write(env, 0xfffffffe)).toStrictEqual([Status.Ok, 0xffffffff]);
    expect(write(env, 0xffffffff)).toStrictEqual([Status.Ok, 1]);
    expect(write(env, 0xffffffff)).toStrictEqual([Status.CasMismatch, 1]);
    expect(write(env, 1)).toStrictEqual([Status.Ok, 2]);
    for (const bad of [0, 2 ** 32, 1.5]) {
      await expect(start({ sharedDataCas: bad })).rejects.toThrow(
        `sharedDataCas: ${bad} is not a token of Envoy's counter (1 to 4294967295)`,
      );
    }
  });

  it("stop at a value it cannot hand over, and at a CAS cell out of bounds", async () => {
    const env = await start();
    const [k, ks] = env.put("key");
    const [v, vs] = env.put("one");
    env.call("proxy_set_shared_data", k, ks, v, vs, 0);
    env.vm.refresh();
    env.vm.dv.setUint32(16, 77, true);
    expect(env.call("proxy_get_shared_data", k, ks, OOB, S, 16)).toBe(Status.InvalidMemoryAccess);
    expect(env.u32(16)).toBe(77);
    expect(env.call("proxy_get_shared_data", k, ks, P, S, OOB)).toBe(Status.InvalidMemoryAccess);
  });

  it("register, resolve, enqueue and dequeue a queue", async () => {
    const env = await start({ vmId: "vm1" });
    const [n, ns] = env.put("q");
    expect(env.call("proxy_register_shared_queue", n, ns, S)).toBe(Status.Ok);
    const token = env.u32(S);
    expect(token).toBeGreaterThan(0);
    expect(env.call("proxy_register_shared_queue", OOB, 1, S)).toBe(Status.InvalidMemoryAccess);
    expect(env.call("proxy_register_shared_queue", n, ns, OOB)).toBe(Status.InvalidMemoryAccess);
    const [vm, vms] = env.put("vm1");
    const [other, others] = env.put("vm2");
    env.vm.refresh();
    env.vm.dv.setUint32(S, 0, true);
    expect(env.call("proxy_resolve_shared_queue", vm, vms, n, ns, S)).toBe(Status.Ok);
    expect(env.u32(S)).toBe(token);
    expect(env.call("proxy_resolve_shared_queue", other, others, n, ns, S)).toBe(Status.NotFound);
    expect(env.call("proxy_resolve_shared_queue", OOB, 1, n, ns, S)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_resolve_shared_queue", vm, vms, OOB, 1, S)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_resolve_shared_queue", vm, vms, n, ns, OOB)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_dequeue_shared_queue", token, P, S)).toBe(Status.Empty);
    const [v, vs] = env.put("item");
    expect(env.call("proxy_enqueue_shared_queue", token, v, vs)).toBe(Status.Ok);
    expect(env.call("proxy_enqueue_shared_queue", token, OOB, 1)).toBe(Status.InvalidMemoryAccess);
    expect(env.call("proxy_enqueue_shared_queue", token + 1, v, vs)).toBe(Status.NotFound);
    expect(env.call("proxy_dequeue_shared_queue", token, P, S)).toBe(Status.Ok);
    expect(env.out()).toBe("item");
    expect(env.call("proxy_dequeue_shared_queue", token + 1, P, S)).toBe(Status.NotFound);
  });
});

describe("host functions: callouts", () => {
  it("report the outcome of the callout whose callback runs", async () => {
    const env = await start();
    env.root.status = { code: 14, message: "unavailable" };
    expect(env.call("proxy_get_status", 16, P, S)).toBe(Status.Ok);
    expect(env.u32(16)).toBe(14);
    expect(env.out()).toBe("unavailable");
    expect(env.call("proxy_get_status", OOB, P, S)).toBe(Status.InvalidMemoryAccess);
  });

  it("start an HTTP call with its headers, body, trailers and timeout, and hand back its token", async () => {
    const env = await start();
    env.world.callouts.knownClusters.add("svc");
    const [c, cs] = env.put("svc");
    const [h, hs] = env.put(
      encodePairs([
        [":path", "/x"],
        [":method", "GET"],
        [":authority", "svc"],
      ]),
    );
    const [b, bs] = env.put("body");
    const [t, ts] = env.put(encodePairs([["tr", "1"]]));
    expect(env.call("proxy_http_call", c, cs, h, hs, b, bs, t, ts, 500, S)).toBe(Status.Ok);
    const call = env.world.callouts.http[0];
    expect(call?.token).toBe(env.u32(S));
    expect(call?.cluster).toBe("svc");
    expect(text(call?.body ?? new Uint8Array())).toBe("body");
    expect(call?.trailers.pairs()).toStrictEqual([["tr", "1"]]);
    expect(call?.timeoutMs).toBe(500);
    expect(call?.owner).toBe(env.root);
    // A negative timeout (signed) is refused by Envoy.
    expect(env.call("proxy_http_call", c, cs, h, hs, b, bs, t, ts, -1, S)).toBe(Status.BadArgument);
    const [u, us] = env.put("nobody");
    expect(env.call("proxy_http_call", u, us, h, hs, b, bs, t, ts, 500, S)).toBe(
      Status.BadArgument,
    );
    // As in Envoy, the call is made before its token is written to a bad cell.
    expect(env.call("proxy_http_call", c, cs, h, hs, b, bs, t, ts, 500, OOB)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.world.callouts.http).toHaveLength(2);
    // A block that does not parse is no pairs: no headers means no :path, so BadArgument; no
    // trailers, a call made without them.
    const [bad, bads] = env.put(Uint8Array.of(3, 0, 0, 0));
    expect(env.call("proxy_http_call", c, cs, bad, bads, b, bs, t, ts, 500, S)).toBe(
      Status.BadArgument,
    );
    expect(env.call("proxy_http_call", c, cs, h, hs, b, bs, bad, bads, 500, S)).toBe(Status.Ok);
    expect(env.world.callouts.http[2]?.trailers.pairs()).toStrictEqual([]);
    for (const args of [
      [OOB, 1, h, hs, b, bs, t, ts],
      [c, cs, OOB, 1, b, bs, t, ts],
      [c, cs, h, hs, OOB, 1, t, ts],
      [c, cs, h, hs, b, bs, OOB, 1],
    ]) {
      expect(env.call("proxy_http_call", ...args, 500, S)).toBe(Status.InvalidMemoryAccess);
    }
    expect(env.world.callouts.http).toHaveLength(3);
  });

  it("take the earliest timeout among pending HTTP and gRPC calls, whatever order they were made in", async () => {
    const env = await start();
    env.world.callouts.knownClusters.add("svc");
    const [c, cs] = env.put("svc");
    const [h, hs] = env.put(
      encodePairs([
        [":path", "/x"],
        [":method", "GET"],
        [":authority", "svc"],
      ]),
    );
    const now = env.world.clock.nowMs();
    const http = (timeout: number) =>
      expect(env.call("proxy_http_call", c, cs, h, hs, 0, 0, 0, 0, timeout, S)).toBe(Status.Ok);
    expect(env.world.callouts.nextDeadline()).toBeUndefined();
    http(900);
    http(300);
    http(600);
    expect(env.world.callouts.nextDeadline()?.at).toBe(now + 300);
    expect(env.world.nextEventAt()).toBe(now + 300);
    const [s, ss] = env.put("pkg.Svc");
    const [m, ms] = env.put("Get");
    const grpc = (timeout: number) =>
      expect(env.call("proxy_grpc_call", c, cs, s, ss, m, ms, 0, 0, 0, 0, timeout, S)).toBe(
        Status.Ok,
      );
    grpc(800);
    grpc(200);
    grpc(500);
    expect(env.world.callouts.nextDeadline()?.at).toBe(now + 200);
    // Once the earliest gRPC call is answered, the earliest HTTP call is next.
    const [short] = env.world.callouts.grpc.filter((g) => g.deadline === now + 200);
    if (!short) throw new Error("no gRPC call due at +200");
    short.done = true;
    expect(env.world.callouts.nextDeadline()?.at).toBe(now + 300);
  });

  it("start gRPC calls and streams, send on, cancel and close them", async () => {
    const env = await start();
    env.world.callouts.knownClusters.add("grpc");
    const [c, cs] = env.put("grpc");
    const [s, ss] = env.put("pkg.Svc");
    const [m, ms] = env.put("Get");
    const [md, mds] = env.put(encodePairs([["k", "v"]]));
    const [msg, msgs] = env.put("payload");
    expect(env.call("proxy_grpc_call", c, cs, s, ss, m, ms, md, mds, msg, msgs, 1000, S)).toBe(
      Status.Ok,
    );
    const unary = env.u32(S);
    const call = env.world.callouts.grpc[0];
    expect([call?.token, call?.cluster, call?.service, call?.method, call?.stream]).toStrictEqual([
      unary,
      "grpc",
      "pkg.Svc",
      "Get",
      false,
    ]);
    expect(call?.metadata.pairs()).toStrictEqual([["k", "v"]]);
    expect(call?.sent.map(text)).toStrictEqual(["payload"]);
    expect(call?.deadline).toBe(env.world.clock.nowMs() + 1000);
    expect(env.call("proxy_grpc_stream", c, cs, s, ss, m, ms, md, mds, S)).toBe(Status.Ok);
    const stream = env.u32(S);
    expect(env.world.callouts.grpc[1]?.stream).toBe(true);
    expect(env.world.callouts.grpc[1]?.deadline).toBe(0);
    expect(env.call("proxy_grpc_send", stream, msg, msgs, 0)).toBe(Status.Ok);
    expect(env.call("proxy_grpc_send", stream, OOB, 1, 0)).toBe(Status.InvalidMemoryAccess);
    expect(env.world.callouts.grpc[1]?.sent.map(text)).toStrictEqual(["payload"]);
    expect(env.call("proxy_grpc_close", stream)).toBe(Status.Ok);
    expect(env.world.callouts.grpc[1]?.localClosed).toBe(true);
    expect(env.call("proxy_grpc_cancel", unary)).toBe(Status.Ok);
    expect(call?.done).toBe(true);
    expect(env.call("proxy_grpc_cancel", unary)).toBe(Status.NotFound);
    const [u, us] = env.put("nobody");
    expect(env.call("proxy_grpc_call", u, us, s, ss, m, ms, md, mds, msg, msgs, 0, S)).toBe(
      Status.ParseFailure,
    );
    expect(env.call("proxy_grpc_stream", u, us, s, ss, m, ms, md, mds, S)).toBe(
      Status.ParseFailure,
    );
    expect(env.call("proxy_grpc_call", c, cs, s, ss, m, ms, md, mds, msg, msgs, 0, OOB)).toBe(
      Status.InvalidMemoryAccess,
    );
    expect(env.call("proxy_grpc_call", c, cs, s, ss, m, ms, md, mds, OOB, 1, 0, S)).toBe(
      Status.InvalidMemoryAccess,
    );
    for (const args of [
      [OOB, 1, s, ss, m, ms, md, mds],
      [c, cs, OOB, 1, m, ms, md, mds],
      [c, cs, s, ss, OOB, 1, md, mds],
      [c, cs, s, ss, m, ms, OOB, 1],
    ]) {
      expect(env.call("proxy_grpc_call", ...args, msg, msgs, 0, S)).toBe(
        Status.InvalidMemoryAccess,
      );
      expect(env.call("proxy_grpc_stream", ...args, S)).toBe(Status.InvalidMemoryAccess);
    }
    // Metadata that is not a pairs block is sent as none.
    const [bad, bads] = env.put(Uint8Array.of(9, 0, 0, 0));
    expect(env.call("proxy_grpc_stream", c, cs, s, ss, m, ms, bad, bads, S)).toBe(Status.Ok);
    expect(env.world.callouts.grpc.at(-1)?.metadata.pairs()).toStrictEqual([]);
    // The timeout is unsigned: -1 is a deadline far away, not none.
    expect(env.call("proxy_grpc_call", c, cs, s, ss, m, ms, md, mds, msg, msgs, -1, S)).toBe(
      Status.Ok,
    );
    expect(env.world.callouts.grpc.at(-1)?.deadline).toBe(env.world.clock.nowMs() + 2 ** 32 - 1);
  });
});

describe("host functions: WASI", () => {
  it("write stdout and stderr to the log and count the bytes", async () => {
    const env = await start({ logLevel: "trace" });
    const [a, as] = env.put("one ");
    const [b, bs] = env.put("three\n");
    const iovs = 2048;
    env.vm.refresh();
    // The third vector points out of memory: nothing is written for it, its length counts.
    for (const [i, [p, n]] of [
      [a, as],
      [b, bs],
      [OOB, 3],
    ].entries()) {
      env.vm.dv.setUint32(iovs + i * 8, p as number, true);
      env.vm.dv.setUint32(iovs + i * 8 + 4, n as number, true);
    }
    const before = env.world.logs.length;
    expect(env.call("fd_write", 1, iovs, 3, S)).toBe(0);
    expect(env.u32(S)).toBe(4 + 6 + 3);
    expect(env.call("fd_write", 2, iovs, 1, S)).toBe(0);
    expect(env.u32(S)).toBe(4);
    expect(env.call("fd_write", 0, iovs, 1, S)).toBe(8);
    expect(env.call("fd_write", 3, iovs, 1, S)).toBe(8);
    expect(env.world.logs.slice(before)).toStrictEqual([
      { level: "info", message: "one three", worker: 0, source: "wasm" },
      { level: "error", message: "one ", worker: 0, source: "wasm" },
    ]);
  });

  it("read the virtual clocks, and refuse another clock or a bad cell", async () => {
    const env = await start({ startTimeMs: 5_000 });
    expect(env.call("clock_time_get", 0, 1n, P)).toBe(0);
    expect(env.u64(P)).toBe(env.world.clock.nowNanos());
    expect(env.call("clock_time_get", 1, 1n, P)).toBe(0);
    expect(env.u64(P)).toBe(env.world.clock.monotonicNanos());
    expect(env.world.clock.monotonicNanos()).not.toBe(env.world.clock.nowNanos());
    expect(env.call("clock_time_get", 2, 1n, P)).toBe(58);
    expect(env.call("clock_time_get", 0, 1n, OOB)).toBe(21);
    expect(env.call("clock_res_get", 0, P)).toBe(0);
    expect(env.u64(P)).toBe(1n);
    expect(env.call("clock_res_get", 0, OOB)).toBe(21);
  });

  it("fill random bytes up to 64 KiB at a time", async () => {
    const env = await start();
    expect(env.call("random_get", 1024, 65537)).toBe(28);
    expect(env.call("random_get", 1024, 64)).toBe(0);
    expect(env.vm.read(1024, 64)?.some((b) => b !== 0)).toBe(true);
    expect(env.vm.read(1088, 8)).toStrictEqual(new Uint8Array(8));
    expect(env.call("random_get", 0, 65536)).toBe(0);
  });

  it("hand over the environment, no arguments, and answer the stubs", async () => {
    const env = await start({ environment: { A: "1", BB: "22" } });
    expect(env.call("environ_sizes_get", P, S)).toBe(0);
    expect([env.u32(P), env.u32(S)]).toStrictEqual([2, 4 + 6]);
    expect(env.call("environ_get", 2048, 3000)).toBe(0);
    expect([env.u32(2048), env.u32(2052)]).toStrictEqual([3000, 3004]);
    expect(text(env.vm.read(3000, 10) ?? new Uint8Array())).toBe("A=1\0BB=22\0");
    env.mark();
    expect(env.call("args_sizes_get", P, S)).toBe(0);
    expect([env.u32(P), env.u32(S)]).toStrictEqual([0, 0]);
    expect(env.call("args_get", P, S)).toBe(0);
    expect(env.call("sched_yield")).toBe(0);
    env.mark();
    expect(env.call("poll_oneoff", 0, 0, 1, S)).toBe(0);
    expect(env.u32(S)).toBe(0);
    expect(env.call("pthread_equal", 3, 3)).toBe(1);
    expect(env.call("pthread_equal", 3, 4)).toBe(0);
    expect(env.call("emscripten_notify_memory_growth", 0)).toBeUndefined();
    const before = env.world.logs.length;
    expect(env.call("proc_exit", 3)).toBeUndefined();
    expect(env.world.logs.slice(before)).toStrictEqual([
      {
        level: "error",
        message: "wasi proc_exit(3) called; Envoy only logs it",
        worker: 0,
        source: "host",
      },
    ]);
  });
});

describe("the HTTP context", () => {
  it("serves each map while the filter holds it, and the access log's maps read-only", async () => {
    const env = await start();
    const { http, control } = httpContext(env);
    const types = [
      MapType.HttpRequestHeaders,
      MapType.HttpResponseHeaders,
      MapType.HttpRequestTrailers,
      MapType.HttpResponseTrailers,
    ];
    const maps = [
      control.request.headers,
      control.response.headers,
      control.request.trailers,
      control.response.trailers,
    ];
    const served = (write: boolean) => types.map((t, i) => http.getMap(t, write) === maps[i]);
    expect(served(true)).toStrictEqual([true, true, true, true]);
    for (const s of [control.request, control.response]) {
      s.headersAvailable = false;
      s.trailersAvailable = false;
    }
    expect(served(false)).toStrictEqual([false, false, false, false]);
    control.accessLog = true;
    // In onLog every map but the request's trailers reads, and none writes.
    expect(served(false)).toStrictEqual([true, true, false, true]);
    expect(served(true)).toStrictEqual([false, false, false, false]);
    // The root's maps (a callout's) come through for the other types.
    env.root.grpcMetadata = new HeaderMap([["m", "1"]]);
    expect(http.getMap(MapType.GrpcReceiveInitialMetadata, false)).toBe(env.root.grpcMetadata);
  });

  it("serves the body of the running callback, an empty read-only one otherwise, and the root's buffers", async () => {
    const env = await start({ vmConfiguration: "vm-conf" });
    const { http, control } = httpContext(env);
    expect(http.getBuffer(BufferType.HttpRequestBody)).toBe(control.request.body);
    const none = http.getBuffer(BufferType.HttpResponseBody);
    expect([none?.bytes.length, none?.mutable]).toStrictEqual([0, false]);
    control.request.body = null;
    control.response.body = new ByteBuffer(utf8("resp"));
    const noRequest = http.getBuffer(BufferType.HttpRequestBody);
    expect([noRequest?.bytes.length, noRequest?.mutable]).toStrictEqual([0, false]);
    expect(http.getBuffer(BufferType.HttpResponseBody)).toBe(control.response.body);
    expect(text(http.getBuffer(BufferType.VmConfiguration)?.bytes ?? new Uint8Array())).toBe(
      "vm-conf",
    );
  });

  it("keeps a copy of a property set as filter state, readable by its one-segment name", async () => {
    const env = await start();
    const { http } = httpContext(env);
    const value = utf8("v1");
    expect(http.setProperty("k", value)).toBe(Status.Ok);
    value[0] = 0x58;
    expect(http.property(["k"])).toStrictEqual(utf8("v1"));
    expect(http.streamState()).toBe(http);
    expect([...http.filterState.keys()]).toStrictEqual(["wasm.k"]);
    // Filter state answers a one-segment path only; "k.x" is nobody's.
    expect(http.property(["k", "x"])).toBeUndefined();
    expect(http.routeCacheCleared).toBe(0);
  });

  it("answers a property set on the host before filter state and attributes", async () => {
    const env = await start({ properties: { "request.path": "/over", k: "host" } });
    const { http } = httpContext(env);
    http.setProperty("k", utf8("state"));
    expect(text(http.property(["request", "path"]) as Uint8Array)).toBe("/over");
    expect(text(http.property(["k"]) as Uint8Array)).toBe("host");
    expect(text(http.property(["request.path"]) as Uint8Array)).toBe("/over");
  });

  it("answers attributes from the stream: headers while held or logged, sizes, the router's choice", async () => {
    const env = await start({ name: "probe" });
    const { http, control } = httpContext(env);
    const read = (dotted: string) => http.property(dotted.split("."));
    expect(read("request.path")).toStrictEqual(utf8("/a"));
    expect(read("request.headers.x-in")).toStrictEqual(utf8("1"));
    expect(read("request.headers.x-none")).toBeUndefined();
    expect(read("request.path.x")).toBeUndefined();
    expect(read("filter_state")).toBe(Status.SerializationFailure);
    expect(read("plugin_name")).toStrictEqual(utf8("probe"));
    expect(read("request.size")).toStrictEqual(int64Bytes(5));
    expect(read("response.code")).toStrictEqual(int64Bytes(200));
    expect(read("source.address")).toStrictEqual(utf8("127.0.0.1:5000"));
    expect(read("upstream.address")).toBeUndefined();
    expect(read("response.code_details")).toBeUndefined();
    control.upstreamChosen = true;
    control.responseDetails = "via_upstream";
    control.responseBodyBytes = 7;
    control.response.trailers = new HeaderMap([["grpc-status", "5"]]);
    expect(read("upstream.address")).toStrictEqual(utf8("127.0.0.1:8080"));
    expect(read("response.code_details")).toStrictEqual(utf8("via_upstream"));
    expect(read("response.size")).toStrictEqual(int64Bytes(7));
    expect(read("response.grpc_status")).toStrictEqual(int64Bytes(5));
    control.request.headersAvailable = false;
    control.response.headersAvailable = false;
    expect(read("request.path")).toBeUndefined();
    expect(read("response.headers")).toStrictEqual(new Uint8Array(4));
    control.accessLog = true;
    expect(read("request.path")).toStrictEqual(utf8("/a"));
    expect(read("response.headers")).toStrictEqual(encodePairs([[":status", "200"]]));
    expect(env.world.coverage.attributeCell("request.path").count).toBe(3);
  });

  it("times the request from the context's creation", async () => {
    const env = await start({ startTimeMs: 1_000 });
    env.world.advance(20);
    const started = env.world.clock.nowNanos();
    const { http, control } = httpContext(env);
    env.world.advance(5);
    expect(http.property(["request", "time"])).toStrictEqual(int64Bytes(started));
    control.accessLog = true;
    expect(http.property(["request", "duration"])).toStrictEqual(int64Bytes(5_000_000n));
  });

  it("leaves the other stream types to Envoy's defaults", async () => {
    const env = await start();
    const { http, events } = httpContext(env);
    expect(http.continueStream(StreamType.Downstream)).toBe(Status.Ok);
    expect(http.continueStream(StreamType.Upstream)).toBe(Status.Unimplemented);
    expect(http.closeStream(StreamType.Downstream)).toBe(Status.Ok);
    expect(http.closeStream(StreamType.Upstream + 1)).toBe(Status.BadArgument);
    expect(events).toStrictEqual([]);
  });
});

describe("host functions: after the module's memory grew", () => {
  /** Grows the memory by a page: the host's views on the old buffer are then detached. */
  function grow(env: Env): void {
    (env.vm.instance.exports.memory as { grow(pages: number): number }).grow(1);
  }

  it("write stdout from the new memory, and strip only a final newline", async () => {
    const env = await start();
    const [a, as] = env.put("a\nb\n");
    env.vm.refresh();
    env.vm.dv.setUint32(2048, a, true);
    env.vm.dv.setUint32(2052, as, true);
    grow(env);
    const before = env.world.logs.length;
    expect(env.call("fd_write", 1, 2048, 1, S)).toBe(0);
    expect(env.world.logs.slice(before).map((l) => l.message)).toStrictEqual(["a\nb"]);
  });

  it("fill random bytes in the new memory", async () => {
    const env = await start();
    grow(env);
    expect(env.call("random_get", 70000, 64)).toBe(0);
    expect(env.vm.read(70000, 64)?.some((b) => b !== 0)).toBe(true);
  });

  it("write the environment into the new memory", async () => {
    const env = await start({ environment: { K: "v" } });
    grow(env);
    expect(env.call("environ_get", 70000, 70100)).toBe(0);
    expect(text(env.vm.read(70100, 4) ?? new Uint8Array())).toBe("K=v\0");
  });
});

describe("host functions: gRPC end of stream", () => {
  it("tell the server whether a message ends the stream", async () => {
    const seen: Array<boolean | undefined> = [];
    const env = await start({
      grpcClusters: {
        grpc: (_call, event) => {
          if (event.message) seen.push(event.endOfStream);
          return undefined;
        },
      },
    });
    const [c, cs] = env.put("grpc");
    const [s, ss] = env.put("pkg.Svc");
    const [m, ms] = env.put("Watch");
    expect(env.call("proxy_grpc_stream", c, cs, s, ss, m, ms, 0, 0, S)).toBe(Status.Ok);
    const token = env.u32(S);
    const [msg, msgs] = env.put("x");
    expect(env.call("proxy_grpc_send", token, msg, msgs, 0)).toBe(Status.Ok);
    expect(env.call("proxy_grpc_send", token, msg, msgs, 1)).toBe(Status.Ok);
    expect(env.call("proxy_grpc_send", token, msg, msgs, 2)).toBe(Status.Ok);
    expect(seen).toStrictEqual([false, true, true]);
  });
});

/** A protobuf length-delimited field (lengths below 16384). */
function field(number: number, value: Uint8Array | string): number[] {
  const bytes = typeof value === "string" ? utf8(value) : value;
  const n = bytes.length;
  const length = n < 0x80 ? [n] : [(n & 0x7f) | 0x80, n >> 7];
  return [(number << 3) | 2, ...length, ...bytes];
}

describe("host functions: Envoy's foreign functions", () => {
  async function foreign(env: Env, name: string, args: number[]) {
    const [n, ns] = env.put(name);
    const [a, as] = env.put(Uint8Array.from(args));
    env.mark();
    const status = env.call("proxy_call_foreign_function", n, ns, a, as, P, S);
    return { status, out: env.vm.read(env.u32(P), env.u32(S)) };
  }

  it("set_envoy_filter_state sets a key Envoy knows on the stream", async () => {
    const env = await start();
    const { http } = httpContext(env);
    const long = "v".repeat(128);
    // A varint field (3) before the key is skipped; the value's length takes two bytes.
    const args = [0x18, 0x96, 0x01, ...field(1, "envoy.string"), ...field(2, long)];
    expect(await foreign(env, "set_envoy_filter_state", args)).toStrictEqual({
      status: Status.Ok,
      out: new Uint8Array(0),
    });
    expect(text(http.filterState.get("envoy.string") ?? new Uint8Array())).toBe(long);
    // No value: an empty one.
    expect(
      (await foreign(env, "set_envoy_filter_state", field(1, "envoy.tcp_proxy.cluster"))).status,
    ).toBe(Status.Ok);
    expect(http.filterState.get("envoy.tcp_proxy.cluster")).toStrictEqual(new Uint8Array(0));
  });

  it("set_envoy_filter_state refuses an unknown key, no key, and a context without a stream", async () => {
    const env = await start();
    const { http } = httpContext(env);
    expect(
      (await foreign(env, "set_envoy_filter_state", [...field(1, "my.key"), ...field(2, "v")]))
        .status,
    ).toBe(Status.NotFound);
    expect((await foreign(env, "set_envoy_filter_state", field(2, "v"))).status).toBe(
      Status.NotFound,
    );
    // A field of another wire type (5, fixed32) ends the reading: the key after it is not
    // seen (read as a varint, its first byte 0 would end one, and the key would follow).
    expect(
      (
        await foreign(env, "set_envoy_filter_state", [
          0x1d,
          0,
          ...field(1, "envoy.string"),
          ...field(2, "v"),
        ])
      ).status,
    ).toBe(Status.NotFound);
    expect([...http.filterState.keys()]).toStrictEqual([]);
    env.vm.current = env.root;
    expect(
      (
        await foreign(env, "set_envoy_filter_state", [
          ...field(1, "envoy.string"),
          ...field(2, "v"),
        ])
      ).status,
    ).toBe(Status.NotFound);
    expect((await foreign(env, "clear_route_cache", [])).status).toBe(Status.Ok);
    expect((await foreign(env, "no_such_function", [])).status).toBe(Status.NotFound);
  });

  it("verify_signature verifies with each hash Envoy supports", async () => {
    const env = await start();
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const der = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
    const data = utf8("signed text");
    for (const hash of ["sha1", "sha224", "sha256", "sha384", "sha512"]) {
      const signature = new Uint8Array(sign(hash, data, privateKey));
      const args = [...field(1, hash), ...field(2, der), ...field(3, signature), ...field(4, data)];
      // VerifySignatureResult { result: true }, no error.
      expect(await foreign(env, "verify_signature", args)).toStrictEqual({
        status: Status.Ok,
        out: Uint8Array.of(0x08, 1),
      });
      const wrong = [
        ...field(1, hash),
        ...field(2, der),
        ...field(3, signature),
        ...field(4, "other text"),
      ];
      const error = "Failed to verify digest. Error code: 0";
      expect((await foreign(env, "verify_signature", wrong)).out).toStrictEqual(
        Uint8Array.from(field(2, error)),
      );
    }
  });

  it("verify_signature names what failed: the hash, the key, or a missing signature", async () => {
    const env = await start();
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const der = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
    const error = async (args: number[]) =>
      text((await foreign(env, "verify_signature", args)).out?.subarray(2) ?? new Uint8Array());
    expect(await error([...field(1, "md5"), ...field(2, der)])).toBe("md5 is not supported.");
    expect(await error([])).toBe(" is not supported.");
    expect(await error([...field(1, "sha256"), ...field(2, "not a key")])).toBe(
      "Failed to parse public key.",
    );
    expect(await error(field(1, "sha256"))).toBe("Failed to parse public key.");
    expect(await error([...field(1, "sha256"), ...field(2, der)])).toBe(
      "Failed to verify digest. Error code: 0",
    );
    // An error of 128 bytes: its length takes two bytes (0x80 0x01).
    const hash = "h".repeat(128 - " is not supported.".length);
    const out = (await foreign(env, "verify_signature", field(1, hash))).out;
    expect([...(out ?? new Uint8Array()).subarray(0, 3)]).toStrictEqual([0x12, 0x80, 0x01]);
    expect(text(out?.subarray(3) ?? new Uint8Array())).toBe(`${hash} is not supported.`);
  });
});

describe("host functions: a property Envoy answers with a status", () => {
  it("returns that status", async () => {
    const env = await start();
    httpContext(env);
    const [p, ps] = env.put("filter_state");
    env.mark();
    expect(env.call("proxy_get_property", p, ps, P, S)).toBe(Status.SerializationFailure);
    expect([env.u32(P), env.u32(S)]).toStrictEqual([0xdeadbeef, 0xdeadbeef]);
  });
});

describe("host functions: header maps in the access log and past the last type", () => {
  it("read but neither size nor write the request's maps in onLog, as Envoy's writable map is gone", async () => {
    const env = await start();
    const { control } = httpContext(env);
    control.request.headersAvailable = false;
    control.accessLog = true;
    const type = MapType.HttpRequestHeaders;
    const [k, ks] = env.put("x-in");
    const [pp, ps] = env.put(encodePairs([["a", "1"]]));
    // Envoy's getHeaderMapSize asks for the writable map, as the edits do.
    expect(env.call("proxy_get_header_map_size", type, S)).toBe(Status.BadArgument);
    expect(env.call("proxy_get_header_map_pairs", type, P, S)).toBe(Status.Ok);
    expect([...(env.vm.read(env.u32(P), env.u32(S)) ?? [])]).toStrictEqual([
      ...encodePairs([
        [":path", "/a"],
        ["x-in", "1"],
      ]),
    ]);
    expect(env.call("proxy_get_header_map_value", type, k, ks, P, S)).toBe(Status.Ok);
    expect(env.out()).toBe("1");
    expect(env.call("proxy_set_header_map_pairs", type, pp, ps)).toBe(Status.BadArgument);
    expect(env.call("proxy_add_header_map_value", type, k, ks, k, ks)).toBe(Status.BadArgument);
    expect(control.request.headers?.pairs()).toStrictEqual([
      [":path", "/a"],
      ["x-in", "1"],
    ]);
  });

  it("check the map type before reading the guest's memory", async () => {
    const env = await start();
    httpContext(env);
    const past = MapType.HttpCallResponseTrailers + 1;
    expect(env.call("proxy_set_header_map_pairs", past, OOB, 4)).toBe(Status.BadArgument);
    expect(env.call("proxy_get_header_map_value", past, OOB, 1, P, S)).toBe(Status.BadArgument);
    expect(env.call("proxy_add_header_map_value", past, OOB, 1, OOB, 1)).toBe(Status.BadArgument);
    expect(env.call("proxy_remove_header_map_value", past, OOB, 1)).toBe(Status.BadArgument);
  });

  it("read a value of a callout's trailers, the last map type", async () => {
    const env = await start();
    env.root.callout = {
      headers: new HeaderMap(),
      body: new Uint8Array(0),
      trailers: new HeaderMap([["t", "v"]]),
    };
    const [k, ks] = env.put("t");
    expect(
      env.call("proxy_get_header_map_value", MapType.HttpCallResponseTrailers, k, ks, P, S),
    ).toBe(Status.Ok);
    expect(env.out()).toBe("v");
  });
});

describe("the VM's guest-memory accessors at their bounds", () => {
  it("write and read whole words up to the last byte, and refuse a word that would cross it or start before 0", async () => {
    const { vm } = await start();
    const end = vm.memoryBytes;
    expect(vm.setU32(0, 0x01020304)).toBe(true);
    expect([...(vm.read(0, 4) ?? [])]).toEqual([4, 3, 2, 1]);
    expect(vm.setU32(end - 4, 0xfffffffe)).toBe(true);
    expect([...(vm.read(end - 4, 4) ?? [])]).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect(vm.setU32(end - 3, 1)).toBe(false);
    expect(vm.setU32(-1, 1)).toBe(false);
    expect(vm.setU64(0, -2n)).toBe(true);
    expect([...(vm.read(0, 8) ?? [])]).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(vm.setU64(end - 8, 5n)).toBe(true);
    expect([...(vm.read(end - 8, 8) ?? [])]).toEqual([5, 0, 0, 0, 0, 0, 0, 0]);
    expect(vm.setU64(end - 7, 1n)).toBe(false);
    expect(vm.setU64(-1, 1n)).toBe(false);
  });

  it("read a range ending at the last byte, and refuse one past it, before 0 or of negative size", async () => {
    const { vm } = await start();
    const end = vm.memoryBytes;
    vm.refresh();
    vm.u8.set([0x61, 0xe9], end - 2);
    expect([...(vm.read(end - 2, 2) ?? [])]).toEqual([0x61, 0xe9]);
    expect(vm.readString(end - 1, 1)).toBe("\ufffd");
    expect(vm.readByteString(end - 2, 2)).toBe(`a${String.fromCharCode(0xdce9)}`);
    expect(vm.read(0, 0)).toEqual(new Uint8Array(0));
    for (const [ptr, size] of [
      [end - 1, 2],
      [-1, 1],
      [0, -1],
    ] as const) {
      expect(vm.read(ptr, size), `${ptr}+${size}`).toBeNull();
      expect(vm.readString(ptr, size), `${ptr}+${size}`).toBeNull();
      expect(vm.readByteString(ptr, size), `${ptr}+${size}`).toBeNull();
    }
  });
});

describe("a TCP connection's data", () => {
  it("passes each chunk on after the ones before it, both ways", async () => {
    const { host } = await start();
    const conn = host.connect();
    conn.downstreamData(utf8("ab"));
    conn.downstreamData(new Uint8Array(0));
    conn.downstreamData(utf8("cd"));
    expect(text(conn.toUpstream)).toBe("abcd");
    conn.upstreamData(utf8("xy"));
    conn.upstreamData(utf8("z"));
    expect(text(conn.toDownstream)).toBe("xyz");
  });

  it("finishes once: after the downstream closed, a second close and the upstream's run no callback", async () => {
    const { host } = await start();
    const conn = host.connect();
    conn.closeDownstream();
    conn.closeDownstream();
    conn.closeUpstream();
    expect(conn.steps.map((s) => s.callback)).toStrictEqual([
      "proxy_on_new_connection",
      "proxy_on_downstream_connection_close",
      "proxy_on_done",
      "proxy_on_log",
      "proxy_on_delete",
    ]);
  });
});

describe("an HTTP stream's body counts", () => {
  it("count the request body's bytes as they arrive, and only the request's", async () => {
    const { host } = await start();
    const s = host.stream();
    s.requestHeaders({ ":path": "/", ":method": "POST", host: "h" }, { endOfStream: false });
    s.requestBody("abc", { endOfStream: false });
    expect(s.raw.requestBodyBytes).toBe(3);
    s.requestBody("de");
    s.responseHeaders({ ":status": "200" }, { endOfStream: false });
    s.responseBody("wxyz");
    expect(s.raw.requestBodyBytes).toBe(5);
    expect(s.raw.responseBodyBytes).toBe(4);
  });
});

describe("the router's checks on a stream", () => {
  it("sends nothing upstream when a header value cannot be encoded, and answers 503", async () => {
    const { host } = await start();
    const s = host.stream();
    s.requestHeaders({ ":path": "/", ":method": "GET", host: "h", "x-bad": "a\rb" });
    expect(s.upstream.headers).toBeNull();
    expect(s.downstream.headers?.get(":status")).toBe("503");
    const good = host.stream();
    good.requestHeaders({ ":path": "/", ":method": "GET", host: "h" });
    expect(good.upstream.headers?.get("x-envoy-expected-rq-timeout-ms")).toBe("15000");
  });
});
