// The telemetry filter in the test host: metrics and their labels, the access log, request
// ids and trace context, each feature with its options and edge cases.
import { describe, expect, it } from "vitest";
import { accessLines, series, seriesValue, TRACEPARENT, telemetryHost, UUID4 } from "./helpers.ts";

const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("metrics", () => {
  it("counts requests by code, method, route and cluster", async () => {
    const host = await telemetryHost({}, { route: { routeName: "orders", clusterName: "shop" } });
    await host.request({ path: "/a" });
    await host.request({ path: "/a", headers: { "x-status": "503" } });
    await host.request({ method: "POST", path: "/a", body: "hello" });
    await host.request({ method: "BREW", path: "/a" });
    const text = host.prometheus();
    const labels = { route: "orders", cluster: "shop" };
    expect(
      seriesValue(text, "meshwasm_requests_total", { code: "200", method: "GET", ...labels }),
    ).toBe(1);
    expect(
      seriesValue(text, "meshwasm_requests_total", { code: "503", method: "GET", ...labels }),
    ).toBe(1);
    expect(
      seriesValue(text, "meshwasm_requests_total", { code: "200", method: "POST", ...labels }),
    ).toBe(1);
    // BREW is not an allowed method: "other", and counted as dropped.
    expect(seriesValue(text, "meshwasm_requests_total", { method: "other" })).toBe(1);
    expect(
      seriesValue(text, "meshwasm_label_values_dropped", {
        label: "method",
        reason: "not_allowed",
      }),
    ).toBe(1);
    expect(series(text, "meshwasm_requests_total")).toHaveLength(4);
  });

  it("records duration, request size and response size per series", async () => {
    const host = await telemetryHost();
    await host.request({ method: "POST", path: "/", body: "12345", headers: { "x-len": "300" } });
    await host.request({
      method: "POST",
      path: "/",
      body: "1234567890",
      headers: { "x-len": "7" },
    });
    const name = (family: string) => `${family};code=200;method=POST;route=none;cluster=upstream`;
    expect(host.histogram(name("meshwasm_request_bytes"))).toEqual([5, 10]);
    expect(host.histogram(name("meshwasm_response_bytes"))).toEqual([300, 7]);
    expect(host.histogram(name("meshwasm_request_duration_milliseconds"))).toHaveLength(2);
    const text = host.prometheus();
    expect(seriesValue(text, "meshwasm_response_bytes_count", { method: "POST" })).toBe(2);
    expect(seriesValue(text, "meshwasm_response_bytes_sum", { method: "POST" })).toBe(307);
  });

  it("labels by code class, adds static labels, and takes another prefix", async () => {
    const host = await telemetryHost({
      metrics: { code: "class", prefix: "edge", static_labels: { service: "shop", zone: "a" } },
    });
    await host.request({ path: "/", headers: { "x-status": "404" } });
    await host.request({ path: "/", headers: { "x-status": "429" } });
    const text = host.prometheus();
    expect(
      seriesValue(text, "edge_requests_total", { code_class: "4xx", service: "shop", zone: "a" }),
    ).toBe(2);
  });

  it("uses Istio's names by option", async () => {
    const host = await telemetryHost({ metrics: { naming: "istio" } });
    await host.request({ path: "/" });
    const text = host.prometheus();
    expect(
      seriesValue(text, "istio_requests_total", { response_code: "200", request_method: "GET" }),
    ).toBe(1);
    expect(seriesValue(text, "istio_request_duration_milliseconds_count", {})).toBe(1);
    expect(seriesValue(text, "istio_request_bytes_count", {})).toBe(1);
    expect(seriesValue(text, "istio_response_bytes_count", {})).toBe(1);
    expect(seriesValue(text, "meshwasm_trace_context_total", { result: "started" })).toBe(1);
  });

  it("caps routes and clusters and keeps allow-listed ones", async () => {
    const host = await telemetryHost(
      { metrics: { labels: ["route"], route_limit: 1 } },
      { route: { routeName: "r1" } },
    );
    await host.request({ path: "/" });
    const text = host.prometheus();
    expect(seriesValue(text, "meshwasm_requests_total", { route: "r1" })).toBe(1);
    const other = await telemetryHost(
      { metrics: { labels: ["cluster"], clusters: ["payments"] } },
      { route: { clusterName: "shop" } },
    );
    await other.request({ path: "/" });
    expect(seriesValue(other.prometheus(), "meshwasm_requests_total", { cluster: "other" })).toBe(
      1,
    );
  });

  it("records nothing when metrics are off", async () => {
    const host = await telemetryHost({ metrics: { enabled: false } });
    await host.request({ path: "/" });
    expect(series(host.prometheus(), "meshwasm_requests_total")).toHaveLength(0);
  });
});

describe("access log", () => {
  it("writes one JSON object per request with the standard fields", async () => {
    const host = await telemetryHost(
      { access_log: { request_headers: ["x-tenant", "authorization"] } },
      { route: { routeName: "orders" } },
    );
    await host.request({
      method: "POST",
      path: "/orders?id=1",
      authority: "shop.example",
      body: "abc",
      headers: {
        "x-len": "12",
        "user-agent": "curl/8",
        "x-tenant": "t1",
        authorization: "Bearer secret-token",
        traceparent: TP,
        "x-request-id": "rid-1",
      },
    });
    const [line] = accessLines(host.logs());
    expect(line).toMatchObject({
      method: "POST",
      path: "/orders?id=1",
      authority: "shop.example",
      status: 200,
      request_bytes: 3,
      response_bytes: 12,
      request_id: "rid-1",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      upstream_cluster: "upstream",
      route: "orders",
      user_agent: "curl/8",
      request_headers: { "x-tenant": "t1", authorization: "[REDACTED]" },
    });
    expect(String(line?.timestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(String(line?.timestamp)) - Date.now())).toBeLessThan(120_000);
    expect(typeof line?.duration_ms).toBe("number");
    expect(JSON.stringify(host.logs())).not.toContain("secret-token");
  });

  it("masks cookies by default, response headers too, and keeps only chosen fields", async () => {
    const host = await telemetryHost({
      access_log: {
        fields: ["status", "method"],
        request_headers: ["cookie"],
        response_headers: ["x-upstream-secret", "content-type"],
        redact: ["cookie", "x-upstream-secret"],
      },
    });
    await host.request({ path: "/", headers: { cookie: "session=abc" } });
    const [line] = accessLines(host.logs());
    expect(line).toEqual({
      method: "GET",
      status: 200,
      request_headers: { cookie: "[REDACTED]" },
      response_headers: { "x-upstream-secret": "[REDACTED]", "content-type": "text/plain" },
    });
  });

  it("samples 0% and 100%, and filters by status and class", async () => {
    const none = await telemetryHost({ access_log: { sample_percent: 0 } });
    for (let i = 0; i < 20; i++) await none.request({ path: "/" });
    expect(accessLines(none.logs())).toHaveLength(0);
    expect(
      seriesValue(none.prometheus(), "meshwasm_access_log_total", { result: "sampled_out" }),
    ).toBe(20);
    const errors = await telemetryHost({ access_log: { statuses: ["5xx", "404"] } });
    for (const status of ["200", "404", "500", "503", "429"]) {
      await errors.request({ path: "/", headers: { "x-status": status } });
    }
    expect(accessLines(errors.logs()).map((l) => l.status)).toEqual([404, 500, 503]);
    expect(
      seriesValue(errors.prometheus(), "meshwasm_access_log_total", { result: "filtered_out" }),
    ).toBe(2);
  });

  it("writes at the configured level and into filter state", async () => {
    const host = await telemetryHost({ access_log: { level: "debug" } }, { logLevel: "info" });
    const res = await host.request({ path: "/" });
    expect(accessLines(host.logs())).toHaveLength(0);
    const state = res.stream.filterState.get("wasm.meshwasm.access_log");
    expect(JSON.parse(new TextDecoder().decode(state))).toMatchObject({ path: "/", status: 200 });
    const verbose = await telemetryHost({ access_log: { level: "debug" } }, { logLevel: "debug" });
    await verbose.request({ path: "/" });
    expect(verbose.logs("debug").filter((l) => l.startsWith("{"))).toHaveLength(1);
  });

  it("writes nothing when off", async () => {
    const host = await telemetryHost({ access_log: { enabled: false } });
    await host.request({ path: "/" });
    expect(accessLines(host.logs())).toHaveLength(0);
  });
});

describe("request id", () => {
  it("keeps an incoming id, and makes a UUID v4 when there is none", async () => {
    const host = await telemetryHost({}, {});
    const kept = await host.request({ path: "/", headers: { "x-request-id": "abc" } });
    expect(kept.upstream?.headers["x-request-id"]).toBe("abc");
    const made = await host.request({ path: "/", envoyHeaders: false, authority: "a" });
    expect(made.upstream?.headers["x-request-id"]).toMatch(UUID4);
    expect(made.headers["x-request-id"]).toBeUndefined();
  });

  it("replaces it always by option, echoes it by option, or leaves it alone", async () => {
    const host = await telemetryHost({ request_id: { generate: "always", echo: true } });
    const res = await host.request({ path: "/", headers: { "x-request-id": "abc" } });
    const id = res.upstream?.headers["x-request-id"];
    expect(id).toMatch(UUID4);
    expect(res.headers["x-request-id"]).toBe(id);
    const never = await telemetryHost({ request_id: { generate: "never", header: "x-trace" } });
    const bare = await never.request({ path: "/" });
    expect(bare.upstream?.headers["x-trace"]).toBeUndefined();
  });

  it("makes distinct ids", async () => {
    const host = await telemetryHost({ request_id: { generate: "always" } });
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      ids.add(String((await host.request({ path: "/" })).upstream?.headers["x-request-id"]));
    }
    expect(ids.size).toBe(50);
  });
});

describe("trace context", () => {
  const upstreamTp = async (headers: Record<string, string>, config: object = {}) => {
    const host = await telemetryHost(config);
    const res = await host.request({ path: "/", headers });
    return { h: res.upstream?.headers ?? {}, host };
  };

  it("continues an incoming trace with a new span id, keeping flags and tracestate", async () => {
    const { h } = await upstreamTp({ traceparent: TP, tracestate: "vendor=1" });
    const m = TRACEPARENT.exec(h.traceparent ?? "");
    expect(m?.[1]).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(m?.[2]).not.toBe("00f067aa0ba902b7");
    expect(m?.[3]).toBe("01");
    expect(h.tracestate).toBe("vendor=1");
    const unsampled = await upstreamTp({ traceparent: TP.replace(/-01$/, "-00") });
    expect(unsampled.h.traceparent).toMatch(/-00$/);
  });

  it("starts a trace when there is none, sampled by the configured percentage", async () => {
    const { h, host } = await upstreamTp({});
    expect(h.traceparent).toMatch(TRACEPARENT);
    expect(h.traceparent).toMatch(/-01$/);
    expect(
      seriesValue(host.prometheus(), "meshwasm_trace_context_total", { result: "started" }),
    ).toBe(1);
    const off = await upstreamTp({}, { tracing: { sample_percent: 0 } });
    expect(off.h.traceparent).toMatch(/-00$/);
  });

  it.each([
    ["upper-case hex", TP.toUpperCase()],
    ["version ff", TP.replace(/^00/, "ff")],
    ["an all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"],
    ["an all-zero parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"],
    ["a version 00 header with more after it", `${TP}-extra`],
    ["a short trace id", "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01"],
    ["a wrong separator", TP.replace(/-01$/, "_01")],
    ["a non-hex flag", TP.replace(/-01$/, "-0g")],
  ])("replaces a malformed traceparent (%s) and drops its tracestate", async (_what, value) => {
    const { h, host } = await upstreamTp({ traceparent: value, tracestate: "vendor=1" });
    expect(h.traceparent).toMatch(TRACEPARENT);
    expect(h.traceparent).not.toContain("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(h.tracestate).toBeUndefined();
    expect(
      seriesValue(host.prometheus(), "meshwasm_trace_context_total", { result: "replaced" }),
    ).toBe(1);
  });

  it("accepts a later version's longer header, continuing it as version 00", async () => {
    const { h } = await upstreamTp({ traceparent: `${TP.replace(/^00/, "01")}-what-comes-next` });
    expect(h.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });

  it("translates B3 single and multi-header by option, and ignores it otherwise", async () => {
    const single = await upstreamTp(
      { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0" },
      { tracing: { accept_b3: true } },
    );
    expect(single.h.traceparent).toMatch(/^00-80f198ee56343ba864fe8b2a57d3eff7-[0-9a-f]{16}-00$/);
    expect(single.h.b3).toBeUndefined();
    const multi = await upstreamTp(
      {
        "x-b3-traceid": "64fe8b2a57d3eff7",
        "x-b3-spanid": "e457b5a2e4d86bd1",
        "x-b3-sampled": "1",
        "x-b3-parentspanid": "a2fb4a1d1a96d312",
      },
      { tracing: { accept_b3: true } },
    );
    expect(multi.h.traceparent).toMatch(/^00-000000000000000064fe8b2a57d3eff7-[0-9a-f]{16}-01$/);
    for (const name of ["x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-parentspanid"])
      expect(multi.h[name]).toBeUndefined();
    expect(
      seriesValue(multi.host.prometheus(), "meshwasm_trace_context_total", { result: "from_b3" }),
    ).toBe(1);
    const ignored = await upstreamTp({ b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1" });
    expect(ignored.h.traceparent).not.toContain("80f198ee56343ba864fe8b2a57d3eff7");
    expect(ignored.h.b3).toBe("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
  });

  it("prefers traceparent over B3 and starts fresh on malformed B3", async () => {
    const both = await upstreamTp(
      { traceparent: TP, b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1" },
      { tracing: { accept_b3: true } },
    );
    expect(both.h.traceparent).toContain("4bf92f3577b34da6a3ce929d0e0e4736");
    const bad = await upstreamTp({ b3: "zz-e457b5a2e4d86bd1-1" }, { tracing: { accept_b3: true } });
    expect(bad.h.traceparent).toMatch(TRACEPARENT);
    expect(bad.h.b3).toBe("zz-e457b5a2e4d86bd1-1");
  });

  it("leaves trace headers alone when tracing is off", async () => {
    const { h } = await upstreamTp({ traceparent: "garbage" }, { tracing: { enabled: false } });
    expect(h.traceparent).toBe("garbage");
  });
});
