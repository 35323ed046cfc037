// Contexts made at their first callback (assembly/exports.ts), in the test host: what a
// broken host contract still aborts on, naming the callback, in both modes (the host announces
// contexts, or it does not because the module leaves proxy_on_context_create out), and flat
// memory over many streams first seen at different callbacks. test/conformance's "contexts:"
// scenarios hold the same behaviour against real Envoy. Last, a root that acts through its own
// handle while the host creates it (test/modules/context-create).

import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { createHost, type Host } from "../../src/testing/index.ts";
import { readWasmModule } from "../../src/wasm/binary.ts";
import { buildTestModule } from "../modules/build.ts";

const modules: Record<"lazy" | "announced", string> = { lazy: "", announced: "" };

beforeAll(async () => {
  modules.lazy = await buildTestModule("contexts");
  modules.announced = await buildTestModule("contexts-announced");
}, 300_000);

function exportsOf(path: string): string[] {
  return readWasmModule(readFileSync(path)).exports.map((e) => e.name);
}

async function host(kind: "lazy" | "announced"): Promise<Host> {
  return createHost({ module: modules[kind], rootId: "alpha", configuration: "A" });
}

/** Calls a guest export directly, as a host that broke the contract would; returns the
 *  critical log line it left, or throws if the call did not trap. */
function brokenCall(h: Host, name: string, ...args: number[]): string {
  const vm = h.vms[0];
  if (!vm) throw new Error("no VM");
  const before = h.logs("critical").length;
  expect(() => vm.call(name, h.roots[0] ?? null, ...args)).toThrow(/WasmTrapError|failed/);
  return h.logs("critical").slice(before).join("\n");
}

describe("contexts made at their first callback", { timeout: 120_000 }, () => {
  it("the default build leaves proxy_on_context_create out; exportAll keeps it", () => {
    expect(exportsOf(modules.lazy)).not.toContain("proxy_on_context_create");
    expect(exportsOf(modules.announced)).toContain("proxy_on_context_create");
  });

  for (const kind of ["lazy", "announced"] as const) {
    it(`${kind}: a root callback for an id that is no root aborts, naming the callback`, async () => {
      for (const callback of [
        "proxy_on_tick",
        "proxy_on_queue_ready",
        "proxy_on_foreign_function",
      ]) {
        const h = await host(kind);
        expect(brokenCall(h, callback, 999)).toContain(
          `meshwasm: unknown context id in ${callback} (context 999)`,
        );
      }
      const h = await host(kind);
      expect(brokenCall(h, "proxy_on_http_call_response", 999, 1)).toContain(
        "unknown context id in proxy_on_http_call_response (context 999)",
      );
    });

    it(`${kind}: a stream callback naming a root aborts, naming the callback`, async () => {
      const h = await host(kind);
      const root = h.roots[0]?.id ?? 0;
      expect(brokenCall(h, "proxy_on_response_headers", root, 0, 1)).toContain(
        `context is not an HTTP context in proxy_on_response_headers (context ${root})`,
      );
    });
  }

  it("announced: a stream the host never announced aborts, naming the callback", async () => {
    const h = await host("announced");
    expect(brokenCall(h, "proxy_on_response_headers", 77, 0, 1)).toContain(
      "unknown context id in proxy_on_response_headers (context 77)",
    );
  });

  it("lazy: a proxy_on_configure for an id already serving a stream aborts", async () => {
    const h = await host("lazy");
    const s = h.stream();
    s.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "a" });
    s.responseHeaders({ ":status": "200" }, { endOfStream: true });
    expect(brokenCall(h, "proxy_on_configure", s.raw.id, 0)).toContain(
      `unknown context id in proxy_on_configure (context ${s.raw.id})`,
    );
  });

  it("lazy: memory stays flat over streams first seen at their response, their log or not at all", async () => {
    const h = await host("lazy");
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        const s = h.stream();
        if (i % 3 === 2) {
          s.reset(); // gone before its headers: the VM never hears of it
          continue;
        }
        s.requestHeaders({ ":method": "GET", ":path": `/m/${i}`, ":authority": "a" });
        if (i % 3 === 0) s.responseHeaders({ ":status": "200" }, { endOfStream: true });
        if (i % 3 === 0) s.complete();
        else s.reset(); // first VM entry: proxy_on_log
      }
    };
    run(1_000);
    const warm = h.memoryBytes();
    run(10_000);
    expect(h.memoryBytes()).toBe(warm);
    // Every stream the VM heard of (two in three) was made once, logged once and deleted.
    const heard = (n: number) => n - Math.floor((n + 1) / 3);
    expect(h.counter("contexts_alpha_created")).toBe(heard(1_000) + heard(10_000));
    expect(h.counter("contexts_alpha_logged")).toBe(h.counter("contexts_alpha_created"));
    expect(h.counter("contexts_alpha_deleted")).toBe(h.counter("contexts_alpha_created"));
  });
});

describe("contexts the host announces, acting while it creates them", () => {
  it("a root is current while the host creates it: its constructor's call through its own handle asks no proxy_set_effective_context", async () => {
    const h = await createHost({ module: await buildTestModule("context-create") });
    // test/modules/context-create's root reads the VM configuration in its constructor.
    expect(h.coverage.hostCalls.get("proxy_get_buffer_bytes")).toBe(1);
    expect(h.coverage.hostCalls.get("proxy_set_effective_context") ?? 0).toBe(0);
  });
});
