// A TCP connection through a network filter (src/testing/tcp.ts), with a hand-written module
// whose data callbacks pause: what the filter holds and what passes once it continues, a
// connection its new-connection callback pauses, its closes, the peer each close callback is
// told, and a filter that traps.

import { describe, expect, it } from "vitest";
import { createHost } from "../../src/testing/index.ts";
import { BufferType, Status, StreamType } from "../../src/testing/status.ts";
import { TcpConnection } from "../../src/testing/tcp.ts";
import type { RootContextState, Vm } from "../../src/testing/vm.ts";
import { text, utf8 } from "../../src/testing/wire.ts";
import { WasmBuilder } from "../check/wasm-builder.ts";

const I32 = "i32" as const;

/** Where the filter traps: its new-connection callback, or one of its data callbacks. */
type TrapIn = "new" | "downstream" | "upstream" | null;

/** A network filter whose data callbacks return Pause (1), or the one named by `trapIn` traps
 *  (a trapping filter exports no proxy_on_done, proxy_on_log or proxy_on_delete); its
 *  new-connection callback returns Pause when `pauseNew`, else Continue; the context-create
 *  callback stores the id it is given in the exported global `created`, the close callbacks
 *  the peer they are told in `peer`, the downstream data callback its end-of-stream flag in
 *  `eos`. */
function pausingModule(trapIn: TrapIn = null, pauseNew = false): Uint8Array {
  const b = new WasmBuilder();
  b.memory(1);
  const top = b.mutableGlobal(4096);
  const peer = b.mutableGlobal(99);
  const eos = b.mutableGlobal(99);
  const created = b.mutableGlobal(0);
  b.export("peer", "global", peer);
  b.export("eos", "global", eos);
  b.export("created", "global", created);
  const trapOr = (where: TrapIn, body: number[]) => (trapIn === where ? [0x00] : body);
  b.func([], [], "proxy_abi_version_0_2_1");
  b.code([I32], [I32], [0x23, top, 0x23, top, 0x20, 0x00, 0x6a, 0x24, top], "malloc");
  b.code([I32, I32], [], [0x20, 0x00, 0x24, created], "proxy_on_context_create");
  const newConnection = trapOr("new", [0x41, pauseNew ? 0x01 : 0x00]);
  b.code([I32], [I32], newConnection, "proxy_on_new_connection");
  const data = trapOr("downstream", [0x20, 0x02, 0x24, eos, 0x41, 0x01]);
  b.code([I32, I32, I32], [I32], data, "proxy_on_downstream_data");
  b.code([I32, I32, I32], [I32], trapOr("upstream", [0x41, 0x01]), "proxy_on_upstream_data");
  b.code([I32, I32], [], [0x20, 0x01, 0x24, peer], "proxy_on_downstream_connection_close");
  b.code([I32, I32], [], [0x20, 0x01, 0x24, peer], "proxy_on_upstream_connection_close");
  if (!trapIn) {
    b.func([I32], [I32], "proxy_on_done");
    b.func([I32], [], "proxy_on_log");
    b.func([I32], [], "proxy_on_delete");
  }
  return b.build();
}

async function connect(trapIn: TrapIn = null, pauseNew = false) {
  const host = await createHost({ module: pausingModule(trapIn, pauseNew) });
  const conn = host.connect();
  const vm = host.vms[0] as Vm;
  const global = (name: string) => (vm.exports[name] as unknown as { value: number }).value;
  const created = () => global("created");
  return { host, conn, vm, peer: () => global("peer"), eos: () => global("eos"), created };
}

const bytesOf = (
  conn: { getBuffer(t: number): { bytes: Uint8Array; mutable: boolean } | null },
  t: number,
) => text(conn.getBuffer(t)?.bytes ?? new Uint8Array(0));

describe("a paused TCP connection", () => {
  it("holds the client's bytes, all of them, until the filter continues the downstream", async () => {
    const { conn, eos } = await connect();
    expect(bytesOf(conn, BufferType.DownstreamData)).toBe("");
    expect(conn.getBuffer(BufferType.DownstreamData)?.mutable).toBe(false);
    expect(conn.downstreamData(utf8("ab"))).toBe("Pause");
    expect(eos()).toBe(0);
    expect(conn.downstreamData(utf8("cd"), true)).toBe("Pause");
    expect(eos()).toBe(1);
    expect(text(conn.toUpstream)).toBe("");
    expect(bytesOf(conn, BufferType.DownstreamData)).toBe("abcd");
    expect(conn.getBuffer(BufferType.DownstreamData)?.mutable).toBe(true);
    // Continuing the upstream direction passes nothing of the client's (Envoy does not
    // implement it).
    expect(conn.continueStream(StreamType.Upstream)).toBe(Status.Unimplemented);
    expect(text(conn.toUpstream)).toBe("");
    expect(conn.continueStream(StreamType.Downstream)).toBe(Status.Ok);
    expect(text(conn.toUpstream)).toBe("abcd");
    expect(bytesOf(conn, BufferType.DownstreamData)).toBe("");
    // Nothing held: a second continue passes nothing more.
    conn.continueStream(StreamType.Downstream);
    expect(text(conn.toUpstream)).toBe("abcd");
    conn.downstreamData(utf8("e"));
    conn.continueStream(StreamType.Downstream);
    expect(text(conn.toUpstream)).toBe("abcde");
  });

  it("holds the upstream's bytes, and reads other buffers as the root's", async () => {
    const { conn } = await connect();
    expect(bytesOf(conn, BufferType.UpstreamData)).toBe("");
    expect(conn.getBuffer(BufferType.UpstreamData)?.mutable).toBe(false);
    expect(conn.upstreamData(utf8("xy"))).toBe("Pause");
    expect(conn.upstreamData(utf8("z"))).toBe("Pause");
    expect(bytesOf(conn, BufferType.UpstreamData)).toBe("xyz");
    expect(text(conn.toDownstream)).toBe("");
    // Without an end of stream the upstream stays open.
    expect(conn.steps.map((s) => s.callback)).not.toContain("proxy_on_upstream_connection_close");
    expect(bytesOf(conn, BufferType.HttpRequestBody)).toBe("");
  });

  it("tells the close callbacks the peer: the upstream's end of stream as unknown (0)", async () => {
    const { conn, peer } = await connect();
    expect(peer()).toBe(99);
    conn.upstreamData(utf8("bye"), true);
    expect(peer()).toBe(0);
    expect(conn.steps.map((s) => s.callback)).toContain("proxy_on_upstream_connection_close");
    conn.closeDownstream("local");
    expect(peer()).toBe(1);
    const other = await connect();
    other.conn.closeUpstream();
    expect(other.peer()).toBe(2);
    other.conn.closeDownstream();
    expect(other.peer()).toBe(2);
    // Once the downstream closed, the connection is over: an upstream close runs nothing.
    const third = await connect();
    third.conn.closeDownstream("local");
    third.conn.closeUpstream("remote");
    expect(third.peer()).toBe(1);
    expect(third.conn.steps.map((s) => s.callback)).not.toContain(
      "proxy_on_upstream_connection_close",
    );
  });

  it("closes the side the filter asks for once its callback has returned", async () => {
    const { conn } = await connect();
    expect(conn.closedByFilter).toBeNull();
    expect(conn.closeStream(StreamType.Upstream)).toBe(Status.Ok);
    expect(conn.closedByFilter).toBe("upstream");
    expect(conn.closeStream(StreamType.Downstream)).toBe(Status.Ok);
    expect(conn.closedByFilter).toBe("downstream");
  });

  it("ends the context after both sides closed, upstream first", async () => {
    const { conn, vm } = await connect();
    expect(vm.contexts.has(conn.id)).toBe(true);
    conn.closeUpstream();
    expect(vm.contexts.has(conn.id)).toBe(true);
    conn.closeUpstream();
    conn.closeDownstream();
    expect(vm.contexts.has(conn.id)).toBe(false);
    expect(conn.steps.map((s) => s.callback)).toEqual([
      "proxy_on_new_connection",
      "proxy_on_upstream_connection_close",
      "proxy_on_downstream_connection_close",
      "proxy_on_done",
      "proxy_on_log",
      "proxy_on_delete",
    ]);
  });
});

describe("a TCP connection paused in onNewConnection", () => {
  it("reads nothing until the filter continues it, then hands the data callback every byte that waited", async () => {
    const { conn, eos } = await connect(null, true);
    expect(conn.steps).toEqual([{ callback: "proxy_on_new_connection", action: "Pause" }]);
    expect(conn.downstreamData(utf8("ab"))).toBe("Pause");
    expect(conn.downstreamData(utf8("cd"), true)).toBe("Pause");
    expect(conn.steps).toHaveLength(1);
    expect(eos()).toBe(99);
    expect(text(conn.toUpstream)).toBe("");
    expect(conn.continueStream(StreamType.Downstream)).toBe(Status.Ok);
    expect(conn.steps.map((s) => s.callback)).toEqual([
      "proxy_on_new_connection",
      "proxy_on_downstream_data",
    ]);
    expect(eos()).toBe(1);
    // The data callback paused the bytes in turn: they wait for the next continue.
    expect(bytesOf(conn, BufferType.DownstreamData)).toBe("abcd");
    expect(text(conn.toUpstream)).toBe("");
    conn.continueStream(StreamType.Downstream);
    expect(text(conn.toUpstream)).toBe("abcd");
  });

  it("runs no data callback when nothing waited, and reads what comes after the continue", async () => {
    const { conn } = await connect(null, true);
    conn.continueStream(StreamType.Downstream);
    expect(conn.steps).toHaveLength(1);
    expect(conn.downstreamData(utf8("x"))).toBe("Pause");
    expect(conn.steps.map((s) => s.callback)).toEqual([
      "proxy_on_new_connection",
      "proxy_on_downstream_data",
    ]);
    expect(bytesOf(conn, BufferType.DownstreamData)).toBe("x");
  });

  it("runs the data callback for an end of stream that waited alone", async () => {
    const { conn, eos } = await connect(null, true);
    conn.downstreamData(new Uint8Array(0), true);
    conn.continueStream(StreamType.Downstream);
    expect(conn.steps.map((s) => s.callback)).toContain("proxy_on_downstream_data");
    expect(eos()).toBe(1);
  });
});

describe("a new TCP connection", () => {
  it("creates the filter's context under the connection's id before onNewConnection", async () => {
    const { conn, created } = await connect();
    expect(created()).toBe(conn.id);
    expect(conn.steps.map((s) => s.callback)).toEqual(["proxy_on_new_connection"]);
  });
});

describe("a TCP connection's attributes", () => {
  const hex = (v: Uint8Array | number | undefined) =>
    v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v;

  it("are its client's and listener's addresses and its id, connection_id the same uint64, each connection its own", async () => {
    const { host, conn } = await connect();
    const other = host.connect();
    const read = (c: TcpConnection, dotted: string) => hex(c.property(dotted.split(".")));
    expect(read(conn, "source.address")).toBe(Buffer.from("127.0.0.1:40000").toString("hex"));
    expect(read(other, "source.address")).toBe(Buffer.from("127.0.0.1:40001").toString("hex"));
    expect(read(conn, "source.port")).toBe("409c000000000000");
    expect(read(conn, "destination.address")).toBe(Buffer.from("127.0.0.1:10000").toString("hex"));
    expect(read(conn, "destination.port")).toBe("1027000000000000");
    expect(read(conn, "connection.id")).toBe("0100000000000000");
    expect(read(other, "connection.id")).toBe("0200000000000000");
    expect(read(conn, "connection_id")).toBe("0100000000000000");
    expect(read(conn, "connection.mtls")).toBe("00");
    expect(read(conn, "connection.requested_server_name")).toBe("");
    expect(read(conn, "filter_state")).toBe(Status.SerializationFailure);
    expect(read(conn, "plugin_name")).toBe(Buffer.from("test").toString("hex"));
    // A stream's attributes are not a connection's.
    expect(read(conn, "request.path")).toBeUndefined();
    expect(read(conn, "upstream.address")).toBeUndefined();
  });

  it("give way to a test's properties, as a stream's do", async () => {
    const host = await createHost({
      module: pausingModule(),
      properties: { "source.address": "10.1.2.3:4444" },
    });
    const conn = host.connect();
    expect(hex(conn.property(["source", "address"]))).toBe(
      Buffer.from("10.1.2.3:4444").toString("hex"),
    );
  });
});

describe("a TCP filter that traps", () => {
  it("in onNewConnection: the connection reads on as Continue, closed by the filter", async () => {
    const host = await createHost({ module: pausingModule("new") });
    const conn = new TcpConnection(host.vms[0] as Vm, 7, host.roots[0] as RootContextState, {
      sourceAddress: "127.0.0.1:40000",
      destinationAddress: "127.0.0.1:10000",
      connectionId: 1,
    });
    expect(conn.open()).toBe("Continue");
    expect(conn.trap).not.toBeNull();
    expect(conn.closedByFilter).toBe("downstream");
    // Not paused: the client's bytes wait for no continue, and the failed VM runs nothing.
    expect(conn.downstreamData(utf8("ab"))).toBe("Continue");
    expect(conn.steps).toEqual([]);
  });

  it("in onUpstreamData: the call reads as Continue and passes nothing to the client", async () => {
    const { conn } = await connect("upstream");
    expect(conn.upstreamData(utf8("xy"))).toBe("Continue");
    expect(conn.trap).not.toBeNull();
    expect(conn.closedByFilter).toBe("downstream");
    expect(text(conn.toDownstream)).toBe("");
  });

  it("lets an error of the host through instead of taking it for the filter's trap", async () => {
    const { conn, vm } = await connect();
    vm.call = () => {
      throw new Error("host bug");
    };
    expect(() => conn.downstreamData(utf8("ab"))).toThrow("host bug");
    expect(conn.trap).toBeNull();
  });

  it("closes the downstream, and runs no callback of the failed VM at the end", async () => {
    const { conn, vm } = await connect("downstream");
    expect(conn.downstreamData(utf8("ab"))).toBe("Continue");
    expect(conn.trap).not.toBeNull();
    expect(conn.closedByFilter).toBe("downstream");
    expect(text(conn.toUpstream)).toBe("");
    conn.closeDownstream();
    expect(vm.contexts.has(conn.id)).toBe(false);
    expect(conn.steps.map((s) => s.callback)).toEqual(["proxy_on_new_connection"]);
  });
});
