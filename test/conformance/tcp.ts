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

function tcpBootstrap(wasmPath: string, echoPort: number): object {
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

/** One connection through real Envoy: send, read the echo, half-close, wait for the close. */
async function viaEnvoy(message: string): Promise<TcpOutcome> {
  const wasm = await buildTestModule("tcp");
  const echo = await startTcpEcho();
  const envoy = await startEnvoy({ config: tcpBootstrap(wasm, echo.port) });
  try {
    const port = Number(new URL(envoy.listenerUrl).port);
    const received = await new Promise<string>((resolve, reject) => {
      let data = "";
      const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () =>
        socket.write(message),
      );
      socket.setTimeout(5_000, () => reject(new Error("tcp scenario timed out")));
      socket.on("data", (d) => {
        data += d.toString();
        if (data.length >= message.length + 2) socket.end();
      });
      socket.on("close", () => resolve(data));
      socket.on("error", reject);
    });
    const deadline = Date.now() + 5_000;
    while (!envoy.logs().includes("tcp:delete") && Date.now() < deadline) await sleep(20);
    const logs = envoy
      .logs()
      .split("\n")
      .map((l) => LOG_LINE.exec(l)?.[1])
      .filter((m): m is string => m?.startsWith("tcp:") ?? false);
    return { received, logs };
  } finally {
    await envoy.stop();
    await echo.close();
  }
}

/** The same connection through the emulator; the scenario plays tcp_proxy and the echo. */
async function viaEmulator(message: string, coverage: Coverage): Promise<TcpOutcome> {
  const host = await createHost({
    module: await buildTestModule("tcp"),
    name: "conf_tcp",
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
  return { received, logs: host.logs().filter((m) => m.startsWith("tcp:")) };
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
];
