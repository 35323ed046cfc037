// One Envoy per scenario: its bootstrap, and a free port for the upstream listener.
//
// Scenarios whose work needs a request body run in front of an upstream. Rather than a third
// process, the upstream is a second listener of the same Envoy ("sink": a buffer filter so
// the whole request is read, then a direct response), so all the work stays in the one
// pinned process that is measured, and the body floor pays for the same hop.

import { createServer } from "node:net";
import { serviceCluster } from "../../filters/rate-limit/test/rls-service.ts";
import { buildBootstrap, type WasmFilterOptions } from "../../src/envoy/index.ts";
import { needsUpstream, type Scenario } from "../scenarios.ts";
import { RATE_LIMIT_CLUSTER } from "../scenarios-rate-limit.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sinkListener(port: number): Record<string, unknown> {
  return {
    name: "sink",
    address: { socket_address: { address: "127.0.0.1", port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type":
                "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              stat_prefix: "sink",
              generate_request_id: false,
              route_config: {
                name: "sink",
                virtual_hosts: [
                  {
                    name: "all",
                    domains: ["*"],
                    routes: [
                      {
                        match: { prefix: "/" },
                        direct_response: { status: 200, body: { inline_string: "ok" } },
                      },
                    ],
                  },
                ],
              },
              http_filters: [
                {
                  name: "envoy.filters.http.buffer",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer",
                    max_request_bytes: 65536,
                  },
                },
                {
                  name: "envoy.filters.http.router",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/** The bootstrap for one scenario; `wasm` is its filter when the peer is a Wasm SDK;
 *  `rateLimitSocket` the rate limit service's socket when the scenario needs it;
 *  `upstreamPort` the bench's Node upstream (for proxied scenarios). */
export async function scenarioBootstrap(
  scenario: Scenario,
  wasm: WasmFilterOptions | undefined,
  rateLimitSocket?: string,
  upstreamPort?: number,
): Promise<Record<string, unknown>> {
  const upstream = needsUpstream(scenario.work);
  const sinkPort = upstream ? await freePort() : 0;
  if (scenario.proxied && !upstreamPort) throw new Error(`${scenario.name}: no upstream started`);
  const config = buildBootstrap({
    wasmFilters: wasm ? [wasm] : [],
    extraHttpFilters: scenario.httpFilters ?? [],
    upstream: scenario.proxied
      ? { kind: "cluster", port: upstreamPort ?? 0 }
      : upstream
        ? { kind: "cluster", port: sinkPort }
        : { kind: "direct", status: 200, body: "ok" },
    generateRequestId: false,
  });
  if (scenario.accessLog) {
    type Node = Record<string, unknown>;
    const [listener] = (config.static_resources as { listeners: Node[] }).listeners;
    const [chain] = (listener as Node).filter_chains as Node[];
    const [hcm] = (chain as Node).filters as Node[];
    ((hcm as Node).typed_config as Node).access_log = scenario.accessLog;
  }
  if (upstream) {
    const resources = config.static_resources as { listeners: unknown[] };
    resources.listeners.push(sinkListener(sinkPort));
  }
  if (scenario.routes) setRoutes(config, scenario.routes);
  if (scenario.rateLimitService) {
    if (!rateLimitSocket) throw new Error(`${scenario.name} needs the rate limit service`);
    const resources = config.static_resources as { clusters: unknown[] };
    resources.clusters.push(serviceCluster(RATE_LIMIT_CLUSTER, rateLimitSocket));
  }
  return config;
}

/** Replaces the main listener's routes (a scenario that routes by what its filter sets). */
function setRoutes(config: Record<string, unknown>, routes: unknown[]): void {
  const resources = config.static_resources as {
    listeners: Array<{
      filter_chains: Array<{
        filters: Array<{
          typed_config: { route_config: { virtual_hosts: Array<{ routes: unknown[] }> } };
        }>;
      }>;
    }>;
  };
  const manager = resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config;
  const host = manager?.route_config.virtual_hosts[0];
  if (!host) throw new Error("bench bootstrap: no virtual host to route in");
  host.routes = routes;
}
