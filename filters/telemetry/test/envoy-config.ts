// The filter's own envoy.yaml, made runnable in a test: any free ports, the echo upstream's
// port, the module's absolute path, and optionally another configuration (with the
// stats_config that configuration needs) and a faster stats flush.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { FILTER_DIR } from "./build.ts";
import { telemetryStatsConfig } from "./stats-config.ts";

type Node = Record<string, unknown>;

export function shippedEnvoyYaml(): Node {
  return parse(readFileSync(join(FILTER_DIR, "envoy.yaml"), "utf8")) as Node;
}

/** The wasm filter's `config` inside a bootstrap. */
export function wasmConfig(bootstrap: Node): Node {
  const listener = (bootstrap.static_resources as Node).listeners as Node[];
  const hcm = (
    (((listener[0] as Node).filter_chains as Node[])[0] as Node).filters as Node[]
  )[0] as Node;
  const filters = (hcm.typed_config as Node).http_filters as Node[];
  return ((filters[0] as Node).typed_config as Node).config as Node;
}

/** The configuration JSON in envoy.yaml. */
export function shippedConfiguration(): object {
  return JSON.parse(
    ((wasmConfig(shippedEnvoyYaml()).configuration as Node).value as string) ?? "{}",
  ) as object;
}

export function runnableBootstrap(opts: {
  upstreamPort: number;
  wasmPath: string;
  configuration?: object;
  flushSeconds?: number;
}): Node {
  const b = shippedEnvoyYaml();
  (((b.admin as Node).address as Node).socket_address as Node).port_value = 0;
  const listener = ((b.static_resources as Node).listeners as Node[])[0] as Node;
  ((listener.address as Node).socket_address as Node).port_value = 0;
  const cluster = ((b.static_resources as Node).clusters as Node[])[0] as Node;
  const endpoint = (
    (((cluster.load_assignment as Node).endpoints as Node[])[0] as Node).lb_endpoints as Node[]
  )[0] as Node;
  (((endpoint.endpoint as Node).address as Node).socket_address as Node).port_value =
    opts.upstreamPort;
  const wasm = wasmConfig(b);
  ((wasm.vm_config as Node).code as Node).local = { filename: opts.wasmPath };
  if (opts.configuration) {
    (wasm.configuration as Node).value = JSON.stringify(opts.configuration);
    b.stats_config = telemetryStatsConfig(opts.configuration);
  }
  if (opts.flushSeconds) b.stats_flush_interval = `${opts.flushSeconds}s`;
  return b;
}
