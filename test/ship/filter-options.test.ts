// What a filter's folder gives the shipping commands (loadFilter's defaults from its envoy.yaml,
// the configuration check) and the Envoy entries made from it, on a small project of its own.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  envoyConfigCommand,
  manifestCommand,
  packageCommand,
  writeComposeConfig,
} from "../../src/ship/commands.ts";
import { envoySnippet, filterOptions } from "../../src/ship/envoy-config.ts";
import { loadFilter, validateConfiguration } from "../../src/ship/filters.ts";
import { packageModule, sha256Hex } from "../../src/ship/oci.ts";

const root = mkdtempSync(join(tmpdir(), "meshwasm-filter-options-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
const WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";

/** A wasm http filter entry loading `file`, with these config settings. */
const wasmEntry = (file: string, config: Record<string, unknown>) => ({
  typed_config: {
    "@type": WASM_TYPE,
    config: { ...config, vm_config: { code: { local: { filename: file } } } },
  },
});

function addFilter(name: string, opts: { httpFilters?: object[]; schema?: string } = {}): void {
  const dir = join(root, "filters", name);
  mkdirSync(join(dir, "assembly"), { recursive: true });
  writeFileSync(join(dir, "assembly", "index.ts"), "// not compiled here\n");
  if (opts.httpFilters) {
    writeFileSync(join(dir, "envoy.yaml"), JSON.stringify({ http_filters: opts.httpFilters }));
  }
  if (opts.schema !== undefined) writeFileSync(join(dir, "schema.json"), opts.schema);
}

writeFileSync(join(root, "package.json"), JSON.stringify({ name: "options", private: true }));
mkdirSync(join(root, "build"));
for (const name of ["second", "hello"]) writeFileSync(join(root, "build", `${name}.wasm`), WASM);
// Two wasm filters: the one loading second.wasm is this filter's.
addFilter("second", {
  httpFilters: [
    wasmEntry("build/other.wasm", { root_id: "other_root", failure_policy: "FAIL_OPEN" }),
    wasmEntry("build/second.wasm", { root_id: "second_root", failure_policy: "FAIL_RELOAD" }),
  ],
});
// A filter of another kind first; the wasm one names no module of this filter's name.
addFilter("fallback", {
  httpFilters: [
    { typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors" } },
    wasmEntry("build/module.wasm", { root_id: "fallback_root" }),
  ],
});
// No root id, a policy Envoy does not know, a configuration that is not JSON.
addFilter("sparse", {
  httpFilters: [
    wasmEntry("build/sparse.wasm", {
      failure_policy: "FAIL_LATER",
      configuration: { value: "{x" },
    }),
  ],
});
addFilter("broken", { schema: "{not json" });
addFilter("nowasm", {
  httpFilters: [
    { typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors" } },
  ],
});
addFilter("hello", {
  schema: JSON.stringify({
    type: "object",
    properties: {
      "a/b~c": { type: "string" },
      outer: { type: "object", properties: { inner: { type: "integer" } } },
      n: { type: "integer" },
    },
  }),
});

describe("loadFilter's defaults from envoy.yaml", () => {
  it("takes the wasm filter that loads <name>.wasm, not the first", () => {
    expect(loadFilter("second", root).defaults).toStrictEqual({
      rootId: "second_root",
      failurePolicy: "FAIL_RELOAD",
    });
  });

  it("else the first wasm filter, never a filter of another kind", () => {
    expect(loadFilter("fallback", root).defaults).toStrictEqual({
      rootId: "fallback_root",
      failurePolicy: "FAIL_CLOSED",
    });
  });

  it("keeps its own defaults when envoy.yaml has no wasm filter", () => {
    expect(loadFilter("nowasm", root).defaults).toStrictEqual({
      rootId: "nowasm",
      failurePolicy: "FAIL_CLOSED",
    });
  });

  it("keeps its own defaults for what is missing or unusable", () => {
    expect(loadFilter("sparse", root).defaults).toStrictEqual({
      rootId: "sparse",
      failurePolicy: "FAIL_CLOSED",
    });
  });

  it("names a schema.json that is not JSON", () => {
    expect(() => loadFilter("broken", root)).toThrow(
      new RegExp(
        `^filter "broken": ${join(root, "filters", "broken", "schema.json")} is not JSON \\(`,
      ),
    );
  });
});

describe("validateConfiguration", () => {
  const hello = () => loadFilter("hello", root);

  it("wants a JSON object", () => {
    for (const bad of ["x", 3, [1]]) {
      expect(() => validateConfiguration(hello(), bad)).toThrow(
        `filter "hello": configuration must be a JSON object, got ${JSON.stringify(bad)}`,
      );
    }
  });

  it("names every wrong field by its dotted path, with the value", () => {
    expect(() =>
      validateConfiguration(hello(), { "a/b~c": 1, outer: { inner: "x" }, n: 1.5 }),
    ).toThrow(
      'filter "hello": invalid configuration: field "a/b~c": must be string, got 1; field "outer.inner": must be integer, got "x"; field "n": must be integer, got 1.5',
    );
  });
});

describe("the Envoy entries", () => {
  it("a remote module: the default cluster, the module's sha256, and a note about the cluster", () => {
    const filter = loadFilter("second", root);
    expect(filterOptions(filter, { url: "https://files.example.com/second.wasm" })).toStrictEqual({
      name: "second",
      rootId: "second_root",
      vmId: "second",
      failurePolicy: "FAIL_RELOAD",
      remote: {
        uri: "https://files.example.com/second.wasm",
        cluster: "wasm_modules",
        sha256: sha256Hex(WASM),
      },
    });
    const fallback = loadFilter("fallback", root);
    expect(() => filterOptions(fallback, { url: "https://files.example.com/f.wasm" })).toThrow(
      `filter "fallback": ${join(root, "build", "fallback.wasm")} is missing (run npm run build -- fallback)`,
    );
    const note =
      "# The remote code needs a cluster (default name wasm_modules) that reaches the URL's host.\n";
    const both = envoySnippet([
      { filter: loadFilter("hello", root) },
      { filter, options: { url: "https://files.example.com/second.wasm" } },
    ]);
    expect(both.startsWith(`${note}http_filters:\n`)).toBe(true);
    expect(envoySnippet([{ filter }]).startsWith("http_filters:\n")).toBe(true);
  });

  it("a long configuration stays on one line", () => {
    const long = "x ".repeat(60).trim();
    const text = envoySnippet([
      { filter: loadFilter("hello", root), options: { configuration: { "a/b~c": long } } },
    ]);
    expect(text).toContain(`value: '{"a/b~c":"${long}"}'`);
  });
});

describe("command output", () => {
  it("manifest and envoy-config print no trailing newline", async () => {
    const manifest = await manifestCommand(
      "hello",
      { image: "registry.example.com/hello:1", digest: "ab".repeat(32) },
      root,
    );
    expect(manifest.startsWith("apiVersion: ")).toBe(true);
    expect(manifest.endsWith("\n")).toBe(false);
    const envoy = await envoyConfigCommand(["hello"], {}, root);
    expect(envoy.startsWith("http_filters:\n")).toBe(true);
    expect(envoy.endsWith("\n")).toBe(false);
  });

  it("manifest pins an image by its image digest even when its path holds a URL", async () => {
    const text = await manifestCommand(
      "hello",
      { image: "registry.example.com/mirror/https://files.example.com/hello.wasm" },
      root,
    );
    const digest = (await packageModule({ wasm: WASM })).digest.slice("sha256:".length);
    expect(text).toContain(`sha256: ${digest}\n`);
  });

  it("package --out makes the folders a tar needs", async () => {
    const said = await packageCommand("hello", { out: join("dist", "deep", "hello.tar") }, root);
    expect(said.split("\n")[0]).toBe(
      `${join(root, "dist", "deep", "hello.tar")} (image, tag latest)`,
    );
    expect(existsSync(join(root, "dist", "deep", "hello.tar"))).toBe(true);
  });

  it("envoy-config --compose with no names writes the hello filter's", async () => {
    expect(await writeComposeConfig([], root)).toBe("wrote envoy/compose/envoy.yaml (hello)");
  });
});
