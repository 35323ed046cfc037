// The host's root context on its own: what each callout callback can read while it runs (and
// not after), the status a failed call reports, the buffers a root reads and may not write,
// Envoy's properties and stream answers for a root. The VM it calls into is a recorder here:
// each call notes what the context offered at that moment.

import { describe, expect, it } from "vitest";
import { type ByteBuffer, RootContextState } from "../../src/testing/contexts.ts";
import { HeaderMap } from "../../src/testing/headers.ts";
import { BROKEN_CONNECTION, BufferType, MapType, Status } from "../../src/testing/status.ts";
import type { Vm } from "../../src/testing/vm.ts";
import { World } from "../../src/testing/world.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: ByteBuffer | null) => (b ? new TextDecoder().decode(b.bytes) : null);

interface Seen {
  name: string;
  args: number[];
  maps: Record<string, string[][] | null>;
  buffers: Record<string, string | null>;
  status: { code: number; message: string };
}

/** A root context of a VM that records each call and what the root offered during it. */
function root() {
  const world = new World({ logLevel: "info" });
  const calls: Seen[] = [];
  const vm = {
    world,
    plugin: {
      name: "my-plugin",
      rootId: "my-root",
      vmId: "my-vm",
      vmConfiguration: bytes("vm-config"),
    },
    failed: null as unknown,
    contexts: new Map<number, unknown>(),
    call(name: string, _ctx: unknown, ...args: number[]) {
      const mapNames = Object.entries(MapType);
      const bufferNames = Object.entries(BufferType);
      calls.push({
        name,
        args,
        maps: Object.fromEntries(
          mapNames.map(([k, v]) => [k, context.getMap(v, false)?.pairs() ?? null]),
        ),
        buffers: Object.fromEntries(bufferNames.map(([k, v]) => [k, text(context.getBuffer(v))])),
        status: { ...context.status },
      });
      return 0;
    },
  };
  const context = new RootContextState(vm as unknown as Vm, 7);
  vm.contexts.set(7, context);
  return { context, vm, calls, world };
}

/** The maps and buffers a root offers outside any callout callback. */
function offered(context: RootContextState) {
  return {
    maps: Object.values(MapType).map((t) => context.getMap(t, false)),
    buffers: Object.fromEntries(
      Object.entries(BufferType).map(([k, v]) => [k, text(context.getBuffer(v))]),
    ),
  };
}

const IDLE_BUFFERS = {
  HttpRequestBody: "",
  HttpResponseBody: "",
  DownstreamData: "",
  UpstreamData: "",
  HttpCallResponseBody: null,
  GrpcReceiveBuffer: null,
  VmConfiguration: "vm-config",
  PluginConfiguration: null,
  CallData: "",
};

describe("a root context's callout callbacks", () => {
  it("offers an HTTP callout's response while its callback runs, and nothing after", () => {
    const { context, calls } = root();
    const headers = new HeaderMap([
      [":status", "200"],
      ["x-a", "1"],
    ]);
    const trailers = new HeaderMap([["x-t", "2"]]);
    context.httpCallResponse(3, { headers, body: bytes("body!"), trailers });
    const [call] = calls;
    expect(call?.name).toBe("proxy_on_http_call_response");
    expect(call?.args).toEqual([7, 3, 2, 5, 1]);
    expect(call?.maps.HttpCallResponseHeaders).toEqual([
      [":status", "200"],
      ["x-a", "1"],
    ]);
    expect(call?.maps.HttpCallResponseTrailers).toEqual([["x-t", "2"]]);
    expect(call?.maps.GrpcReceiveInitialMetadata).toBeNull();
    expect(call?.maps.HttpRequestHeaders).toBeNull();
    expect(call?.buffers.HttpCallResponseBody).toBe("body!");
    expect(call?.status).toEqual({ code: 0, message: "" });
    expect(offered(context)).toEqual({ maps: Array(8).fill(null), buffers: IDLE_BUFFERS });
    // Only reads: the response maps are not offered for writing.
    expect(context.getMap(MapType.HttpCallResponseHeaders, true)).toBeNull();
  });

  it("reports a reset callout as a broken connection, with nothing to read", () => {
    const { context, calls } = root();
    context.httpCallResponse(4, null);
    expect(calls).toEqual([
      expect.objectContaining({
        name: "proxy_on_http_call_response",
        args: [7, 4, 0, 0, 0],
        status: { code: BROKEN_CONNECTION, message: "reset" },
      }),
    ]);
    expect(calls[0]?.maps.HttpCallResponseHeaders).toBeNull();
    expect(context.status).toEqual({ code: 0, message: "" });
  });

  it("offers a gRPC message and metadata during their callbacks only, and a close's status", () => {
    const { context, calls } = root();
    context.grpcReceive(5, bytes("msg"));
    context.grpcInitialMetadata(5, new HeaderMap([["x-i", "1"]]));
    context.grpcTrailingMetadata(5, new HeaderMap([["x-t", "2"]]));
    context.grpcClose(5, { code: 14, message: "unavailable" });
    expect(calls.map((c) => [c.name, c.args])).toEqual([
      ["proxy_on_grpc_receive", [7, 5, 3]],
      ["proxy_on_grpc_receive_initial_metadata", [7, 5, 1]],
      ["proxy_on_grpc_receive_trailing_metadata", [7, 5, 1]],
      ["proxy_on_grpc_close", [7, 5, 14]],
    ]);
    const [receive, initial, trailing, close] = calls;
    expect(receive?.buffers.GrpcReceiveBuffer).toBe("msg");
    expect(initial?.maps.GrpcReceiveInitialMetadata).toEqual([["x-i", "1"]]);
    // The metadata map is the one of the callback running, under either name.
    expect(initial?.maps.GrpcReceiveTrailingMetadata).toEqual([["x-i", "1"]]);
    expect(initial?.maps.HttpCallResponseHeaders).toBeNull();
    expect(initial?.maps.HttpResponseHeaders).toBeNull();
    expect(trailing?.maps.GrpcReceiveTrailingMetadata).toEqual([["x-t", "2"]]);
    expect(close?.status).toEqual({ code: 14, message: "unavailable" });
    expect(close?.maps.GrpcReceiveTrailingMetadata).toBeNull();
    expect(offered(context)).toEqual({ maps: Array(8).fill(null), buffers: IDLE_BUFFERS });
    expect(context.status).toEqual({ code: 0, message: "" });
  });

  it("clears what it offered even when the callback fails", () => {
    const { context, vm } = root();
    vm.call = () => {
      throw new Error("trap");
    };
    const headers = new HeaderMap([[":status", "200"]]);
    const response = { headers, body: bytes("x"), trailers: new HeaderMap() };
    expect(() => context.httpCallResponse(1, response)).toThrow("trap");
    expect(() => context.httpCallResponse(1, null)).toThrow("trap");
    expect(() => context.grpcReceive(1, bytes("m"))).toThrow("trap");
    expect(() => context.grpcInitialMetadata(1, headers)).toThrow("trap");
    expect(() => context.grpcClose(1, { code: 2, message: "m" })).toThrow("trap");
    expect(offered(context)).toEqual({ maps: Array(8).fill(null), buffers: IDLE_BUFFERS });
    expect(context.status).toEqual({ code: 0, message: "" });
  });
});

describe("a root context's buffers", () => {
  it("reads its configurations and call data, and refuses writes to every one", () => {
    const { context } = root();
    context.configuring = bytes("plugin-config");
    context.callData = bytes("call-data");
    const all = Object.values(BufferType).map((t) => context.getBuffer(t));
    expect(all.map(text)).toEqual([
      "",
      "",
      "",
      "",
      null,
      null,
      "vm-config",
      "plugin-config",
      "call-data",
    ]);
    for (const buffer of all) {
      if (buffer) expect(buffer.copyFrom(0, 0, bytes("x"))).toBe(Status.BadArgument);
    }
    expect(context.getBuffer(9)).toBeNull();
    expect(context.getBuffer(-1)).toBeNull();
  });
});

describe("a root context's answers", () => {
  it("names its plugin, root and VM, or what the test set, and nothing else", () => {
    const { context, world } = root();
    const read = (path: string) => {
      const value = context.property(path.split("."));
      return value instanceof Uint8Array ? new TextDecoder().decode(value) : value;
    };
    expect(read("plugin_name")).toBe("my-plugin");
    expect(read("plugin_root_id")).toBe("my-root");
    expect(read("plugin_vm_id")).toBe("my-vm");
    expect(read("request.path")).toBeUndefined();
    world.setProperty("plugin_name", "overridden");
    world.setProperty("node.id", "n1");
    expect(read("plugin_name")).toBe("overridden");
    expect(read("node.id")).toBe("n1");
    expect(context.setProperty("x", bytes("y"))).toBe(Status.NotFound);
    expect(context.streamState()).toBeNull();
  });

  it("answers the stream calls as Envoy does for a root: no stream to continue or close", () => {
    const { context } = root();
    expect([0, 1, 2, 3, 4].map((t) => context.continueStream(t))).toEqual([
      Status.Ok,
      Status.Ok,
      Status.Ok,
      Status.Unimplemented,
      Status.BadArgument,
    ]);
    expect([0, 3, 4].map((t) => context.closeStream(t))).toEqual([
      Status.Ok,
      Status.Ok,
      Status.BadArgument,
    ]);
    const reply = {
      status: 403,
      body: "",
      bodyBytes: new Uint8Array(0),
      headers: [],
      details: "",
      grpcStatus: null,
    };
    expect(context.sendLocalResponse(reply)).toBe(Status.Ok);
  });

  it("wakes for a queue while it lives in a VM that has not failed, and is deleted once", () => {
    const { context, vm, calls } = root();
    expect(context.listening).toBe(true);
    context.queueReady(9);
    expect(calls.map((c) => [c.name, c.args])).toEqual([["proxy_on_queue_ready", [7, 9]]]);
    vm.failed = new Error("trapped");
    expect(context.listening).toBe(false);
    context.queueReady(9);
    context.tick();
    vm.failed = null;
    context.tick();
    context.delete();
    expect(vm.contexts.has(7)).toBe(false);
    expect(context.listening).toBe(false);
    context.queueReady(9);
    expect(calls.map((c) => c.name)).toEqual([
      "proxy_on_queue_ready",
      "proxy_on_tick",
      "proxy_on_delete",
    ]);
  });
});
