// The telemetry filter in real Envoy (its own envoy.yaml, plus a second listener whose copy of
// the filter samples 0% and records no metrics) in front of the echo upstream, scraped every
// second by a real Prometheus. After a known mix of requests: PromQL counts per label set,
// histogram buckets that add up, the access-log lines in Envoy's output, trace context at the
// upstream, and every query of the Grafana dashboard returning data.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EchoRequest,
  type EchoUpstream,
  type EnvoyProcess,
  startEchoUpstream,
  startEnvoy,
} from "../../../src/envoy/index.ts";
import { buildTelemetry, FILTER_DIR } from "./build.ts";
import { runnableBootstrap, wasmConfig } from "./envoy-config.ts";
import { TRACEPARENT } from "./helpers.ts";
import {
  ensurePrometheus,
  type PrometheusProcess,
  startPrometheus,
  type VectorSample,
} from "./prometheus.ts";

const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const B3 = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1";
const QUIET = { metrics: { enabled: false }, access_log: { sample_percent: 0 } };

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One wave of traffic; the test sends it twice, a few scrapes apart, so rates are not 0. */
const WAVE: Sent[] = [
  { method: "GET", path: "/ok" },
  { method: "GET", path: "/ok" },
  { method: "GET", path: "/ok" },
  { method: "POST", path: "/ok", body: "y".repeat(2000) },
  { method: "GET", path: "/fail" },
  { method: "GET", path: "/missing" },
  { method: "PROPFIND", path: "/ok" },
  { method: "GET", path: "/trace/continue", headers: { traceparent: TP, tracestate: "vendor=1" } },
  {
    method: "GET",
    path: "/trace/malformed",
    headers: { traceparent: TP.toUpperCase(), tracestate: "vendor=1" },
  },
  { method: "GET", path: "/trace/b3", headers: { b3: B3 } },
];
const REDACT: Sent = {
  method: "GET",
  path: "/secret",
  headers: { authorization: "Bearer tok-123456", "x-tenant": "t1", "x-request-id": "rid-redact" },
};
const TOTAL = WAVE.length * 2 + 1;

let echo: EchoUpstream;
let envoy: EnvoyProcess;
let prometheus: PrometheusProcess;
let quietUrl = "";
const responses = new Map<string, Response>();
const upstreamSaw = new Map<string, EchoRequest>();

async function send(base: string, r: Sent, key?: string): Promise<void> {
  const res = await fetch(`${base}${r.path}`, {
    method: r.method,
    headers: r.headers,
    body: r.body,
  });
  const text = await res.text();
  if (key) {
    responses.set(key, res);
    if (res.headers.get("content-type")?.includes("json")) {
      upstreamSaw.set(key, JSON.parse(text) as EchoRequest);
    }
  }
}

const num = (s: VectorSample | undefined) => Number(s?.value[1]);
const total = (r: VectorSample[]) => r.reduce((a, s) => a + num(s), 0);

beforeAll(async () => {
  await ensurePrometheus();
  const wasmPath = await buildTelemetry();
  echo = await startEchoUpstream({
    routes: { "/fail": { status: 503 }, "/missing": { status: 404 } },
  });
  const bootstrap = runnableBootstrap({ upstreamPort: echo.port, wasmPath, flushSeconds: 1 });
  // A second listener running its own copy of the filter (another VM), quiet.
  const listeners = (bootstrap.static_resources as { listeners: Array<Record<string, unknown>> })
    .listeners;
  const quiet = structuredClone(listeners[0]) as Record<string, unknown>;
  quiet.name = "quiet";
  const quietBootstrap = { static_resources: { listeners: [quiet] } };
  const wasm = wasmConfig(quietBootstrap);
  wasm.name = "telemetry-quiet";
  (wasm.vm_config as Record<string, unknown>).vm_id = "telemetry-quiet";
  (wasm.configuration as Record<string, unknown>).value = JSON.stringify(QUIET);
  listeners.push(quiet);
  envoy = await startEnvoy({ config: bootstrap });
  const status = (await (await fetch(`${envoy.adminUrl}/listeners?format=json`)).json()) as {
    listener_statuses: Array<{
      name: string;
      local_address: { socket_address: { port_value: number } };
    }>;
  };
  const port = status.listener_statuses.find((l) => l.name === "quiet")?.local_address
    .socket_address.port_value;
  quietUrl = `http://127.0.0.1:${port}`;
  prometheus = await startPrometheus(new URL(envoy.adminUrl).host);
  await prometheus.waitFor('up{job="envoy"}', (r) => num(r[0]) === 1);
  for (const [i, r] of WAVE.entries()) await send(envoy.listenerUrl, r, `1:${i}`);
  // Let a flush and a scrape pass, so the second wave shows as an increase.
  await new Promise((r) => setTimeout(r, 2_500));
  for (const [i, r] of WAVE.entries()) await send(envoy.listenerUrl, r, `2:${i}`);
  await send(envoy.listenerUrl, REDACT, "redact");
  for (let i = 0; i < 3; i++) await send(quietUrl, { method: "GET", path: "/quiet" });
  await prometheus.waitFor("sum(meshwasm_requests_total)", (r) => total(r) === TOTAL);
  await prometheus.waitFor("sum(meshwasm_request_bytes_count)", (r) => total(r) === TOTAL);
  await prometheus.waitFor("sum(meshwasm_access_log_total)", (r) => total(r) === TOTAL + 3);
  // Envoy writes its access log (stdout) in batches: wait for every line.
  const deadline = Date.now() + 30_000;
  const accessLines = () =>
    envoy
      .logs()
      .split("\n")
      .filter((l) => l.startsWith("access ")).length;
  while (accessLines() < TOTAL + 3 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
  }
}, 900_000);

afterAll(async () => {
  await prometheus?.stop();
  await envoy?.stop();
  await echo?.close();
});

describe("metrics through Prometheus", () => {
  it("counts requests per code and method, on the configured labels", async () => {
    const r = await prometheus.query("sum by (code, method) (meshwasm_requests_total)");
    const got = Object.fromEntries(r.map((s) => [`${s.metric.code} ${s.metric.method}`, num(s)]));
    expect(got).toEqual({
      "200 GET": 13,
      "200 POST": 2,
      "503 GET": 2,
      "404 GET": 2,
      "200 other": 2,
    });
    const labelled = await prometheus.query(
      'count(meshwasm_requests_total{service="demo",route="default",cluster="upstream"})',
    );
    expect(num(labelled[0])).toBe(5);
    const dropped = await prometheus.query(
      'meshwasm_label_values_dropped{label="method",reason="not_allowed"}',
    );
    expect(num(dropped[0])).toBe(2);
  });

  it("has histogram buckets that add up to each series' count", async () => {
    const buckets = await prometheus.query("meshwasm_request_bytes_bucket");
    const counts = await prometheus.query("meshwasm_request_bytes_count");
    expect(counts).toHaveLength(5);
    for (const c of counts) {
      const key = `${c.metric.code} ${c.metric.method}`;
      const mine = buckets
        .filter((b) => `${b.metric.code} ${b.metric.method}` === key)
        .map((b) => [b.metric.le === "+Inf" ? Infinity : Number(b.metric.le), num(b)] as const)
        .sort((a, b) => a[0] - b[0]);
      expect(mine.map(([le]) => le)).toEqual([100, 1000, 10000, 1e5, 1e6, 1e7, 1e8, Infinity]);
      for (let i = 1; i < mine.length; i++) {
        expect((mine[i] as readonly number[])[1]).toBeGreaterThanOrEqual(
          (mine[i - 1] as readonly number[])[1] as number,
        );
      }
      expect(mine.at(-1)?.[1]).toBe(num(c));
    }
    const le = async (bound: string) =>
      total(await prometheus.query(`sum(meshwasm_request_bytes_bucket{le="${bound}"})`));
    // Two POSTs of 2000 bytes; every other request has an empty body.
    expect(await le("100")).toBe(TOTAL - 2);
    expect(await le("1000")).toBe(TOTAL - 2);
    expect(await le("10000")).toBe(TOTAL);
    const durations = await prometheus.query(
      'sum(meshwasm_request_duration_milliseconds_bucket{le="+Inf"})',
    );
    expect(total(durations)).toBe(TOTAL);
  });

  it("counts trace-context and access-log outcomes", async () => {
    const trace = await prometheus.query("sum by (result) (meshwasm_trace_context_total)");
    expect(Object.fromEntries(trace.map((s) => [s.metric.result, num(s)]))).toEqual({
      continued: 2,
      replaced: 2,
      from_b3: 2,
      // The quiet listener's copy traces too: its three requests start traces.
      started: TOTAL - 6 + 3,
    });
    const logs = await prometheus.query("sum by (result) (meshwasm_access_log_total)");
    expect(Object.fromEntries(logs.map((s) => [s.metric.result, num(s)]))).toEqual({
      written: TOTAL,
      sampled_out: 3,
    });
  });

  it("answers every query of the Grafana dashboard with data", async () => {
    const dashboard = JSON.parse(readFileSync(join(FILTER_DIR, "dashboard.json"), "utf8")) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => [p.title, t.expr]));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    for (const [title, expr] of exprs) {
      const promql = (expr as string)
        .replaceAll("$__rate_interval", "1m")
        .replaceAll("$service", ".*");
      const result = await prometheus.query(promql);
      expect(result.length, `${title}: ${promql}`).toBeGreaterThan(0);
      const values = result.map(num);
      expect(
        values.some((v) => Number.isFinite(v) && v > 0),
        `${title}: ${values}`,
      ).toBe(true);
    }
  });
});

describe("access log in Envoy's output", () => {
  const wasmLines = (vm: string) =>
    envoy
      .logs()
      .split("\n")
      .filter((l) => l.includes(`wasm log telemetry telemetry ${vm}: {`))
      .map((l) => JSON.parse(l.slice(l.indexOf(": {") + 2)) as Record<string, unknown>);

  it("writes one JSON line per request, the same object in Envoy's own access log", () => {
    const lines = wasmLines("telemetry");
    expect(lines).toHaveLength(TOTAL);
    const access = envoy
      .logs()
      .split("\n")
      .filter((l) => l.startsWith("access "));
    const fromState = access
      .filter((l) => l.startsWith("access {"))
      .map((l) => JSON.parse(l.slice(7)));
    expect(fromState).toHaveLength(TOTAL);
    expect(fromState.map((o) => o.request_id).sort()).toEqual(
      lines.map((o) => o.request_id).sort(),
    );
    // The quiet listener's requests (sampled out) leave no filter state: Envoy prints "-".
    expect(access.filter((l) => l === "access -")).toHaveLength(3);
    expect(wasmLines("telemetry-quiet")).toHaveLength(0);
  });

  it("carries the right values and masks the authorization header", () => {
    const line = wasmLines("telemetry").find((l) => l.request_id === "rid-redact");
    const seen = upstreamSaw.get("redact");
    expect(line).toMatchObject({
      method: "GET",
      path: "/secret",
      protocol: "HTTP/1.1",
      status: 200,
      request_bytes: 0,
      upstream_cluster: "upstream",
      route: "default",
      request_headers: { "x-tenant": "t1", authorization: "[REDACTED]" },
    });
    expect(line?.trace_id).toBe(TRACEPARENT.exec(seen?.headers.traceparent ?? "")?.[1]);
    expect(String(line?.upstream_host)).toBe(`127.0.0.1:${echo.port}`);
    expect(String(line?.client_address)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(line?.response_bytes).toBeGreaterThan(0);
    expect(envoy.logs()).not.toContain("tok-123456");
    expect(responses.get("redact")?.headers.get("x-request-id")).toBe("rid-redact");
    const post = wasmLines("telemetry").find((l) => l.method === "POST");
    expect(post?.request_bytes).toBe(2000);
    const failed = wasmLines("telemetry").filter((l) => l.path === "/fail");
    expect(failed.map((l) => l.status)).toEqual([503, 503]);
  });
});

describe("trace context at the upstream", () => {
  const at = (key: string) => upstreamSaw.get(key)?.headers ?? {};
  const index = (path: string) => WAVE.findIndex((r) => r.path === path);

  it("continues an incoming trace with a new span id, keeping flags and tracestate", () => {
    const h = at(`1:${index("/trace/continue")}`);
    const m = TRACEPARENT.exec(h.traceparent ?? "");
    expect(m?.[1]).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(m?.[2]).not.toBe("00f067aa0ba902b7");
    expect(m?.[3]).toBe("01");
    expect(h.tracestate).toBe("vendor=1");
  });

  it("starts a valid, fresh trace when there is none", () => {
    const a = TRACEPARENT.exec(at("1:0").traceparent ?? "");
    const b = TRACEPARENT.exec(at("1:1").traceparent ?? "");
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(a?.[1]).not.toBe(b?.[1]);
    expect(a?.[1]).not.toBe("0".repeat(32));
  });

  it("replaces a malformed traceparent, not propagating it or its tracestate", () => {
    const h = at(`1:${index("/trace/malformed")}`);
    expect(h.traceparent).toMatch(TRACEPARENT);
    expect(h.traceparent?.toLowerCase()).not.toContain("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(h.tracestate).toBeUndefined();
  });

  it("translates B3 into traceparent (envoy.yaml accepts B3)", () => {
    const h = at(`1:${index("/trace/b3")}`);
    expect(h.traceparent).toMatch(/^00-80f198ee56343ba864fe8b2a57d3eff7-[0-9a-f]{16}-01$/);
    expect(h.b3).toBeUndefined();
  });
});
