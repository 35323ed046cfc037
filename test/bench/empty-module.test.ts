// The bench's empty filter is built as a stateless filter would ship (its root calls
// needs.noStreamState(), the module is built for its configuration): it exports no per-stream
// callback at all, so real Envoy passes every request through without entering the VM, and
// the same source built with every export still enters it for each callback.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenarioBootstrap } from "../../bench/lib/envoy.ts";
import { builders } from "../../bench/lib/peers.ts";
import { scenarios } from "../../bench/scenarios.ts";
import { type EnvoyProcess, startEnvoy } from "../../src/envoy/index.ts";
import { readWasmModule } from "../../src/wasm/binary.ts";
import { STREAM_CALLBACKS } from "../../transform/callbacks.mjs";

const PER_STREAM = [...STREAM_CALLBACKS, "proxy_on_context_create"];

function exportsOf(path: string): string[] {
  return readWasmModule(readFileSync(path)).exports.map((e) => e.name);
}

/** `[host->vm] name` trace lines in Envoy's log: one per entry into the VM. */
function entries(text: string): string[] {
  return [...text.matchAll(/\[host->vm\] ([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
}

describe("the bench's empty filter", { timeout: 600_000 }, () => {
  let modules: Map<string, string>;
  let envoy: EnvoyProcess | undefined;

  beforeAll(async () => {
    modules = await builders.meshwasm(["empty", "empty-all"], () => {});
    const scenario = scenarios.find((s) => s.name === "empty/meshwasm");
    if (!scenario) throw new Error("no empty/meshwasm scenario");
    envoy = await startEnvoy({
      config: await scenarioBootstrap(scenario, {
        name: "empty",
        rootId: "empty",
        vmId: "empty",
        wasmPath: modules.get("empty") as string,
        failurePolicy: "FAIL_CLOSED",
      }),
      concurrency: 1,
      logLevel: "warning",
      componentLogLevel: "wasm:trace",
    });
  });
  afterAll(async () => {
    await envoy?.stop();
  });

  it("exports no per-stream callback; built with every export it has them all", () => {
    const names = exportsOf(modules.get("empty") as string);
    expect(PER_STREAM.filter((n) => names.includes(n))).toEqual([]);
    // Still a filter Envoy configures: the root's callbacks stay.
    expect(names).toContain("proxy_on_configure");
    const all = exportsOf(modules.get("empty-all") as string);
    expect(PER_STREAM.filter((n) => !all.includes(n))).toEqual([]);
  });

  it("passes requests through in real Envoy without entering the VM", async () => {
    const proxy = envoy as EnvoyProcess;
    const atStart = entries(proxy.logs());
    // The trace shows the VM's start-up entries, so an entry per stream would show too.
    expect(atStart).toContain("proxy_on_configure");
    for (let i = 0; i < 10; i++) {
      const response = await proxy.request(`/bench/${i}`, { signal: AbortSignal.timeout(5_000) });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("ok");
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(entries(proxy.logs()).slice(atStart.length)).toEqual([]);
  });
});
