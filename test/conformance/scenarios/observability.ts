// Logs and metrics.

import { expect } from "vitest";
import type { Scenario } from "../harness.ts";

export const observabilityScenarios: Scenario[] = [
  {
    name: "logs at each level; trace is dropped at Envoy's wasm:debug",
    async run(t) {
      const res = await t.request("/log/levels");
      expect(res.headers["x-note-level"]).toBe("1");
      await t.waitForLog(/conf-log critical/);
      const lines = t.logs().filter((l) => l.message.startsWith("conf-log"));
      expect(lines.map((l) => `${l.level}:${l.message}`)).toEqual([
        "debug:conf-log debug",
        "info:conf-log info",
        "warn:conf-log warn",
        "error:conf-log error",
        "critical:conf-log critical",
      ]);
    },
  },
  {
    name: "WASI stdout becomes an info log line",
    async run(t) {
      await t.request("/log/stdout");
      await t.waitForLog(/conf-stdout hello/);
      const line = t.logs().find((l) => l.message === "conf-stdout hello");
      expect(line?.level).toBe("info");
    },
  },
  {
    name: "a counter counts every request",
    async run(t) {
      await t.request("/metrics/x");
      await t.request("/metrics/x");
      const res = await t.request("/metrics/counter");
      expect(res.headers["x-note-value"]).toBe("3");
      expect(await t.counter("conf_requests")).toBe(3);
    },
  },
  {
    name: "a gauge is set and moved both ways",
    async run(t) {
      const res = await t.request("/metrics/gauge");
      expect(res.headers["x-note-value"]).toBe("12");
      expect(await t.gauge("conf_gauge")).toBe(12);
    },
  },
  {
    name: "a counter refuses a negative increment",
    async run(t) {
      const res = await t.request("/metrics/negative-counter");
      expect(res.headers["x-note-status"]).toBe("2");
    },
  },
  {
    name: "defining a metric of an unknown type is BadArgument",
    async run(t) {
      const res = await t.request("/metrics/bad-type");
      expect(res.headers["x-note-status"]).toBe("2");
    },
  },
  {
    name: "a histogram accepts samples",
    async run(t) {
      const res = await t.request("/metrics/histogram");
      expect(res.headers["x-note-defined"]).toBe("yes");
      expect(await t.prometheus()).toMatch(/# TYPE conf_sizes histogram/);
    },
  },
  {
    name: "custom metrics show in Prometheus without the wasmcustom prefix",
    async run(t) {
      await t.request("/metrics/x");
      expect(await t.prometheus()).toMatch(/^conf_requests\{\} 1$/m);
    },
  },
  {
    name: "stats_tags turn a tagged metric name into a Prometheus label",
    setup: { statsTags: [{ tagName: "method", regex: "(_method=([^_.]+))" }] },
    async run(t) {
      await t.request("/metrics/tagged");
      await t.request("/metrics/tagged");
      await t.request("/metrics/tagged", { method: "POST", body: "x" });
      const text = await t.prometheus();
      expect(text).toMatch(/^conf_by_method\{method="GET"\} 2$/m);
      expect(text).toMatch(/^conf_by_method\{method="POST"\} 1$/m);
    },
  },
];
