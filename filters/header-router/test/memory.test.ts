// header-router must not leak: a VM lives as long as Envoy and wasm memory never shrinks.
// The shipped configuration (every rule kind: splits, templates, regex, response actions)
// over 20,000 varied requests after a warm-up; linear memory must not grow.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startRouter } from "./host.ts";
import { FILTER_DIR, headerRouterModule } from "./module.ts";

const WARMUP = 2_000;
const REQUESTS = 20_000;

beforeAll(() => headerRouterModule(), 300_000);

describe("header-router linear memory", () => {
  it("stays flat over 20,000 requests after a warm-up", async () => {
    const config = JSON.parse(readFileSync(join(FILTER_DIR, "config.example.json"), "utf8"));
    const host = await startRouter(config);
    const run = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const s = host.stream();
        const headers: Record<string, string> = {
          ":method": i % 3 === 0 ? "POST" : "GET",
          ":path":
            i % 2 === 0 ? `/api/v${i % 9}/orders/${i}?canary=${i % 5 === 0}` : `/static/${i}`,
          ":authority": "shop.example",
          "x-user": `user-${i}`,
          "x-pad": "p".repeat(i % 500),
        };
        if (i % 7 === 0) headers["x-canary"] = "1";
        if (i % 11 === 0) headers.cookie = `a=1; group=${i % 2 === 0 ? "beta" : "alpha"}`;
        if (i % 13 === 0) headers["x-route-bucket"] = "canary";
        if (i % 17 === 0) headers[`x-debug-${i % 4}`] = "1";
        s.requestHeaders(headers);
        s.responseHeaders(
          { ":status": "200", "content-type": "text/plain" },
          { endOfStream: true },
        );
        s.complete();
      }
    };
    run(0, WARMUP);
    const warm = host.memoryBytes();
    run(WARMUP, REQUESTS);
    expect(host.memoryBytes()).toBe(warm);
    expect(host.counter("header_router_matched_rule=user-split")).toBe(WARMUP + REQUESTS);
    host.close();
  }, 240_000);
});
