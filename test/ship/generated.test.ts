// The files under envoy/ that `meshwasm manifest --examples` and `envoy-config --compose` write,
// made for a small project of their own (two filters, tiny modules standing in for their build):
// every manifest compared whole, the headers line by line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { composeEnvoyConfig, exampleManifests } from "../../src/ship/generated.ts";
import { packageModule } from "../../src/ship/oci.ts";

const root = mkdtempSync(join(tmpdir(), "meshwasm-generated-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A valid module: the magic and version, then a custom section carrying `payload`. */
function module(payload: string): Uint8Array {
  const name = new TextEncoder().encode(payload);
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, name.length + 1, 0, ...name]);
}

const LONG = "x ".repeat(50).trim();
const WASM = { Edge_Tag: module("edge"), plain: module("plain") };

writeFileSync(join(root, "package.json"), JSON.stringify({ name: "generated", private: true }));
mkdirSync(join(root, "build"));
for (const [name, wasm] of Object.entries(WASM)) {
  mkdirSync(join(root, "filters", name, "assembly"), { recursive: true });
  writeFileSync(join(root, "filters", name, "assembly", "index.ts"), "// not compiled here\n");
  writeFileSync(join(root, "build", `${name}.wasm`), wasm);
}
// Edge_Tag: its own root id, FAIL_RELOAD and a configuration; plain: the defaults, no envoy.yaml.
writeFileSync(
  join(root, "filters", "Edge_Tag", "envoy.yaml"),
  JSON.stringify({
    http_filters: [
      {
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
          config: {
            root_id: "edge_root",
            failure_policy: "FAIL_RELOAD",
            configuration: { value: JSON.stringify({ note: LONG }) },
            vm_config: { code: { local: { filename: "build/Edge_Tag.wasm" } } },
          },
        },
      },
    ],
  }),
);

const digest = async (name: keyof typeof WASM) =>
  (await packageModule({ wasm: WASM[name] })).digest.slice("sha256:".length);

const LABELS = { "app.kubernetes.io/managed-by": "meshwasm" };

function header(name: string, what: string): string[] {
  return [
    `# ${what} for ${name}, written by \`meshwasm manifest --examples\`.`,
    `# sha256 is the digest of build/${name}.wasm packaged with \`meshwasm package ${name}\`; push that image,`,
    "# or regenerate with your own --image after `meshwasm push`. Edit the selector/targetRefs for your workloads.",
  ];
}

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());
const comments = (text: string) => text.split("\n").filter((l) => l.startsWith("#"));

describe("exampleManifests", () => {
  it("writes one Istio and one Envoy Gateway file per filter", async () => {
    const files = await exampleManifests(root);
    expect([...files.keys()].sort()).toStrictEqual(
      [
        "envoy/gateway/Edge_Tag.yaml",
        "envoy/gateway/plain.yaml",
        "envoy/istio/Edge_Tag.yaml",
        "envoy/istio/plain.yaml",
      ].map((p) => join(...p.split("/"))),
    );
  });

  it("Istio: a TrafficExtension and a WasmPlugin on app=backend, under a Kubernetes name, with the filter's settings", async () => {
    const text = (await exampleManifests(root)).get(
      join("envoy", "istio", "Edge_Tag.yaml"),
    ) as string;
    expect(comments(text)).toStrictEqual(
      header("Edge_Tag", "Istio TrafficExtension (1.30+) and WasmPlugin"),
    );
    const wasm = {
      url: "oci://registry.example.com/meshwasm/edge-tag:0.1.0",
      sha256: await digest("Edge_Tag"),
      imagePullPolicy: "IfNotPresent",
      pluginName: "edge_root",
      failStrategy: "FAIL_RELOAD",
      type: "HTTP",
      pluginConfig: { note: LONG },
    };
    const metadata = { name: "edge-tag", namespace: "default", labels: LABELS };
    const selector = { matchLabels: { app: "backend" } };
    expect(docs(text)).toStrictEqual([
      {
        apiVersion: "extensions.istio.io/v1alpha1",
        kind: "TrafficExtension",
        metadata,
        spec: { selector, wasm },
      },
      {
        apiVersion: "extensions.istio.io/v1alpha1",
        kind: "WasmPlugin",
        metadata,
        spec: { selector, ...wasm },
      },
    ]);
  });

  it("Envoy Gateway: an EnvoyExtensionPolicy on Gateway/eg, a FAIL_RELOAD filter closed and said so", async () => {
    const files = await exampleManifests(root);
    const edge = files.get(join("envoy", "gateway", "Edge_Tag.yaml")) as string;
    expect(comments(edge)).toStrictEqual([
      ...header("Edge_Tag", "Envoy Gateway EnvoyExtensionPolicy"),
      "# The filter runs FAIL_RELOAD; Envoy Gateway has only failOpen, so it runs closed here (failOpen: false).",
    ]);
    expect(docs(edge)).toStrictEqual([
      {
        apiVersion: "gateway.envoyproxy.io/v1alpha1",
        kind: "EnvoyExtensionPolicy",
        metadata: { name: "edge-tag", namespace: "default", labels: LABELS },
        spec: {
          targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg" }],
          wasm: [
            {
              name: "edge-tag",
              rootID: "edge_root",
              code: {
                type: "Image",
                image: {
                  url: "registry.example.com/meshwasm/edge-tag:0.1.0",
                  sha256: await digest("Edge_Tag"),
                },
              },
              config: { note: LONG },
              failOpen: false,
            },
          ],
        },
      },
    ]);
    const plain = files.get(join("envoy", "gateway", "plain.yaml")) as string;
    expect(comments(plain)).toStrictEqual(header("plain", "Envoy Gateway EnvoyExtensionPolicy"));
    const [policy] = docs(plain);
    expect(policy.spec.wasm).toStrictEqual([
      {
        name: "plain",
        rootID: "plain",
        code: {
          type: "Image",
          image: {
            url: "registry.example.com/meshwasm/plain:0.1.0",
            sha256: await digest("plain"),
          },
        },
        failOpen: false,
      },
    ]);
  });

  it("a filter without a configuration gets no pluginConfig", async () => {
    const text = (await exampleManifests(root)).get(join("envoy", "istio", "plain.yaml")) as string;
    const [te] = docs(text);
    expect(te.spec.wasm).toStrictEqual({
      url: "oci://registry.example.com/meshwasm/plain:0.1.0",
      sha256: await digest("plain"),
      imagePullPolicy: "IfNotPresent",
      pluginName: "plain",
      failStrategy: "FAIL_CLOSE",
      type: "HTTP",
    });
  });
});

describe("composeEnvoyConfig", () => {
  it("loads each filter from /etc/envoy/modules, listens on 0.0.0.0:10000, admin on 9901, the echo service upstream", () => {
    const text = composeEnvoyConfig(["plain", "Edge_Tag"], root);
    expect(text.split("\n").slice(0, 3)).toStrictEqual([
      "# The docker-compose harness's Envoy, written by `meshwasm envoy-config --compose plain Edge_Tag`",
      "# from the same bootstrap builder the native tests run (src/envoy/config.ts). Do not edit by hand.",
      "admin:",
    ]);
    // The configuration's long value stays on one line.
    expect(text).toContain(`value: '{"note":"${LONG}"}'`);
    const config = parse(text);
    expect(config.admin.address.socket_address).toStrictEqual({
      address: "0.0.0.0",
      port_value: 9901,
    });
    const [listener] = config.static_resources.listeners;
    expect(listener.address.socket_address).toStrictEqual({
      address: "0.0.0.0",
      port_value: 10000,
    });
    const filters = listener.filter_chains[0].filters[0].typed_config.http_filters;
    expect(
      filters.map(
        (f: { typed_config: { config?: { vm_config: { code: unknown } } } }) =>
          f.typed_config.config?.vm_config.code,
      ),
    ).toStrictEqual([
      { local: { filename: "/etc/envoy/modules/plain.wasm" } },
      { local: { filename: "/etc/envoy/modules/Edge_Tag.wasm" } },
      undefined,
    ]);
    const [upstream] = config.static_resources.clusters;
    expect(upstream.type).toBe("STRICT_DNS");
    expect(upstream.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toStrictEqual({
      socket_address: { address: "echo", port_value: 8080 },
    });
  });
});
