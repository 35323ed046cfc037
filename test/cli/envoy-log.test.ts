// What `meshwasm run` shows of Envoy's output, on its own: a filter's proxy_log lines (any
// level), Envoy's own warnings and errors (not its start-up noise), and only complete lines,
// each once.

import { describe, expect, it } from "vitest";
import { LogFollower, parseEnvoyLogLine } from "../../src/cli/envoy-log.ts";

describe("parseEnvoyLogLine", () => {
  it("reads a filter's line at any level, naming the plugin", () => {
    expect(parseEnvoyLogLine("[info][wasm] wasm log hello root vm: hi: there")).toEqual({
      level: "info",
      filter: "hello",
      message: "hi: there",
    });
    expect(parseEnvoyLogLine("[trace][wasm] wasm log auth  : ")).toEqual({
      level: "trace",
      filter: "auth",
      message: "",
    });
  });

  it("shows Envoy's warnings, errors and critical lines, from any component", () => {
    for (const level of ["warning", "error", "critical"]) {
      expect(parseEnvoyLogLine(`[${level}][config] bad thing`), level).toEqual({
        level,
        message: "bad thing",
      });
    }
    expect(parseEnvoyLogLine("[error][envoy.filters.http] x")).toEqual({
      level: "error",
      message: "x",
    });
    // A wasm line that is not a filter's own: shown by its level like any other.
    expect(parseEnvoyLogLine("[error][wasm] Failed to load Wasm module")).toEqual({
      level: "error",
      message: "Failed to load Wasm module",
    });
    expect(parseEnvoyLogLine("[info][wasm] creating VM")).toBeUndefined();
    // Only the wasm component's lines that start so are a filter's.
    expect(parseEnvoyLogLine("[info][main] wasm log f r v: m")).toBeUndefined();
    expect(parseEnvoyLogLine("[info][wasm] not a wasm log f r v: m")).toBeUndefined();
  });

  it("leaves out Envoy's lower levels, its start-up noise and lines of another shape", () => {
    expect(parseEnvoyLogLine("[info][main] starting")).toBeUndefined();
    expect(parseEnvoyLogLine("[debug][config] x")).toBeUndefined();
    expect(
      parseEnvoyLogLine(
        "[warning][main] there is no configured limit to the number of allowed active downstream connections. Configure a limit in `envoy.resource_monitors.global_downstream_max_connections` resource monitor.",
      ),
    ).toBeUndefined();
    expect(parseEnvoyLogLine("[critical][backtrace] caught ENVOY_SIGTERM")).toBeUndefined();
    expect(parseEnvoyLogLine("warning: no brackets")).toBeUndefined();
    expect(parseEnvoyLogLine(" [error][main] leading space")).toBeUndefined();
    expect(parseEnvoyLogLine("[error][main]no space")).toBeUndefined();
    expect(parseEnvoyLogLine("[error][main] x\ny")).toBeUndefined();
  });
});

describe("LogFollower", () => {
  it("hands out each complete line once, keeping a partial line for the next poll", () => {
    let text = "";
    const follower = new LogFollower({ logs: () => text });
    expect(follower.poll()).toEqual([]);
    text = "[info][wasm] wasm log f r v: one\n[error][main] par";
    expect(follower.poll()).toEqual([{ level: "info", filter: "f", message: "one" }]);
    expect(follower.poll()).toEqual([]);
    text += "tial\n[info][main] hidden\n";
    expect(follower.poll()).toEqual([{ level: "error", message: "partial" }]);
    expect(follower.poll()).toEqual([]);
    text += "[warning][x] w\n[critical][y] c\n";
    expect(follower.poll()).toEqual([
      { level: "warning", message: "w" },
      { level: "critical", message: "c" },
    ]);
  });
});
