// What the test host reports a callback returned (actionName) and the errors it raises when a
// module is refused or traps: the text a filter author reads.

import { describe, expect, it } from "vitest";
import {
  actionName,
  LOG_LEVELS,
  PluginStartError,
  WasmLoadError,
  WasmTrapError,
} from "../../src/testing/status.ts";

describe("actionName", () => {
  it("names each action, Envoy's header statuses included, and reads a larger one as the last", () => {
    expect([0, 1, 2, 3, 4, 5, 100].map(actionName)).toEqual([
      "Continue",
      "Pause",
      "ContinueAndEndStream",
      "StopAllIterationAndBuffer",
      "StopAllIterationAndWatermark",
      "StopAllIterationAndWatermark",
      "StopAllIterationAndWatermark",
    ]);
  });

  it("reads a negative value as Continue", () => {
    expect(actionName(-1)).toBe("Continue");
  });
});

describe("the host's errors", () => {
  it("name themselves and say what failed", () => {
    const load = new WasmLoadError("missing export");
    expect([load.name, load.message, load instanceof Error]).toEqual([
      "WasmLoadError",
      "missing export",
      true,
    ]);
    const trap = new WasmTrapError("proxy_on_request_headers", "unreachable");
    expect([trap.name, trap.message, trap.callback, trap.reason]).toEqual([
      "WasmTrapError",
      "Function: proxy_on_request_headers failed: unreachable",
      "proxy_on_request_headers",
      "unreachable",
    ]);
  });

  it("says which start callback refused the plugin, with what the plugin logged on configure", () => {
    const start = new PluginStartError("proxy_on_vm_start", ["ignored"]);
    expect([start.name, start.message, start.callback, start.logs]).toEqual([
      "PluginStartError",
      "Failed to start Wasm VM: proxy_on_vm_start returned false",
      "proxy_on_vm_start",
      ["ignored"],
    ]);
    expect(new PluginStartError("proxy_on_configure", []).message).toBe(
      "Unable to configure Wasm plugin: proxy_on_configure returned false",
    );
    expect(new PluginStartError("proxy_on_configure", ["bad key", "x"]).message).toBe(
      "Unable to configure Wasm plugin: proxy_on_configure returned false (plugin logged: bad key | x)",
    );
  });

  it("lists the log levels from the lowest", () => {
    expect(LOG_LEVELS).toEqual(["trace", "debug", "info", "warn", "error", "critical"]);
  });
});
