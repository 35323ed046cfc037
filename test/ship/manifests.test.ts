// Generated manifests against the real CRD schemas: Istio's (istio.io/api v1.32.0) and Envoy
// Gateway's (v1.9.1), fetched through the Go module proxy by scripts/fetch-crds.sh.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { type CrdValidator, loadCrdValidator } from "../../src/ship/crd-schema.ts";
import { loadFilter, validateConfiguration } from "../../src/ship/filters.ts";
import {
  envoyExtensionPolicy,
  type ManifestInput,
  parseSelector,
  parseTargetRef,
  trafficExtension,
  wasmPlugin,
} from "../../src/ship/manifests.ts";

const run = promisify(execFile);
const DIGEST = "6d792048f0213a39d0e9e9119769d199f1338bdb2cf1dc0a654e136ad8ab11bd";

let crds: Record<"TrafficExtension" | "WasmPlugin" | "EnvoyExtensionPolicy", CrdValidator>;

beforeAll(async () => {
  const dir = (await run("bash", ["scripts/fetch-crds.sh"], { timeout: 300_000 })).stdout.trim();
  const istio = join(dir, "istio-api-v1.32.0.crds.yaml");
  crds = {
    TrafficExtension: loadCrdValidator(istio, "trafficextensions.extensions.istio.io"),
    WasmPlugin: loadCrdValidator(istio, "wasmplugins.extensions.istio.io"),
    EnvoyExtensionPolicy: loadCrdValidator(
      join(dir, "envoy-gateway-v1.9.1.eep.yaml"),
      "envoyextensionpolicies.gateway.envoyproxy.io",
    ),
  };
}, 300_000);

const base: ManifestInput = {
  name: "hello",
  namespace: "apps",
  source: "registry.example.com/filters/hello:1.0.0",
  sha256: DIGEST,
  rootId: "hello",
  configuration: { header: "x-hello", value: "world" },
  failurePolicy: "FAIL_CLOSED",
};

describe("manifests against the CRD schemas", () => {
  it("a TrafficExtension with a selector is valid, pinned, failing closed", () => {
    const m = trafficExtension({
      ...base,
      selector: { app: "backend" },
      phase: "AUTHN",
      priority: 10,
    });
    expect(crds.TrafficExtension.validate(m)).toEqual([]);
    const spec = m.spec as { wasm: Record<string, unknown> };
    expect(spec.wasm.url).toBe("oci://registry.example.com/filters/hello:1.0.0");
    expect(spec.wasm.sha256).toBe(DIGEST);
    expect(spec.wasm.failStrategy).toBe("FAIL_CLOSE");
  });

  it("a TrafficExtension for a waypoint (targetRefs) is valid", () => {
    const m = trafficExtension({ ...base, targetRefs: [parseTargetRef("Gateway/waypoint")] });
    expect(crds.TrafficExtension.validate(m)).toEqual([]);
  });

  it("a WasmPlugin is valid and keeps the wasm fields at the top of spec", () => {
    const m = wasmPlugin({
      ...base,
      selector: parseSelector("app=backend,tier=api"),
      failurePolicy: "FAIL_RELOAD",
    });
    expect(crds.WasmPlugin.validate(m)).toEqual([]);
    const spec = m.spec as Record<string, unknown>;
    expect(spec.failStrategy).toBe("FAIL_RELOAD");
    expect(spec.selector).toEqual({ matchLabels: { app: "backend", tier: "api" } });
  });

  it("an http(s) source pins the module's sha256 and is valid for all three kinds", () => {
    const http = {
      ...base,
      source: "https://files.example.com/hello.wasm",
      targetRefs: [parseTargetRef("Gateway/eg")],
    };
    const eep = envoyExtensionPolicy(http);
    expect(crds.EnvoyExtensionPolicy.validate(eep)).toEqual([]);
    const wasm = (eep.spec as { wasm: { code: Record<string, unknown> }[] }).wasm[0];
    expect(wasm?.code).toEqual({
      type: "HTTP",
      http: { url: "https://files.example.com/hello.wasm", sha256: DIGEST },
    });
    expect(crds.TrafficExtension.validate(trafficExtension(http))).toEqual([]);
    expect(crds.WasmPlugin.validate(wasmPlugin(http))).toEqual([]);
  });

  it("an EnvoyExtensionPolicy on a Gateway is valid, with failOpen written out", () => {
    const m = envoyExtensionPolicy({
      ...base,
      targetRefs: [parseTargetRef("Gateway/eg"), parseTargetRef("HTTPRoute/backend")],
    });
    expect(crds.EnvoyExtensionPolicy.validate(m)).toEqual([]);
    const wasm = (m.spec as { wasm: Record<string, unknown>[] }).wasm[0];
    expect(wasm?.failOpen).toBe(false);
    expect(wasm?.code).toEqual({
      type: "Image",
      image: { url: "registry.example.com/filters/hello:1.0.0", sha256: DIGEST },
    });
  });

  it("the CRDs carry CEL rules the schema check leaves to the API server (counted)", () => {
    expect(crds.TrafficExtension.celRules).toBeGreaterThan(0);
    expect(crds.EnvoyExtensionPolicy.celRules).toBeGreaterThan(0);
  });
});

describe("deliberately wrong manifests fail", () => {
  const good = () => trafficExtension({ ...base, selector: { app: "backend" } });

  it("an unknown field (a typo of failStrategy)", () => {
    const m = good();
    const wasm = (m.spec as { wasm: Record<string, unknown> }).wasm;
    wasm.failureStrategy = wasm.failStrategy;
    delete wasm.failStrategy;
    expect(crds.TrafficExtension.validate(m).join("\n")).toMatch(
      /\/spec\/wasm: must NOT have additional properties \(failureStrategy\)/,
    );
  });

  it("a failStrategy outside the enum", () => {
    const m = good();
    (m.spec as { wasm: Record<string, unknown> }).wasm.failStrategy = "FAIL_CLOSED";
    expect(crds.TrafficExtension.validate(m).join("\n")).toMatch(
      /\/spec\/wasm\/failStrategy: must be equal to one of the allowed values/,
    );
  });

  it("a sha256 that is not 64 hex digits", () => {
    const m = wasmPlugin({ ...base });
    (m.spec as Record<string, unknown>).sha256 = `sha256:${DIGEST}`;
    expect(crds.WasmPlugin.validate(m).join("\n")).toMatch(/\/spec\/sha256: must match pattern/);
  });

  it("the wrong apiVersion, and a policy without a wasm code type", () => {
    const eep = envoyExtensionPolicy({ ...base, targetRefs: [parseTargetRef("Gateway/eg")] });
    eep.apiVersion = "gateway.envoyproxy.io/v1";
    (
      (eep.spec as { wasm: { code: Record<string, unknown> }[] }).wasm[0] as {
        code: Record<string, unknown>;
      }
    ).code.type = undefined;
    delete (eep.spec as { wasm: { code: Record<string, unknown> }[] }).wasm[0]?.code.type;
    const errors = crds.EnvoyExtensionPolicy.validate(eep).join("\n");
    expect(errors).toMatch(/\/apiVersion: must be equal to constant/);
    expect(errors).toMatch(/\/spec\/wasm\/0\/code: must have required property 'type'/);
  });

  it("a Kubernetes name with upper-case letters", () => {
    const m = good();
    (m.metadata as Record<string, unknown>).name = "Hello";
    expect(crds.TrafficExtension.validate(m).join("\n")).toMatch(
      /\/metadata\/name: must match pattern/,
    );
  });
});

describe("manifest inputs are checked before anything is written", () => {
  it("refuses selector and targetRefs together for Istio", () => {
    expect(() =>
      trafficExtension({
        ...base,
        selector: { app: "a" },
        targetRefs: [parseTargetRef("Gateway/w")],
      }),
    ).toThrow(/selector or target-ref, not both/);
  });
  it("refuses an EnvoyExtensionPolicy without a target, or with FAIL_RELOAD", () => {
    expect(() => envoyExtensionPolicy(base)).toThrow(/needs at least one target-ref/);
    expect(() =>
      envoyExtensionPolicy({
        ...base,
        targetRefs: [parseTargetRef("Gateway/eg")],
        failurePolicy: "FAIL_RELOAD",
      }),
    ).toThrow(/FAIL_RELOAD has no Envoy Gateway equivalent/);
  });
  it("names the bad sha256, name and target", () => {
    expect(() => wasmPlugin({ ...base, sha256: "abc" })).toThrow(
      /sha256: expected 64 lower-case hex digits, got "abc"/,
    );
    expect(() => wasmPlugin({ ...base, name: "Hello_World" })).toThrow(
      /name: "Hello_World" is not a Kubernetes name/,
    );
    expect(() => parseTargetRef("eg")).toThrow(
      /target-ref: expected Kind\/name or group\/Kind\/name, got "eg"/,
    );
    expect(() => parseSelector("app")).toThrow(/selector: expected key=value/);
  });
  it("knows every format the filters' schemas use (no warning, a pattern checked by the filter)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const filter = loadFilter("header-router");
      expect(JSON.stringify(filter.schema)).toContain('"format":"regex"');
      const config = JSON.parse(
        readFileSync(join("filters", "header-router", "config.example.json"), "utf8"),
      ) as unknown;
      expect(() => validateConfiguration(filter, config)).not.toThrow();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
  it("validates the configuration against the filter's schema.json, naming the field and value", () => {
    const filter = loadFilter("hello");
    filter.schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { header: { type: "string", minLength: 1 }, value: { type: "string" } },
      additionalProperties: false,
    };
    expect(() => validateConfiguration(filter, { header: "x-a", value: "b" })).not.toThrow();
    expect(() => validateConfiguration(filter, { header: 7 })).toThrow(
      /field "header": must be string, got 7/,
    );
    expect(() => validateConfiguration(filter, { heder: "x" })).toThrow(
      /field "\(root\)": unknown field "heder"/,
    );
    expect(() => validateConfiguration(filter, [1])).toThrow(
      /configuration must be a JSON object, got \[1\]/,
    );
  });
});
