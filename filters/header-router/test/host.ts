// Shared helpers for header-router's test-host tests: start the real module with a
// configuration, or collect the one line it refuses a configuration with.

import {
  createHost,
  type Host,
  PluginStartError,
  type RequestInit,
  type UpstreamHandler,
} from "../../../src/testing/index.ts";
import { headerRouterModule } from "./module.ts";

/** A test host running header-router with `configuration`. */
export async function startRouter(
  configuration: unknown,
  extra: { properties?: Record<string, string>; upstream?: UpstreamHandler } = {},
) {
  return createHost({
    module: await headerRouterModule(),
    rootId: "header-router",
    configuration:
      typeof configuration === "string" ? configuration : JSON.stringify(configuration),
    properties: extra.properties,
    upstream: extra.upstream,
  });
}

/** The error line the module refuses `configuration` with, or null when it starts. */
export async function refusal(configuration: unknown): Promise<string | null> {
  try {
    const host = await startRouter(configuration);
    host.close();
    return null;
  } catch (error) {
    if (!(error instanceof PluginStartError)) throw error;
    const line = error.logs.find((l) => l.includes("invalid configuration"));
    return line ?? error.logs.join(" | ");
  }
}

/** What the upstream saw and what the client got for one request. */
export async function send(host: Host, init: RequestInit) {
  const res = await host.request(init);
  if (res.trap) throw res.trap;
  return res;
}
