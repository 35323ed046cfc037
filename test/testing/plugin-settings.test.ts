// The settings both the test host and the Envoy runner read (src/plugin.ts,
// src/connection-manager.ts): Envoy's defaults filled in, configurations turned into the bytes
// a VM reads, and bad values refused with an error naming the field and the value.

import { describe, expect, it } from "vitest";
import {
  DEFAULT_ROUTE_NAMES,
  ENVOY_DEFAULT_LIMITS,
  type HttpLimits,
  type RouteNames,
  resolveLimits,
  resolveRouteNames,
} from "../../src/connection-manager.ts";
import {
  configurationBytes,
  configurationText,
  type FailurePolicy,
  resolvePluginSettings,
} from "../../src/plugin.ts";
import { createHost } from "../../src/testing/index.ts";
import { WasmBuilder } from "../check/wasm-builder.ts";

/** The smallest module the host loads: memory, the ABI marker and an allocator. */
function smallestModule(): Uint8Array {
  const b = new WasmBuilder();
  b.memory(1);
  b.func([], [], "proxy_abi_version_0_2_1");
  b.code(["i32"], ["i32"], [0x41, 0x00], "malloc");
  return b.build();
}

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("connection-manager limits", () => {
  it("are Envoy's defaults when none are given: 60 KiB of headers, a 1 MiB buffer, no HTTP/1.0", () => {
    expect(resolveLimits(undefined)).toStrictEqual({
      maxRequestHeadersKb: 60,
      bufferLimitBytes: 1048576,
      acceptHttp10: false,
    });
    expect(resolveLimits({})).toStrictEqual(ENVOY_DEFAULT_LIMITS);
  });

  it("take each given field and keep the defaults of the others", () => {
    expect(resolveLimits({ maxRequestHeadersKb: 4 })).toStrictEqual({
      maxRequestHeadersKb: 4,
      bufferLimitBytes: 1048576,
      acceptHttp10: false,
    });
    expect(resolveLimits({ bufferLimitBytes: 1, acceptHttp10: true })).toStrictEqual({
      maxRequestHeadersKb: 60,
      bufferLimitBytes: 1,
      acceptHttp10: true,
    });
    // Envoy's upper bound on max_request_headers_kb is itself allowed.
    expect(resolveLimits({ maxRequestHeadersKb: 8192 }).maxRequestHeadersKb).toBe(8192);
    expect(resolveLimits({ maxRequestHeadersKb: 1 }).maxRequestHeadersKb).toBe(1);
  });

  it("refuse a size that is not a positive integer, naming the field and the value", () => {
    // Values a test written in JavaScript (or with a cast) can pass.
    const cases: Array<[unknown, string]> = [
      [{ maxRequestHeadersKb: 0 }, "limits.maxRequestHeadersKb must be a positive integer, got 0"],
      [
        { maxRequestHeadersKb: -4 },
        "limits.maxRequestHeadersKb must be a positive integer, got -4",
      ],
      [{ bufferLimitBytes: 0 }, "limits.bufferLimitBytes must be a positive integer, got 0"],
      [{ bufferLimitBytes: 1.5 }, "limits.bufferLimitBytes must be a positive integer, got 1.5"],
      [{ bufferLimitBytes: "64" }, 'limits.bufferLimitBytes must be a positive integer, got "64"'],
      [
        { maxRequestHeadersKb: null },
        "limits.maxRequestHeadersKb must be a positive integer, got null",
      ],
    ];
    for (const [limits, message] of cases) {
      // The whole message: nothing before or after it.
      expect(() => resolveLimits(limits as HttpLimits)).toThrow(whole(message));
    }
  });

  it("refuse more than Envoy's 8192 KiB of request headers", () => {
    expect(() => resolveLimits({ maxRequestHeadersKb: 8193 })).toThrow(
      /^limits\.maxRequestHeadersKb must be at most 8192, got 8193$/,
    );
  });

  it("are checked when a host starts, before any request", async () => {
    await expect(
      createHost({ module: smallestModule(), limits: { bufferLimitBytes: -1 } }),
    ).rejects.toThrow("limits.bufferLimitBytes must be a positive integer, got -1");
    await expect(
      createHost({ module: smallestModule(), limits: { maxRequestHeadersKb: 9000 } }),
    ).rejects.toThrow("limits.maxRequestHeadersKb must be at most 8192, got 9000");
  });
});

describe("route names", () => {
  it("are the bootstrap's when none are given: cluster upstream, an unnamed route, host all", () => {
    expect(resolveRouteNames(undefined)).toStrictEqual({
      clusterName: "upstream",
      routeName: "",
      virtualHostName: "all",
    });
    expect(resolveRouteNames({})).toStrictEqual(DEFAULT_ROUTE_NAMES);
  });

  it("take each given name and keep the defaults of the others", () => {
    expect(resolveRouteNames({ routeName: "r1" })).toStrictEqual({
      clusterName: "upstream",
      routeName: "r1",
      virtualHostName: "all",
    });
    expect(resolveRouteNames({ clusterName: "c", virtualHostName: "v" })).toStrictEqual({
      clusterName: "c",
      routeName: "",
      virtualHostName: "v",
    });
  });

  it("refuse an empty or non-string cluster or virtual host name, and a non-string route name", () => {
    const cases: Array<[unknown, string]> = [
      [{ clusterName: "" }, 'route.clusterName must be a non-empty string, got ""'],
      [{ virtualHostName: "" }, 'route.virtualHostName must be a non-empty string, got ""'],
      [{ clusterName: 7 }, "route.clusterName must be a non-empty string, got 7"],
      [{ virtualHostName: null }, "route.virtualHostName must be a non-empty string, got null"],
      [{ routeName: 3 }, "route.routeName must be a string, got 3"],
      [{ routeName: null }, "route.routeName must be a string, got null"],
    ];
    for (const [names, message] of cases) {
      expect(() => resolveRouteNames(names as RouteNames)).toThrow(whole(message));
    }
  });

  it("are checked when a host starts", async () => {
    await expect(
      createHost({ module: smallestModule(), route: { virtualHostName: "" } }),
    ).rejects.toThrow('route.virtualHostName must be a non-empty string, got ""');
  });
});

describe("a plugin's configuration", () => {
  it("as bytes: nothing when absent, bytes as given, text as UTF-8, anything else as JSON", () => {
    expect(configurationBytes(undefined)).toStrictEqual(new Uint8Array(0));
    const given = bytes(0xff, 0x00, 0x01);
    expect(configurationBytes(given)).toBe(given);
    expect(configurationBytes("é!")).toStrictEqual(bytes(0xc3, 0xa9, 0x21));
    expect(configurationBytes("")).toStrictEqual(new Uint8Array(0));
    expect(configurationBytes({ a: [1, "x"] })).toStrictEqual(
      new TextEncoder().encode('{"a":[1,"x"]}'),
    );
  });

  it("as text: empty when absent, text as given, UTF-8 bytes decoded, anything else as JSON", () => {
    expect(configurationText(undefined)).toBe("");
    expect(configurationText("as given")).toBe("as given");
    expect(configurationText(bytes(0xc3, 0xa9, 0x21))).toBe("é!");
    expect(configurationText(new Uint8Array(0))).toBe("");
    expect(configurationText({ a: 1, b: "two" })).toBe('{"a":1,"b":"two"}');
    expect(configurationText([])).toBe("[]");
  });

  it("as text refuses bytes that are not UTF-8, saying why", () => {
    for (const bad of [bytes(0xff), bytes(0x61, 0xc3), bytes(0xed, 0xa0, 0x80)]) {
      expect(() => configurationText(bad)).toThrow(
        /^plugin configuration: Envoy carries it as a protobuf string, so it must be valid UTF-8$/,
      );
    }
  });
});

describe("resolved plugin settings", () => {
  it("fill in every default: no root or VM id, empty configurations, FAIL_CLOSED", () => {
    expect(resolvePluginSettings({ name: "p" })).toStrictEqual({
      name: "p",
      rootId: "",
      vmId: "",
      configuration: new Uint8Array(0),
      vmConfiguration: new Uint8Array(0),
      failurePolicy: "FAIL_CLOSED",
      allowOnHeadersStopIteration: false,
      environment: {},
    });
  });

  it("keep every given setting, configurations as bytes", () => {
    expect(
      resolvePluginSettings({
        name: "p",
        rootId: "r",
        vmId: "v",
        configuration: { k: 1 },
        vmConfiguration: "vm",
        failurePolicy: "FAIL_OPEN",
        allowOnHeadersStopIteration: true,
        environment: { A: "1" },
      }),
    ).toStrictEqual({
      name: "p",
      rootId: "r",
      vmId: "v",
      configuration: new TextEncoder().encode('{"k":1}'),
      vmConfiguration: new TextEncoder().encode("vm"),
      failurePolicy: "FAIL_OPEN",
      allowOnHeadersStopIteration: true,
      environment: { A: "1" },
    });
  });

  it("take each of Envoy's three failure policies and refuse any other, listing them", () => {
    for (const policy of ["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"] as const) {
      expect(resolvePluginSettings({ name: "p", failurePolicy: policy }).failurePolicy).toBe(
        policy,
      );
    }
    expect(() =>
      resolvePluginSettings({ name: "auth", failurePolicy: "fail_open" as FailurePolicy }),
    ).toThrow(
      /^plugin "auth": failurePolicy must be one of FAIL_CLOSED, FAIL_OPEN, FAIL_RELOAD, got "fail_open"$/,
    );
  });
});

/** Matches an error message that is `text` and nothing more. */
function whole(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}
