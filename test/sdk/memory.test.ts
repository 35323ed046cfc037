// The SDK must not leak: a VM lives as long as Envoy, and wasm memory never shrinks.
// Each example runs many requests in the test host after a warm-up; its linear memory must
// not grow. (npm run bench:build checks the same in real Envoy for the build variants.)
import { describe, expect, it } from "vitest";
import { createHost } from "../../src/testing/index.ts";
import { buildExample } from "../modules/build.ts";

const WARMUP = 2_000;
const REQUESTS = 20_000;
// Tens of thousands of requests: on a loaded 2-core machine this takes over a minute.
const LONG = 180_000;

describe("linear memory across requests", () => {
  it(
    "stays flat for hello (headers, metric, log)",
    async () => {
      const host = await createHost({
        module: await buildExample("hello"),
        rootId: "hello",
        logLevel: "debug",
      });
      const run = (n: number) => {
        for (let i = 0; i < n; i++) {
          const s = host.stream();
          s.requestHeaders({
            ":method": "GET",
            ":path": `/m/${i}`,
            ":authority": "a",
            "x-pad": "p".repeat(i % 300),
          });
          s.responseHeaders({ ":status": "200" }, { endOfStream: true });
          s.complete();
        }
      };
      run(WARMUP);
      const warm = host.memoryBytes();
      run(REQUESTS);
      expect(host.memoryBytes()).toBe(warm);
      expect(host.counter("hello_requests")).toBe(WARMUP + REQUESTS);
    },
    LONG,
  );

  it(
    "stays flat for redact-body (whole-body buffering, rewrites)",
    async () => {
      const host = await createHost({
        module: await buildExample("redact-body"),
        rootId: "redact-body",
        configuration: { words: ["secret"] },
      });
      const run = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const res = await host.request({
            method: "POST",
            path: "/f",
            body: `a secret number ${i} ${"z".repeat(i % 2000)}`,
          });
          if (res.upstream?.body.includes("secret"))
            throw new Error(`request ${i} was not redacted`);
        }
      };
      await run(500);
      const warm = host.memoryBytes();
      await run(5_000);
      expect(host.memoryBytes()).toBe(warm);
    },
    LONG,
  );
});
