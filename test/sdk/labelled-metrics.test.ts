// Labelled metric families (assembly/labels.ts, assembly/metrics.ts): values travel in the
// metric name, the stats_tags from labelStatsTags turn them into Prometheus labels, and the
// guards bound the series. Checked in the test host and in real Envoy, whose /stats/prometheus
// is the thing users scrape.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildBootstrap,
  type EchoUpstream,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../src/envoy/index.ts";
import {
  encodeLabelledName,
  histogramBucketSettings,
  labelStatsTags,
} from "../../src/envoy/stats-tags.ts";
import { createHost } from "../../src/testing/index.ts";
import { buildTestModule } from "../modules/build.ts";

const module = await buildTestModule("labelled-metrics");
const statsTags = labelStatsTags(["code", "method", "path", "service"]);
const config = { methods: ["GET", "POST"], pathLimit: 2, service: "shop" };

/** Requests as [method, path, x-size]: two paths fit the limit, PUT is not allowed. */
const MIX: Array<[string, string, string]> = [
  ["GET", "/a", "5"],
  ["GET", "/a", "50"],
  ["POST", "/b", "500"],
  ["PUT", "/a", "7"],
  ["GET", "/c", "5000"],
  ["GET", "/d", "1"],
];

/** The lines of one family in a /stats/prometheus text, without the TYPE line. */
function family(text: string, name: string): string[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`))
    .sort();
}

const EXPECTED_REQUESTS = [
  'lm_requests_total{code="200",method="GET",path="/a",service="shop"} 2',
  'lm_requests_total{code="200",method="GET",path="other",service="shop"} 2',
  'lm_requests_total{code="200",method="POST",path="/b",service="shop"} 1',
  'lm_requests_total{code="200",method="other",path="/a",service="shop"} 1',
];
const EXPECTED_DROPPED = [
  'lm_label_values_dropped{service="shop",label="method",reason="not_allowed"} 1',
  'lm_label_values_dropped{service="shop",label="path",reason="over_limit"} 2',
];

describe("labelled metrics in the test host", () => {
  it("shows one series per tuple, guards applied, labels extracted", async () => {
    const host = await createHost({ module, configuration: config, statsTags });
    for (const [method, path, size] of MIX) {
      await host.request({ method, path, headers: { "x-size": size } });
    }
    const text = host.prometheus();
    expect(family(text, "lm_requests_total")).toEqual(EXPECTED_REQUESTS);
    expect(family(text, "lm_label_values_dropped")).toEqual(EXPECTED_DROPPED);
    // The module's own names are what labelStatsTags' mirror of the encoding predicts.
    const name = encodeLabelledName("lm_requests_total", [
      ["service", "shop"],
      ["code", "200"],
      ["method", "GET"],
      ["path", "/a"],
    ]);
    expect(host.counter(name)).toBe(2);
    expect(host.histogram(name.replace("lm_requests_total", "lm_request_size"))).toEqual([5, 50]);
  });

  it("gauges are set and added to per series; a family counts the series it defined", async () => {
    const host = await createHost({ module, configuration: config, logLevel: "debug" });
    for (const [method, path, size] of MIX) {
      await host.request({ method, path, headers: { "x-size": size } });
    }
    const series = (name: string, method: string, path: string) =>
      encodeLabelledName(name, [
        ["service", "shop"],
        ["code", "200"],
        ["method", method],
        ["path", path],
      ]);
    // GET /c (5000), then GET /d (1), share the "other" path.
    expect(host.gauge(series("lm_last_size", "GET", "other"))).toBe(1);
    expect(host.gauge(series("lm_last_size", "POST", "/b"))).toBe(500);
    // Each request adds its size and takes back 1.
    expect(host.gauge(series("lm_size_sum", "GET", "/a"))).toBe(5 + 50 - 2);
    expect(host.gauge(series("lm_size_sum", "GET", "other"))).toBe(5000 + 1 - 2);
    expect(host.logs("debug").filter((l) => l.startsWith("series "))).toEqual([
      "series 1",
      "series 1",
      "series 2",
      "series 3",
      "series 4",
      "series 4",
    ]);
  });

  it("without stats_tags the values stay in the (sanitized) name", async () => {
    const host = await createHost({ module, configuration: config });
    await host.request({ method: "GET", path: "/a", headers: { "x-size": "1" } });
    expect(host.prometheus()).toContain(
      "lm_requests_total_service_shop_code_200_method_GET_path__a{} 1",
    );
  });

  it("refuses a label set with a mistake, naming it", async () => {
    await expect(
      createHost({ module, configuration: { labels: ["code", "code", "method", "path"] } }),
    ).rejects.toThrow(/label "code" appears twice/);
    await expect(
      createHost({ module, configuration: { labels: ["code", "method", "path", "9x"] } }),
    ).rejects.toThrow(/label "9x": a label name is letters/);
  });

  it("keeps linear memory flat once every tuple has been seen (20,000 requests)", async () => {
    const host = await createHost({ module, configuration: config, statsTags });
    const methods = ["GET", "POST", "PUT", "DELETE"];
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        const s = host.stream();
        s.requestHeaders({
          ":method": methods[i % 4] as string,
          ":path": `/p${i}`,
          ":authority": "a",
          "x-size": String(i % 1000),
        });
        s.responseHeaders({ ":status": String(200 + (i % 3)) }, { endOfStream: true });
        s.complete();
      }
    };
    run(2_000);
    const warm = host.memoryBytes();
    run(20_000);
    expect(host.memoryBytes()).toBe(warm);
    // /p0 (GET, 200) and /p1 (POST, 201) keep their paths; every later path is "other", with
    // 3 codes x 3 methods (GET, POST, other): 2 + 9 series however many requests.
    expect(family(host.prometheus(), "lm_requests_total")).toHaveLength(11);
  }, 180_000);
});

describe("labelled metrics in real Envoy", () => {
  let echo: EchoUpstream;
  let envoy: EnvoyProcess;

  beforeAll(async () => {
    echo = await startEchoUpstream();
    const bootstrap = buildBootstrap({
      upstream: { kind: "cluster", port: echo.port },
      wasmFilters: [
        { name: "lm", rootId: "labelled-metrics", wasmPath: module, configuration: config },
      ],
      statsTags,
    }) as Record<string, unknown> & { stats_config: Record<string, unknown> };
    bootstrap.stats_config.histogram_bucket_settings = histogramBucketSettings([
      { name: "lm_request_size", buckets: [10, 100, 1000] },
    ]);
    // Histograms reach /stats/prometheus at each flush.
    bootstrap.stats_flush_interval = "1s";
    envoy = await startEnvoy({ config: bootstrap });
    for (const [method, path, size] of MIX) {
      const res = await envoy.request(path, { method, headers: { "x-size": size } });
      await res.text();
    }
  });

  afterAll(async () => {
    await envoy?.stop();
    await echo?.close();
  });

  it("prints the same labelled series as the test host", async () => {
    const text = await envoy.prometheus();
    expect(family(text, "lm_requests_total")).toEqual(EXPECTED_REQUESTS);
    expect(family(text, "lm_label_values_dropped")).toEqual(EXPECTED_DROPPED);
  });

  it("puts histogram samples in the buckets the bootstrap gives the family", async () => {
    const bucket = (text: string, le: string) =>
      family(text, "lm_request_size_bucket").find((l) =>
        l.includes(`method="GET",path="other",service="shop",le="${le}"`),
      );
    let text = "";
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      text = await envoy.prometheus();
      if (bucket(text, "+Inf")?.endsWith(" 2")) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // GET /c (5000) and GET /d (1) share the "other" path: one at or below 10, one above 1000.
    expect(bucket(text, "10")).toMatch(/ 1$/);
    expect(bucket(text, "100")).toMatch(/ 1$/);
    expect(bucket(text, "1000")).toMatch(/ 1$/);
    expect(bucket(text, "+Inf")).toMatch(/ 2$/);
    expect(bucket(text, "25")).toBeUndefined();
  });
});
