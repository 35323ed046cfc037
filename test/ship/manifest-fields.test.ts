// Every field of every manifest kind, whole objects compared, and each input rule of
// src/ship/manifests.ts refused with the field it names. No CRDs here (manifests.test.ts checks
// the same manifests against them): these cases take milliseconds.
import { describe, expect, it } from "vitest";
import {
  envoyExtensionPolicy,
  gatewayDefaults,
  type ManifestInput,
  parseSelector,
  parseTargetRef,
  toYaml,
  trafficExtension,
  wasmPlugin,
} from "../../src/ship/manifests.ts";

const DIGEST = "0123456789abcdef".repeat(4);

const base: ManifestInput = {
  name: "hello",
  source: "registry.example.com/filters/hello:1.0.0",
  sha256: DIGEST,
  rootId: "hello_root",
  failurePolicy: "FAIL_CLOSED",
};

const LABELS = { "app.kubernetes.io/managed-by": "meshwasm" };

describe("Istio manifests, field by field", () => {
  it("a TrafficExtension with nothing optional: no namespace, placement, secret or config", () => {
    expect(trafficExtension(base)).toStrictEqual({
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "TrafficExtension",
      metadata: { name: "hello", labels: LABELS },
      spec: {
        wasm: {
          url: "oci://registry.example.com/filters/hello:1.0.0",
          sha256: DIGEST,
          imagePullPolicy: "IfNotPresent",
          pluginName: "hello_root",
          failStrategy: "FAIL_CLOSE",
          type: "HTTP",
        },
      },
    });
  });

  it("a TrafficExtension with every option: namespace, selector, phase, priority, pull secret, config", () => {
    expect(
      trafficExtension({
        ...base,
        namespace: "apps",
        source: "oci://registry.example.com/filters/hello:1.0.0",
        selector: { app: "backend" },
        phase: "AUTHZ",
        priority: 0,
        pullSecret: "regcred",
        configuration: { header: "x-hello" },
        failurePolicy: "FAIL_OPEN",
      }),
    ).toStrictEqual({
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "TrafficExtension",
      metadata: { name: "hello", namespace: "apps", labels: LABELS },
      spec: {
        selector: { matchLabels: { app: "backend" } },
        phase: "AUTHZ",
        priority: 0,
        wasm: {
          url: "oci://registry.example.com/filters/hello:1.0.0",
          sha256: DIGEST,
          imagePullPolicy: "IfNotPresent",
          imagePullSecret: "regcred",
          pluginName: "hello_root",
          failStrategy: "FAIL_OPEN",
          type: "HTTP",
          pluginConfig: { header: "x-hello" },
        },
      },
    });
  });

  it("a WasmPlugin keeps the wasm fields at the top of spec, placed by targetRefs", () => {
    expect(
      wasmPlugin({
        ...base,
        source: "http://files.example.com/hello.wasm",
        targetRefs: [parseTargetRef("Gateway/waypoint")],
        failurePolicy: "FAIL_RELOAD",
      }),
    ).toStrictEqual({
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: { name: "hello", labels: LABELS },
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }],
        url: "http://files.example.com/hello.wasm",
        sha256: DIGEST,
        imagePullPolicy: "IfNotPresent",
        pluginName: "hello_root",
        failStrategy: "FAIL_RELOAD",
        type: "HTTP",
      },
    });
  });

  it("an image whose path holds a URL or oci:// is still an image, prefixed once", () => {
    const url = (source: string) => (wasmPlugin({ ...base, source }).spec as { url: string }).url;
    expect(url("registry.example.com/mirror/http://x")).toBe(
      "oci://registry.example.com/mirror/http://x",
    );
    expect(url("registry.example.com/oci://x")).toBe("oci://registry.example.com/oci://x");
  });

  it("names the kind that got both a selector and target refs", () => {
    const both = { ...base, selector: { app: "a" }, targetRefs: [parseTargetRef("Gateway/w")] };
    expect(() => wasmPlugin(both)).toThrow(
      "WasmPlugin: give selector or target-ref, not both (Istio accepts only one)",
    );
    expect(() => trafficExtension(both)).toThrow(
      "TrafficExtension: give selector or target-ref, not both (Istio accepts only one)",
    );
  });
});

describe("Envoy Gateway's EnvoyExtensionPolicy, field by field", () => {
  const gateway = { ...base, targetRefs: [parseTargetRef("Gateway/eg")] };

  it("an image without secret or config, failing closed", () => {
    expect(envoyExtensionPolicy(gateway)).toStrictEqual({
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyExtensionPolicy",
      metadata: { name: "hello", labels: LABELS },
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg" }],
        wasm: [
          {
            name: "hello",
            rootID: "hello_root",
            code: {
              type: "Image",
              image: { url: "registry.example.com/filters/hello:1.0.0", sha256: DIGEST },
            },
            failOpen: false,
          },
        ],
      },
    });
  });

  it("an oci:// image with a pull secret and config, failing open", () => {
    const m = envoyExtensionPolicy({
      ...gateway,
      namespace: "edge",
      source: "oci://registry.example.com/filters/hello:1.0.0",
      pullSecret: "regcred",
      configuration: { limit: 3 },
      failurePolicy: "FAIL_OPEN",
    });
    expect(m.metadata).toStrictEqual({ name: "hello", namespace: "edge", labels: LABELS });
    expect((m.spec as { wasm: unknown[] }).wasm).toStrictEqual([
      {
        name: "hello",
        rootID: "hello_root",
        code: {
          type: "Image",
          image: {
            url: "registry.example.com/filters/hello:1.0.0",
            sha256: DIGEST,
            pullSecretRef: { name: "regcred" },
          },
        },
        config: { limit: 3 },
        failOpen: true,
      },
    ]);
    const inPath = envoyExtensionPolicy({ ...gateway, source: "registry.example.com/oci://x" });
    expect((inPath.spec as { wasm: { code: unknown }[] }).wasm[0]?.code).toStrictEqual({
      type: "Image",
      image: { url: "registry.example.com/oci://x", sha256: DIGEST },
    });
  });

  it("refuses Istio's placement fields and a target outside the Gateway API group", () => {
    expect(() => envoyExtensionPolicy({ ...gateway, selector: { app: "a" } })).toThrow(
      "EnvoyExtensionPolicy: takes target-ref, not selector",
    );
    for (const extra of [{ phase: "AUTHN" as const }, { priority: 1 }]) {
      expect(() => envoyExtensionPolicy({ ...gateway, ...extra })).toThrow(
        "EnvoyExtensionPolicy: phase and priority are Istio fields; order wasm entries instead",
      );
    }
    expect(() =>
      envoyExtensionPolicy({
        ...gateway,
        targetRefs: [parseTargetRef("Gateway/eg"), parseTargetRef("Service/backend")],
      }),
    ).toThrow(
      "EnvoyExtensionPolicy: target-ref Service/backend must be in group gateway.networking.k8s.io",
    );
  });
});

describe("inputs every kind checks", () => {
  const refused = (input: Partial<ManifestInput>) => () => wasmPlugin({ ...base, ...input });
  const accepted = (input: Partial<ManifestInput>) => wasmPlugin({ ...base, ...input });

  it("takes a DNS-1123 name of up to 253 characters, dotted parts of one character or more", () => {
    for (const name of ["a", "a.b", "ab.cdef", "a.b-c", "a-b.c-d", "x".repeat(253)]) {
      expect((accepted({ name }).metadata as { name: string }).name).toBe(name);
    }
    for (const name of ["a_b", "a.-b", "a.b-", "-a", "a.", "Hello", "x".repeat(254)]) {
      expect(refused({ name })).toThrow(
        `name: "${name}" is not a Kubernetes name (lower-case letters, digits, '-', '.')`,
      );
    }
  });

  it("takes a namespace label, refuses anything else", () => {
    for (const namespace of ["a", "ab", "a-b"]) {
      expect((accepted({ namespace }).metadata as { namespace: string }).namespace).toBe(namespace);
    }
    for (const namespace of ["-a", "a-", "a_", "Apps", "a.b", ""]) {
      expect(refused({ namespace })).toThrow(
        `namespace: "${namespace}" is not a Kubernetes namespace name`,
      );
    }
  });

  it("takes exactly 64 lower-case hex digits as sha256", () => {
    for (const sha256 of [`x${DIGEST}`, `${DIGEST}x`, DIGEST.toUpperCase(), DIGEST.slice(1)]) {
      expect(refused({ sha256 })).toThrow(
        `sha256: expected 64 lower-case hex digits, got "${sha256}"`,
      );
    }
  });

  it("refuses an empty source, one with spaces, and a path inside the proxy", () => {
    for (const source of ["", "registry.example.com/a b:1", "registry.example.com/a:1\n"]) {
      expect(refused({ source })).toThrow(
        `image: expected registry/repository:tag or an http(s) URL, got "${source}"`,
      );
    }
    expect(refused({ source: "file:///etc/envoy/hello.wasm" })).toThrow(
      `image: "file:///etc/envoy/hello.wasm" is a path inside the proxy; give an OCI image or http(s) URL`,
    );
  });

  it("takes an integer priority and at most 16 target refs", () => {
    expect(refused({ priority: 1.5 })).toThrow("priority: expected an integer, got 1.5");
    const refs = (n: number) =>
      Array.from({ length: n }, (_, i) => parseTargetRef(`Gateway/g${i}`));
    expect(
      (accepted({ targetRefs: refs(16) }).spec as { targetRefs: unknown[] }).targetRefs,
    ).toHaveLength(16);
    expect(refused({ targetRefs: refs(17) })).toThrow("target-ref: at most 16, got 17");
  });
});

describe("gatewayDefaults", () => {
  it("sends a FAIL_RELOAD filter to Envoy Gateway closed, any other as it is", () => {
    expect(gatewayDefaults({ ...base, failurePolicy: "FAIL_RELOAD" })).toStrictEqual({
      ...base,
      failurePolicy: "FAIL_CLOSED",
    });
    const open: ManifestInput = { ...base, failurePolicy: "FAIL_OPEN" };
    expect(gatewayDefaults(open)).toBe(open);
  });
});

describe("parseTargetRef and parseSelector", () => {
  it("defaults the group per kind, or takes the one given", () => {
    expect(parseTargetRef("HTTPRoute/backend")).toStrictEqual({
      group: "gateway.networking.k8s.io",
      kind: "HTTPRoute",
      name: "backend",
    });
    expect(parseTargetRef("Service/backend")).toStrictEqual({
      group: "",
      kind: "Service",
      name: "backend",
    });
    expect(parseTargetRef("ServiceEntry/ext")).toStrictEqual({
      group: "networking.istio.io",
      kind: "ServiceEntry",
      name: "ext",
    });
    expect(parseTargetRef("example.com/Widget/w")).toStrictEqual({
      group: "example.com",
      kind: "Widget",
      name: "w",
    });
    for (const raw of ["a/b/c/d", "Gateway/", "/eg", "eg"]) {
      expect(() => parseTargetRef(raw)).toThrow(
        `target-ref: expected Kind/name or group/Kind/name, got "${raw}"`,
      );
    }
  });

  it("trims keys and values, refuses a pair without a key", () => {
    expect(parseSelector(" app = backend ,tier=api")).toStrictEqual({
      app: "backend",
      tier: "api",
    });
    expect(parseSelector("empty=")).toStrictEqual({ empty: "" });
    for (const raw of ["=x", " =x", "app=a,tier"]) {
      expect(() => parseSelector(raw)).toThrow(
        `selector: expected key=value[,key=value], got "${raw}"`,
      );
    }
  });
});

describe("toYaml", () => {
  it("writes documents separated by ---, under a header of comment lines (blank ones bare)", () => {
    expect(toYaml([{ a: 1 }, { b: "x" }], "first line\n\nthird")).toBe(
      "# first line\n#\n# third\na: 1\n---\nb: x\n",
    );
    expect(toYaml([{ a: 1 }])).toBe("a: 1\n");
  });

  it("never wraps a long value", () => {
    const long = "x ".repeat(60).trim();
    expect(toYaml([{ long }])).toBe(`long: ${long}\n`);
  });
});
