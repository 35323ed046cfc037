// The shipping commands' own functions (package, manifest, envoy-config), called in-process on a
// small project of their own: a filter folder with its envoy.yaml and schema.json, and a tiny
// module standing in for its build. No compile and no Envoy, so each case takes milliseconds.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import {
  envoyConfigCommand,
  manifestCommand,
  packageCommand,
  writeComposeConfig,
  writeExamples,
} from "../../src/ship/commands.ts";
import { maskDigests } from "../../src/ship/generated.ts";
import { packageModule, readLayoutManifest, sha256Hex } from "../../src/ship/oci.ts";

/** A valid module: the magic and version, then a custom section carrying `payload`. */
function module(payload: string): Uint8Array {
  const name = new TextEncoder().encode(payload);
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, name.length + 1, 0, ...name]);
}

/** The envoy.yaml of a filter: its wasm entry with these settings. */
function envoyYaml(module: string, config: Record<string, unknown>): string {
  return JSON.stringify({
    static_resources: {
      listeners: [
        {
          filter_chains: [
            {
              filters: [
                {
                  typed_config: {
                    http_filters: [
                      {
                        name: module,
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                          config: {
                            ...config,
                            vm_config: { code: { local: { filename: `build/${module}.wasm` } } },
                          },
                        },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  });
}

const root = mkdtempSync(join(tmpdir(), "meshwasm-ship-functions-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SCHEMA = {
  type: "object",
  properties: { header: { type: "string" }, limit: { type: "integer", minimum: 1 } },
  additionalProperties: false,
};

/** filters/<name> with an entry point, and optionally an envoy.yaml, a schema and a module. */
function addFilter(
  name: string,
  opts: { envoy?: Record<string, unknown>; schema?: object; wasm?: Uint8Array } = {},
): void {
  const dir = join(root, "filters", name);
  mkdirSync(join(dir, "assembly"), { recursive: true });
  writeFileSync(join(dir, "assembly", "index.ts"), "// not compiled here\n");
  if (opts.envoy) writeFileSync(join(dir, "envoy.yaml"), envoyYaml(name, opts.envoy));
  if (opts.schema) writeFileSync(join(dir, "schema.json"), JSON.stringify(opts.schema));
  if (opts.wasm) {
    mkdirSync(join(root, "build"), { recursive: true });
    writeFileSync(join(root, "build", `${name}.wasm`), opts.wasm);
  }
}

writeFileSync(join(root, "package.json"), JSON.stringify({ name: "shipping", private: true }));
const CLOSED = module("closed filter");
const OPEN = module("open filter");
const RELOADING = module("reloading filter");
// Fails closed, root id differs from its name, a configuration and a schema.
addFilter("closed", {
  envoy: {
    root_id: "closed_root",
    failure_policy: "FAIL_CLOSED",
    configuration: { value: '{"header":"x-from-yaml"}' },
  },
  schema: SCHEMA,
  wasm: CLOSED,
});
addFilter("open", { envoy: { failure_policy: "FAIL_OPEN" }, wasm: OPEN });
addFilter("Reload_Me", { envoy: { failure_policy: "FAIL_RELOAD" }, wasm: RELOADING });
// Never built.
addFilter("unbuilt");
writeFileSync(join(root, "config.json"), '{"header":"x-from-file","limit":3}');
writeFileSync(join(root, "broken.json"), "{header");

const IMAGE = "registry.example.com/team/closed:1";
const DIGEST = "ab".repeat(32);

describe("packageCommand", () => {
  it("packages a built filter under build/oci by default, with the filter's root id", async () => {
    const printed = await packageCommand("closed", {}, root);
    const out = join(root, "build", "oci", "closed-image");
    const expected = await packageModule({
      wasm: CLOSED,
      format: "image",
      rootIds: ["closed_root"],
    });
    expect(printed).toBe(
      [
        `${out} (image, tag latest)`,
        `digest        ${expected.digest}`,
        `module sha256 ${sha256Hex(CLOSED)}`,
      ].join("\n"),
    );
    expect((await readLayoutManifest(out)).descriptor.digest).toBe(expected.digest);
  });

  it("packages a .wasm path under its base name, which is then its root id", async () => {
    const file = join(root, "loose.wasm");
    writeFileSync(file, OPEN);
    const printed = await packageCommand(file, { format: "artifact", tag: "2.0" }, root);
    const expected = await packageModule({
      wasm: OPEN,
      format: "artifact",
      tag: "2.0",
      rootIds: ["loose"],
    });
    const other = await packageModule({
      wasm: OPEN,
      format: "artifact",
      tag: "2.0",
      rootIds: ["x"],
    });
    expect(expected.digest).not.toBe(other.digest);
    expect(printed.split("\n")[0]).toBe(
      `${join(root, "build", "oci", "loose-artifact")} (artifact, tag 2.0)`,
    );
    expect(printed).toContain(`digest        ${expected.digest}`);
  });

  it("writes a tar when --out ends in .tar, relative to the project", async () => {
    const printed = await packageCommand("open", { out: "dist/open.tar", format: "docker" }, root);
    expect(printed.split("\n")[0]).toBe(`${join(root, "dist", "open.tar")} (docker, tag latest)`);
    expect(
      readFileSync(join(root, "dist", "open.tar"))
        .subarray(0, 10)
        .toString(),
    ).toBe("oci-layout");
  });

  it("names a bad format, a missing file and a filter not built yet", async () => {
    await expect(packageCommand("closed", { format: "oci" }, root)).rejects.toThrow(
      '--format: expected one of image, docker, artifact, got "oci"',
    );
    await expect(packageCommand(join(root, "nowhere.wasm"), {}, root)).rejects.toThrow(
      `module: ${join(root, "nowhere.wasm")} does not exist`,
    );
    await expect(packageCommand("unbuilt", {}, root)).rejects.toThrow(
      `filter "unbuilt": ${join(root, "build", "unbuilt.wasm")} is missing (run npm run build -- unbuilt)`,
    );
  });
});

describe("manifestCommand", () => {
  const manifest = async (name: string, values: Parameters<typeof manifestCommand>[1]) =>
    parseAllDocuments(await manifestCommand(name, values, root)).map((d) => d.toJS());

  it("pins the packaged digest, the envoy.yaml's configuration, root id and policy", async () => {
    const [te] = await manifest("closed", { image: IMAGE });
    const packaged = await packageModule({ wasm: CLOSED, format: "image" });
    expect(te.kind).toBe("TrafficExtension");
    expect(te.metadata.name).toBe("closed");
    expect(te.metadata.namespace).toBeUndefined();
    expect(te.spec).toStrictEqual({
      wasm: {
        url: `oci://${IMAGE}`,
        sha256: packaged.digest.slice("sha256:".length),
        imagePullPolicy: "IfNotPresent",
        pluginName: "closed_root",
        failStrategy: "FAIL_CLOSE",
        type: "HTTP",
        pluginConfig: { header: "x-from-yaml" },
      },
    });
  });

  it("computes the digest for the format asked for, and the module's sha256 for an http(s) URL", async () => {
    const [docker] = await manifest("closed", { image: IMAGE, format: "docker" });
    const packaged = await packageModule({ wasm: CLOSED, format: "docker" });
    expect(docker.spec.wasm.sha256).toBe(packaged.digest.slice("sha256:".length));
    const [http] = await manifest("closed", { image: "https://files.example.com/closed.wasm" });
    expect(http.spec.wasm.url).toBe("https://files.example.com/closed.wasm");
    expect(http.spec.wasm.sha256).toBe(sha256Hex(CLOSED));
    await expect(manifest("closed", { image: IMAGE, format: "tar" })).rejects.toThrow(
      '--format: expected one of image, docker, artifact, got "tar"',
    );
  });

  it("takes a digest given with or without sha256:, or the one of a layout", async () => {
    const [plain] = await manifest("closed", { image: IMAGE, digest: DIGEST });
    expect(plain.spec.wasm.sha256).toBe(DIGEST);
    const [prefixed] = await manifest("closed", { image: IMAGE, digest: `sha256:${DIGEST}` });
    expect(prefixed.spec.wasm.sha256).toBe(DIGEST);
    for (const bad of [`sha256:${DIGEST}0`, `md5:${DIGEST}`, DIGEST.toUpperCase(), `x${DIGEST}`]) {
      await expect(manifest("closed", { image: IMAGE, digest: bad })).rejects.toThrow(
        `--digest: expected sha256:<64 hex digits>, got "${bad}"`,
      );
    }
    await packageCommand("open", { out: "layouts/open" }, root);
    const layout = await readLayoutManifest(join(root, "layouts", "open"));
    const [fromLayout] = await manifest("closed", { image: IMAGE, layout: "layouts/open" });
    expect(fromLayout.spec.wasm.sha256).toBe(layout.descriptor.digest.slice("sha256:".length));
    await expect(
      manifest("closed", { image: "http://files.example.com/c.wasm", layout: "layouts/open" }),
    ).rejects.toThrow(
      "--layout: an http(s) --image is pinned by the module's sha256, not an image digest",
    );
  });

  it("reads the configuration from a file or inline JSON, checked against the schema", async () => {
    const [fromFile] = await manifest("closed", {
      image: IMAGE,
      digest: DIGEST,
      config: "config.json",
    });
    expect(fromFile.spec.wasm.pluginConfig).toStrictEqual({ header: "x-from-file", limit: 3 });
    const [inline] = await manifest("closed", {
      image: IMAGE,
      digest: DIGEST,
      configJson: '{"limit":9}',
    });
    expect(inline.spec.wasm.pluginConfig).toStrictEqual({ limit: 9 });
    await expect(
      manifest("closed", { image: IMAGE, digest: DIGEST, config: "config.json", configJson: "{}" }),
    ).rejects.toThrow("--config and --config-json: give one, not both");
    await expect(
      manifest("closed", { image: IMAGE, digest: DIGEST, config: "missing.json" }),
    ).rejects.toThrow(/^--config: cannot read missing\.json \(ENOENT/);
    await expect(
      manifest("closed", { image: IMAGE, digest: DIGEST, config: "broken.json" }),
    ).rejects.toThrow(/^--config: not JSON \(/);
    await expect(
      manifest("closed", { image: IMAGE, digest: DIGEST, configJson: "{header" }),
    ).rejects.toThrow(/^--config-json: not JSON \(/);
    await expect(
      manifest("closed", { image: IMAGE, digest: DIGEST, configJson: '{"limit":0}' }),
    ).rejects.toThrow('filter "closed": invalid configuration: field "limit"');
  });

  it("makes a Kubernetes name of the filter's, unless --name gives one", async () => {
    const [derived] = await manifest("Reload_Me", { image: IMAGE, digest: DIGEST });
    expect(derived.metadata.name).toBe("reload-me");
    const [named] = await manifest("Reload_Me", { image: IMAGE, digest: DIGEST, name: "rm" });
    expect(named.metadata.name).toBe("rm");
  });

  it("places an Istio extension by selector, namespace, phase, priority and pull secret", async () => {
    const [te] = await manifest("closed", {
      image: IMAGE,
      digest: DIGEST,
      namespace: "edge",
      selector: "app=api,tier=front",
      phase: "AUTHZ",
      priority: "10",
      pullSecret: "regcred",
    });
    expect(te.metadata.namespace).toBe("edge");
    expect(te.spec.selector).toStrictEqual({ matchLabels: { app: "api", tier: "front" } });
    expect(te.spec.phase).toBe("AUTHZ");
    expect(te.spec.priority).toBe(10);
    expect(te.spec.wasm.imagePullSecret).toBe("regcred");
    await expect(
      manifest("closed", { image: IMAGE, digest: DIGEST, phase: "LAST" }),
    ).rejects.toThrow('--phase: expected one of AUTHN, AUTHZ, STATS, got "LAST"');
    for (const bad of ["1.5", "ten"]) {
      await expect(
        manifest("closed", { image: IMAGE, digest: DIGEST, priority: bad }),
      ).rejects.toThrow(`--priority: expected an integer, got "${bad}"`);
    }
  });

  it("makes each kind asked for, in order, with target refs; none asked means a TrafficExtension", async () => {
    const docs = await manifest("open", {
      image: IMAGE,
      digest: DIGEST,
      kind: ["WasmPlugin", "EnvoyExtensionPolicy"],
      targetRef: ["Gateway/eg", "HTTPRoute/api"],
    });
    expect(docs.map((d) => d.kind)).toEqual(["WasmPlugin", "EnvoyExtensionPolicy"]);
    expect(docs[0].spec.targetRefs.map((r: { name: string }) => r.name)).toEqual(["eg", "api"]);
    expect(docs[1].spec.wasm[0].failOpen).toBe(true);
    const [none] = await manifest("open", {
      image: IMAGE,
      digest: DIGEST,
      kind: [],
      targetRef: [],
    });
    expect(none.kind).toBe("TrafficExtension");
    expect(none.spec.targetRefs).toBeUndefined();
    await expect(
      manifest("open", { image: IMAGE, digest: DIGEST, kind: ["Wasm"] }),
    ).rejects.toThrow(
      '--kind: expected one of TrafficExtension, WasmPlugin, EnvoyExtensionPolicy, got "Wasm"',
    );
  });

  it("opens a fail-closed filter only when told twice; a fail-open one needs nothing more", async () => {
    await expect(
      manifest("closed", { image: IMAGE, digest: DIGEST, failurePolicy: "FAIL_OPEN" }),
    ).rejects.toThrow(
      '--failure-policy FAIL_OPEN: filter "closed" runs FAIL_CLOSED (auth and policy filters must not let traffic through when they break); add --allow-fail-open to override',
    );
    const [opened] = await manifest("closed", {
      image: IMAGE,
      digest: DIGEST,
      failurePolicy: "FAIL_OPEN",
      allowFailOpen: true,
    });
    expect(opened.spec.wasm.failStrategy).toBe("FAIL_OPEN");
    const [open] = await manifest("open", {
      image: IMAGE,
      digest: DIGEST,
      failurePolicy: "FAIL_OPEN",
    });
    expect(open.spec.wasm.failStrategy).toBe("FAIL_OPEN");
    const [reload] = await manifest("closed", {
      image: IMAGE,
      digest: DIGEST,
      failurePolicy: "FAIL_RELOAD",
    });
    expect(reload.spec.wasm.failStrategy).toBe("FAIL_RELOAD");
    await expect(
      manifest("closed", { image: IMAGE, digest: DIGEST, failurePolicy: "FAIL_SOMETIMES" }),
    ).rejects.toThrow(
      '--failure-policy: expected one of FAIL_CLOSED, FAIL_OPEN, FAIL_RELOAD, got "FAIL_SOMETIMES"',
    );
  });

  it("sends a filter's own FAIL_RELOAD to Envoy Gateway closed, and refuses it asked for by name", async () => {
    const both = {
      image: IMAGE,
      digest: DIGEST,
      kind: ["TrafficExtension", "EnvoyExtensionPolicy"],
      targetRef: ["Gateway/eg"],
    };
    const [te, eep] = await manifest("Reload_Me", both);
    expect(te.spec.wasm.failStrategy).toBe("FAIL_RELOAD");
    expect(eep.spec.wasm[0].failOpen).toBe(false);
    await expect(manifest("Reload_Me", { ...both, failurePolicy: "FAIL_RELOAD" })).rejects.toThrow(
      "FAIL_RELOAD has no Envoy Gateway equivalent",
    );
  });

  it("needs --image and a built module when no digest is given", async () => {
    await expect(manifest("closed", {})).rejects.toThrow(
      "--image is required (registry/repository:tag or an http(s) URL)",
    );
    await expect(manifest("unbuilt", { image: IMAGE })).rejects.toThrow(
      `filter "unbuilt": ${join(root, "build", "unbuilt.wasm")} is missing`,
    );
  });
});

describe("envoyConfigCommand", () => {
  const entries = async (names: string[], values: Parameters<typeof envoyConfigCommand>[1] = {}) =>
    parse(await envoyConfigCommand(names, values, root)).http_filters;

  it("points each filter at <prefix>/<name>.wasm, one trailing slash dropped", async () => {
    const [closed, open] = await entries(["closed", "open"], { pathPrefix: "/etc/modules/" });
    expect(closed.typed_config.config.vm_config.code.local.filename).toBe(
      "/etc/modules/closed.wasm",
    );
    expect(open.typed_config.config.vm_config.code.local.filename).toBe("/etc/modules/open.wasm");
    expect(closed.typed_config.config.failure_policy).toBe("FAIL_CLOSED");
    expect(open.typed_config.config.failure_policy).toBe("FAIL_OPEN");
    const [local] = await entries(["open"]);
    expect(local.typed_config.config.vm_config.code.local.filename).toBe(
      join(root, "build", "open.wasm"),
    );
  });

  it("fetches from <url>/<name>.wasm through the cluster asked for, pinned by sha256", async () => {
    const text = await envoyConfigCommand(
      ["open"],
      { urlPrefix: "https://files.example.com/wasm/", cluster: "cdn" },
      root,
    );
    expect(text.startsWith("# The remote code needs a cluster")).toBe(true);
    const [entry] = parse(text).http_filters;
    expect(entry.typed_config.config.vm_config.code.remote).toMatchObject({
      http_uri: { uri: "https://files.example.com/wasm/open.wasm", cluster: "cdn" },
      sha256: sha256Hex(OPEN),
    });
  });

  it("gives one filter the configuration asked for, with the policy checked", async () => {
    const [entry] = await entries(["closed"], {
      configJson: '{"limit":4}',
      failurePolicy: "FAIL_RELOAD",
    });
    expect(JSON.parse(entry.typed_config.config.configuration.value)).toStrictEqual({ limit: 4 });
    expect(entry.typed_config.config.failure_policy).toBe("FAIL_RELOAD");
    const [fromYaml] = await entries(["closed"]);
    expect(JSON.parse(fromYaml.typed_config.config.configuration.value)).toStrictEqual({
      header: "x-from-yaml",
    });
    await expect(entries(["closed"], { failurePolicy: "FAIL_OPEN" })).rejects.toThrow(
      "add --allow-fail-open to override",
    );
    const [opened] = await entries(["closed"], { failurePolicy: "FAIL_OPEN", allowFailOpen: true });
    expect(opened.typed_config.config.failure_policy).toBe("FAIL_OPEN");
  });

  it("names what it cannot do", async () => {
    await expect(entries([])).rejects.toThrow("expected one or more filter names");
    await expect(entries(["open"], { pathPrefix: "/a", urlPrefix: "https://b" })).rejects.toThrow(
      "--path-prefix and --url-prefix: give one, not both",
    );
    await expect(entries(["open", "closed"], { configJson: "{}" })).rejects.toThrow(
      "--config: applies to one filter; name only one",
    );
    await expect(entries(["closed"], { configJson: '{"nope":1}' })).rejects.toThrow(
      'field "(root)": unknown field "nope"',
    );
  });
});

describe("writeComposeConfig", () => {
  it("writes envoy/compose/envoy.yaml for the filters named and says which", async () => {
    const said = await writeComposeConfig(["open", "closed"], root);
    expect(said).toBe("wrote envoy/compose/envoy.yaml (open, closed)");
    const written = readFileSync(join(root, "envoy", "compose", "envoy.yaml"), "utf8");
    expect(written).toContain("open.wasm");
    expect(written).toContain("closed.wasm");
  });
});

describe("writeExamples (meshwasm manifest --examples)", () => {
  it("writes each filter's Istio and Envoy Gateway examples under a Kubernetes name, and the compose config", async () => {
    const project = mkdtempSync(join(tmpdir(), "meshwasm-ship-examples-"));
    try {
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "examples", private: true }),
      );
      mkdirSync(join(project, "build"));
      for (const name of ["Edge_Tag", "hello"]) {
        mkdirSync(join(project, "filters", name, "assembly"), { recursive: true });
        writeFileSync(
          join(project, "filters", name, "assembly", "index.ts"),
          "// not compiled here\n",
        );
        writeFileSync(join(project, "build", `${name}.wasm`), module(name));
      }
      const said = await writeExamples(project);
      expect(said.split("\n").sort()).toEqual(
        [
          "wrote envoy/compose/envoy.yaml",
          "wrote envoy/gateway/Edge_Tag.yaml",
          "wrote envoy/gateway/hello.yaml",
          "wrote envoy/istio/Edge_Tag.yaml",
          "wrote envoy/istio/hello.yaml",
        ].sort(),
      );
      const [te] = parseAllDocuments(
        readFileSync(join(project, "envoy", "istio", "Edge_Tag.yaml"), "utf8"),
      ).map((d) => d.toJS());
      expect(te.metadata.name).toBe("edge-tag");
      expect(te.spec.wasm.url).toBe("oci://registry.example.com/meshwasm/edge-tag:0.1.0");
      expect(readFileSync(join(project, "envoy", "compose", "envoy.yaml"), "utf8")).toContain(
        "hello.wasm",
      );
      rmSync(join(project, "build", "hello.wasm"));
      await expect(writeExamples(project)).rejects.toThrow(
        `filter "hello": ${join(project, "build", "hello.wasm")} is missing (run npm run build first)`,
      );
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("masks whole lower-case sha256 digests only", () => {
    const digest = "0f".repeat(32);
    expect(maskDigests(`sha256: ${digest}\nimage: x@sha256:${digest}`)).toBe(
      "sha256: <sha256>\nimage: x@sha256:<sha256>",
    );
    for (const kept of [digest.slice(1), `${digest}a`, digest.toUpperCase(), "short"]) {
      expect(maskDigests(kept)).toBe(kept);
    }
  });
});

describe("paths typed on the command line, run from a folder inside the project", () => {
  // The project is found above the folder the command runs in; what the user typed is taken
  // from that folder, as a shell would, and only the default output goes under the project.
  const sub = join(root, "work", "here");
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, "config.json"), '{"header":"x-from-here"}');

  it("packages a .wasm and writes --out where the command runs", async () => {
    const printed = await packageCommand("../../build/open.wasm", { out: "open.tar" }, root, sub);
    expect(printed.split("\n")[0]).toBe(`${join(sub, "open.tar")} (image, tag latest)`);
    expect(readFileSync(join(sub, "open.tar")).subarray(0, 10).toString()).toBe("oci-layout");
    await expect(packageCommand("open.wasm", {}, root, sub)).rejects.toThrow(
      "module: open.wasm does not exist",
    );
    // No --out: the project's build/oci, wherever the command runs.
    const byDefault = await packageCommand("open", {}, root, sub);
    expect(byDefault.split("\n")[0]).toBe(
      `${join(root, "build", "oci", "open-image")} (image, tag latest)`,
    );
  });

  it("reads --config and --layout from where the command runs", async () => {
    const [here] = parseAllDocuments(
      await manifestCommand(
        "closed",
        { image: IMAGE, digest: DIGEST, config: "config.json" },
        root,
        sub,
      ),
    ).map((d) => d.toJS());
    expect(here.spec.wasm.pluginConfig).toStrictEqual({ header: "x-from-here" });
    const [above] = parseAllDocuments(
      await manifestCommand(
        "closed",
        { image: IMAGE, digest: DIGEST, config: "../../config.json" },
        root,
        sub,
      ),
    ).map((d) => d.toJS());
    expect(above.spec.wasm.pluginConfig).toStrictEqual({ header: "x-from-file", limit: 3 });
    await packageCommand("closed", { out: "layout" }, root, sub);
    const digest = (await readLayoutManifest(join(sub, "layout"))).descriptor.digest;
    const [pinned] = parseAllDocuments(
      await manifestCommand("closed", { image: IMAGE, layout: "layout" }, root, sub),
    ).map((d) => d.toJS());
    expect(JSON.stringify(pinned)).toContain(digest.slice("sha256:".length));
    const [entry] = parse(
      await envoyConfigCommand(["closed"], { config: "config.json" }, root, sub),
    ).http_filters;
    expect(JSON.parse(entry.typed_config.config.configuration.value)).toStrictEqual({
      header: "x-from-here",
    });
  });
});
