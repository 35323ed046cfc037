// TCP scenarios: the tcp test module as a network filter in front of a TCP echo server.
// Envoy: listener → envoy.filters.network.wasm → tcp_proxy → echo. Emulator: the same
// connection driven through host.connect(), with the echo played by the scenario.

import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { startEnvoy, WASM_RUNTIME_V8 } from "../../src/envoy/index.ts";
import { type Coverage, createHost } from "../../src/testing/index.ts";
import { buildTestModule } from "../modules/build.ts";

export interface TcpScenario {
  name: string;
  run(kind: "emulator" | "envoy", coverage: Coverage): Promise<void>;
}

const LOG_LINE = /^\[\w+\]\[wasm\] wasm log[^:]*: (.*)$/;

interface TcpOutcome {
  received: string;
  logs: string[];
  /** The client's and the listener's addresses, where the connection went through. */
  source?: string;
  destination?: string;
}

async function startTcpEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on("data", (d) => socket.write(d));
    socket.on("end", () => socket.end());
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

function tcpBootstrap(wasmPath: string, echoPort: number, configuration = ""): object {
  const address = (port: number) => ({
    socket_address: { address: "127.0.0.1", port_value: port },
  });
  return {
    admin: { address: address(0) },
    static_resources: {
      listeners: [
        {
          name: "tcp",
          address: address(0),
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.wasm",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm",
                    config: {
                      name: "conf_tcp",
                      configuration: {
                        "@type": "type.googleapis.com/google.protobuf.StringValue",
                        value: configuration,
                      },
                      vm_config: {
                        runtime: WASM_RUNTIME_V8,
                        code: { local: { filename: wasmPath } },
                      },
                    },
                  },
                },
                {
                  name: "envoy.filters.network.tcp_proxy",
                  typed_config: {
                    "@type":
                      "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                    stat_prefix: "tcp",
                    cluster: "tcp_echo",
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: "tcp_echo",
          type: "STATIC",
          connect_timeout: "1s",
          load_assignment: {
            cluster_name: "tcp_echo",
            endpoints: [{ lb_endpoints: [{ endpoint: { address: address(echoPort) } }] }],
          },
        },
      ],
    },
  };
}

/** The tcp module's log lines, from Envoy's log. */
function tcpLogs(text: string): string[] {
  return text
    .split("\n")
    .map((l) => LOG_LINE.exec(l)?.[1])
    .filter((m): m is string => m?.startsWith("tcp:") ?? false);
}

/** Waits until `done`, 5 s at most (Envoy's log lags what the client sees). */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done() && Date.now() < deadline) await sleep(20);
}

/** One connection through real Envoy: send, read the echo, half-close, wait for the close. */
async function viaEnvoy(message: string, configuration = ""): Promise<TcpOutcome> {
  const wasm = await buildTestModule("tcp");
  const echo = await startTcpEcho();
  const envoy = await startEnvoy({ config: tcpBootstrap(wasm, echo.port, configuration) });
  let client = "";
  try {
    const port = Number(new URL(envoy.listenerUrl).port);
    const received = await new Promise<string>((resolve, reject) => {
      let data = "";
      const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => {
        client = `127.0.0.1:${socket.localPort}`;
        socket.write(message);
      });
      socket.setTimeout(5_000, () => reject(new Error("tcp scenario timed out")));
      socket.on("data", (d) => {
        data += d.toString();
        if (data.length >= message.length + 2) socket.end();
      });
      socket.on("close", () => resolve(data));
      socket.on("error", reject);
    });
    await until(() => envoy.logs().includes("tcp:delete"));
    const listener = `127.0.0.1:${port}`;
    return { received, logs: tcpLogs(envoy.logs()), source: client, destination: listener };
  } finally {
    await envoy.stop();
    await echo.close();
  }
}

/** The same connection through the emulator; the scenario plays tcp_proxy and the echo. */
async function viaEmulator(
  message: string,
  coverage: Coverage,
  configuration = "",
): Promise<TcpOutcome> {
  const host = await createHost({
    module: await buildTestModule("tcp"),
    name: "conf_tcp",
    configuration,
    coverage,
  });
  const conn = host.connect();
  conn.downstreamData(new TextEncoder().encode(message));
  const toEcho = conn.toUpstream;
  conn.upstreamData(toEcho);
  const received = new TextDecoder().decode(conn.toDownstream);
  // The client half-closes; tcp_proxy passes it on; the echo closes; Envoy closes downstream.
  conn.downstreamData(new Uint8Array(0), true);
  conn.upstreamData(new Uint8Array(0), true);
  conn.closeDownstream("local");
  return {
    received,
    logs: host.logs().filter((m) => m.startsWith("tcp:")),
    source: conn.connection.sourceAddress,
    destination: conn.connection.destinationAddress,
  };
}

/** A connection the filter held in onNewConnection: what came back and was logged before the
 *  next connection resumed it, and after. */
interface HeldOutcome {
  before: TcpOutcome;
  after: TcpOutcome;
}

/** Through real Envoy (configuration "hold-new"): the first connection sends, waits, then a
 *  second connection opens. */
async function heldViaEnvoy(): Promise<HeldOutcome> {
  const wasm = await buildTestModule("tcp");
  const echo = await startTcpEcho();
  const envoy = await startEnvoy({ config: tcpBootstrap(wasm, echo.port, "hold-new") });
  const sockets: Socket[] = [];
  try {
    const port = Number(new URL(envoy.listenerUrl).port);
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
        socket.on("error", reject);
        sockets.push(socket);
      });
    const first = await open();
    let received = "";
    first.on("data", (d) => {
      received += d.toString();
    });
    first.write("hello");
    // Long enough for Envoy to read the bytes and, were they not held, to echo them.
    await sleep(300);
    const before = { received, logs: tcpLogs(envoy.logs()) };
    await open();
    await until(() => received.length >= 7 && envoy.logs().includes("tcp:upstream"));
    return { before, after: { received, logs: tcpLogs(envoy.logs()) } };
  } finally {
    for (const socket of sockets) socket.destroy();
    await envoy.stop();
    await echo.close();
  }
}

/** The same through the emulator; the scenario echoes what reached the upstream. */
async function heldViaEmulator(coverage: Coverage): Promise<HeldOutcome> {
  const host = await createHost({
    module: await buildTestModule("tcp"),
    name: "conf_tcp",
    configuration: "hold-new",
    coverage,
  });
  const first = host.connect();
  let echoed = 0;
  const outcome = (): TcpOutcome => {
    const sent = first.toUpstream.subarray(echoed);
    echoed = first.toUpstream.length;
    if (sent.length > 0) first.upstreamData(sent);
    return {
      received: new TextDecoder().decode(first.toDownstream),
      logs: host.logs().filter((m) => m.startsWith("tcp:")),
    };
  };
  first.downstreamData(new TextEncoder().encode("hello"));
  const before = outcome();
  host.connect();
  return { before, after: outcome() };
}

/** Through real Envoy (tcp-announced, "close-at-create"): a connection whose context closes it
 *  while the host creates it. The client sends and reads until the close. */
async function closedAtCreateViaEnvoy(): Promise<TcpOutcome> {
  const wasm = await buildTestModule("tcp-announced");
  const echo = await startTcpEcho();
  const envoy = await startEnvoy({ config: tcpBootstrap(wasm, echo.port, "close-at-create") });
  try {
    const port = Number(new URL(envoy.listenerUrl).port);
    const received = await new Promise<string>((resolve) => {
      let data = "";
      const socket = connect({ host: "127.0.0.1", port }, () => socket.write("hello"));
      socket.setTimeout(5_000, () => socket.destroy());
      socket.on("data", (d) => {
        data += d.toString();
      });
      socket.on("close", () => resolve(data));
      socket.on("error", () => undefined); // the write may meet the close
    });
    await until(() => envoy.logs().includes("tcp:new"));
    // Long enough for the callbacks of a close to be logged, were there any.
    await sleep(500);
    return { received, logs: tcpLogs(envoy.logs()) };
  } finally {
    await envoy.stop();
    await echo.close();
  }
}

/** The same through the emulator: the scenario sends and echoes only while the connection is
 *  open. */
async function closedAtCreateViaEmulator(coverage: Coverage): Promise<TcpOutcome> {
  const host = await createHost({
    module: await buildTestModule("tcp-announced"),
    name: "conf_tcp",
    configuration: "close-at-create",
    coverage,
  });
  const conn = host.connect();
  if (conn.closedByFilter !== "downstream") {
    conn.downstreamData(new TextEncoder().encode("hello"));
    conn.upstreamData(conn.toUpstream);
  }
  return {
    received: new TextDecoder().decode(conn.toDownstream),
    logs: host.logs().filter((m) => m.startsWith("tcp:")),
  };
}

export const tcpScenarios: TcpScenario[] = [
  {
    name: "tcp: a network filter sees and marks data both ways, then the closes",
    async run(kind, coverage) {
      const out = kind === "envoy" ? await viaEnvoy("hello") : await viaEmulator("hello", coverage);
      expect(out.received).toBe(">hello<");
      expect(out.logs[0]).toBe("tcp:new");
      expect(out.logs).toContain("tcp:downstream 5");
      expect(out.logs).toContain("tcp:upstream 6");
      expect(out.logs).toContain("tcp:downstream-eos");
      expect(out.logs).toContain("tcp:upstream-close");
      expect(out.logs).toContain("tcp:downstream-close");
      expect(out.logs.slice(-2)).toEqual(["tcp:done", "tcp:delete"]);
    },
  },
  {
    name: "tcp: a connection its onNewConnection pauses gets no data callback until the filter continues it, then all the bytes that waited at once",
    async run(kind, coverage) {
      const out = kind === "envoy" ? await heldViaEnvoy() : await heldViaEmulator(coverage);
      expect(out.before).toEqual({ received: "", logs: ["tcp:new"] });
      expect(out.after.received).toBe(">hello<");
      expect(out.after.logs).toEqual([
        "tcp:new",
        "tcp:new",
        "tcp:resume 0",
        "tcp:downstream 5",
        "tcp:upstream 6",
      ]);
    },
  },
  {
    // The connection is current while the host creates its context (Envoy's onCreate, as for
    // a stream): the close acts on it, not on the root. Envoy then calls onNewConnection and
    // nothing after: the close came while the context was not yet marked created, so it runs
    // no close, done or delete for it (the SDK keeps that context).
    name: "tcp: a connection its context closes while the host creates it gets no byte through, and no callback after onNewConnection",
    async run(kind, coverage) {
      const out =
        kind === "envoy"
          ? await closedAtCreateViaEnvoy()
          : await closedAtCreateViaEmulator(coverage);
      expect(out).toEqual({ received: "", logs: ["tcp:created close 0", "tcp:new"] });
    },
  },
  {
    // The tcp module's "attributes" configuration logs `tcp:attr <callback> <name> <status>
    // <hex>` in each callback (status 1 is NotFound, 3 SerializationFailure).
    name: "tcp: a network filter reads its connection's attributes in every callback: source and destination, connection.id and connection_id as one uint64, no mTLS or SNI",
    async run(kind, coverage) {
      const out =
        kind === "envoy"
          ? await viaEnvoy("hello", "attributes")
          : await viaEmulator("hello", coverage, "attributes");
      const reads = new Map<string, { status: number; bytes: Buffer }>();
      for (const line of out.logs) {
        const m = /^tcp:attr (\S+) (\S+) (\d+) ([0-9a-f]*)$/.exec(line);
        if (m && !reads.has(`${m[1]} ${m[2]}`)) {
          reads.set(`${m[1]} ${m[2]}`, {
            status: Number(m[3]),
            bytes: Buffer.from(m[4] ?? "", "hex"),
          });
        }
      }
      const port = (address: string | undefined) => BigInt(address?.split(":")[1] ?? -1);
      for (const cb of ["new", "downstream", "upstream", "downstream-close"]) {
        const read = (name: string) =>
          reads.get(`${cb} ${name}`) ?? { status: -1, bytes: Buffer.alloc(0) };
        const text = (name: string) => read(name).bytes.toString("utf8");
        const int = (name: string) => read(name).bytes.readBigUInt64LE(0);
        expect(text("source.address"), cb).toBe(out.source);
        expect(int("source.port"), cb).toBe(port(out.source));
        expect(text("destination.address"), cb).toBe(out.destination);
        expect(int("destination.port"), cb).toBe(port(out.destination));
        expect(read("connection.id").bytes.length, cb).toBe(8);
        expect(int("connection.id"), cb).toBeGreaterThan(0n);
        expect(read("connection_id"), cb).toEqual(read("connection.id"));
        expect(read("connection.mtls"), cb).toEqual({ status: 0, bytes: Buffer.of(0) });
        expect(read("connection.requested_server_name"), cb).toEqual({
          status: 0,
          bytes: Buffer.alloc(0),
        });
        expect(read("connection.tls_version").status, cb).toBe(1);
        expect(read("connection.termination_details").status, cb).toBe(1);
        expect(read("metadata"), cb).toEqual({ status: 0, bytes: Buffer.alloc(0) });
        expect(read("filter_state").status, cb).toBe(3);
        expect(read("xds.listener_direction"), cb).toEqual({ status: 0, bytes: Buffer.alloc(8) });
        expect(read("xds.filter_chain_name"), cb).toEqual({ status: 0, bytes: Buffer.alloc(0) });
      }
    },
  },
];
