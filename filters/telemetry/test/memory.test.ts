// Linear memory stays flat over 20,000 requests once the label tuples have been seen: metric
// ids are cached, ids, trace context and log lines are garbage the runtime reclaims.
import { expect, it } from "vitest";
import { shippedConfiguration } from "./envoy-config.ts";
import { telemetryHost } from "./helpers.ts";

const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

it("keeps linear memory flat over 20,000 requests (access log, traces, metrics)", async () => {
  const host = await telemetryHost(shippedConfiguration());
  const methods = ["GET", "POST", "PUT", "BREW"];
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const s = host.stream();
      const headers: Record<string, string> = {
        ":method": methods[i % 4] as string,
        ":path": `/p/${i}?q=${"z".repeat(i % 200)}`,
        ":authority": "shop",
        "x-request-id": `r${i}`,
        authorization: "Bearer t",
        "x-tenant": `t${i % 7}`,
      };
      if (i % 3 === 0) headers.traceparent = TP;
      if (i % 3 === 1) headers.b3 = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1";
      s.requestHeaders(headers);
      s.responseHeaders({ ":status": String([200, 404, 503][i % 3]) }, { endOfStream: true });
      s.complete();
    }
  };
  run(2_000);
  const warm = host.memoryBytes();
  run(20_000);
  expect(host.memoryBytes()).toBe(warm);
  expect(host.logs().filter((l) => l.startsWith("{"))).toHaveLength(22_000);
}, 300_000);
