// The shipping subcommands as a user runs them (meshwasm package/manifest/envoy-config), the generated files under envoy/, and the
// envoy-config snippet in real Envoy (a local file, and a remote module pinned by sha256).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { compileFilter } from "../../src/build/compile.ts";
import {
  buildBootstrap,
  startEchoUpstream,
  startEnvoy,
  wasmHttpFilter,
} from "../../src/envoy/index.ts";
import { filterOptions } from "../../src/ship/envoy-config.ts";
import { listFilters, loadFilter } from "../../src/ship/filters.ts";
import { generatedFiles, maskDigests } from "../../src/ship/generated.ts";
import { readLayoutManifest, sha256Hex } from "../../src/ship/oci.ts";
import { cli } from "../cli/helpers.ts";

const root = resolve(".");

/** `meshwasm <args>`: stdout when it exits 0, else an error carrying the exit code and stderr. */
async function meshwasm(...args: string[]): Promise<string> {
  const r = await cli(args, { cwd: root });
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const work = mkdtempSync(join(tmpdir(), "meshwasm-ship-cli-"));

beforeAll(async () => {
  // The commands read build/<filter>.wasm, as after `npm run build`; build what is missing.
  for (const name of listFilters(root)) {
    const filter = loadFilter(name, root);
    if (!existsSync(filter.wasmPath)) {
      await compileFilter({
        entry: join(filter.dir, "assembly", "index.ts"),
        outFile: filter.wasmPath,
      });
    }
  }
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("meshwasm package", () => {
  it("prints the digest and the module's sha256, the same on every run", async () => {
    const out = join(work, "hello-artifact");
    const first = await meshwasm(
      "package",
      "hello",
      "--format",
      "artifact",
      "--out",
      out,
      "--tag",
      "1.2.3",
    );
    const second = await meshwasm(
      "package",
      "hello",
      "--format",
      "artifact",
      "--out",
      join(work, "again"),
      "--tag",
      "1.2.3",
    );
    const digest = /digest +(sha256:[a-f0-9]{64})/.exec(first)?.[1];
    expect(digest).toBeDefined();
    expect(/digest +(sha256:[a-f0-9]{64})/.exec(second)?.[1]).toBe(digest);
    expect(first).toContain(
      `module sha256 ${sha256Hex(readFileSync(join(root, "build", "hello.wasm")))}`,
    );
    expect((await readLayoutManifest(out, "1.2.3")).descriptor.digest).toBe(digest);
  });

  it("writes a tar when --out ends in .tar, and names a bad format", async () => {
    await meshwasm("package", "hello", "--out", join(work, "hello.tar"));
    expect(readFileSync(join(work, "hello.tar")).subarray(0, 10).toString()).toBe("oci-layout");
    await expect(meshwasm("package", "hello", "--format", "oci")).rejects.toThrow(
      /exit 2: .*--format <format>.* argument .oci. is invalid/,
    );
    await expect(meshwasm("package", "no-such-filter")).rejects.toThrow(
      /exit 2: error: no filter named "no-such-filter"/,
    );
  });
});

describe("meshwasm manifest", () => {
  it("pins the digest of the packaged module, validated configuration, explicit failure strategy", async () => {
    const pkg = await meshwasm("package", "hello", "--out", join(work, "hello-image"));
    const digest = /digest +sha256:([a-f0-9]{64})/.exec(pkg)?.[1];
    const yaml = await meshwasm(
      "manifest",
      "hello",
      "--image",
      "registry.example.com/f/hello:1",
      "--kind",
      "TrafficExtension",
      "--kind",
      "EnvoyExtensionPolicy",
      "--target-ref",
      "Gateway/eg",
      "--config-json",
      '{"header":"x-a","value":"b"}',
    );
    const [te, eep] = parseAllDocuments(yaml).map((d) => d.toJS());
    expect(te.spec.wasm).toMatchObject({
      sha256: digest,
      failStrategy: "FAIL_OPEN",
      pluginConfig: { header: "x-a", value: "b" },
    });
    expect(te.spec.targetRefs).toEqual([
      { group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg" },
    ]);
    expect(eep.spec.wasm[0]).toMatchObject({
      failOpen: true,
      code: { image: { sha256: digest } },
    });
  });

  it("refuses to open a fail-closed filter unless told twice", async () => {
    const args = [
      "require-header",
      "--image",
      "registry.example.com/f/rh:1",
      "--failure-policy",
      "FAIL_OPEN",
    ];
    await expect(meshwasm("manifest", ...args)).rejects.toThrow(
      /runs FAIL_RELOAD .* add --allow-fail-open/,
    );
    const yaml = await meshwasm("manifest", ...args, "--allow-fail-open");
    expect(parse(yaml).spec.wasm.failStrategy).toBe("FAIL_OPEN");
  });

  it("carries a filter's FAIL_RELOAD to Istio, and to Envoy Gateway as failOpen: false", async () => {
    const args = ["require-header", "--image", "registry.example.com/f/rh:1"];
    const both = ["--kind", "TrafficExtension", "--kind", "EnvoyExtensionPolicy"];
    const yaml = await meshwasm("manifest", ...args, ...both, "--target-ref", "Gateway/eg");
    const [te, eep] = parseAllDocuments(yaml).map((d) => d.toJS());
    expect(te.spec.wasm.failStrategy).toBe("FAIL_RELOAD");
    expect(eep.spec.wasm[0].failOpen).toBe(false);
    // Asked for by name, FAIL_RELOAD has no Envoy Gateway equivalent.
    await expect(
      meshwasm(
        "manifest",
        ...args,
        "--kind",
        "EnvoyExtensionPolicy",
        "--target-ref",
        "Gateway/eg",
        "--failure-policy",
        "FAIL_RELOAD",
      ),
    ).rejects.toThrow(/FAIL_RELOAD has no Envoy Gateway equivalent/);
  });

  it("names bad flags and values", async () => {
    await expect(meshwasm("manifest", "hello")).rejects.toThrow(/exit 2: .*--image is required/);
    await expect(
      meshwasm("manifest", "hello", "--image", "r.example.com/a:1", "--kind", "Wasm"),
    ).rejects.toThrow(
      /--kind: expected one of TrafficExtension, WasmPlugin, EnvoyExtensionPolicy, got "Wasm"/,
    );
    await expect(
      meshwasm("manifest", "hello", "--image", "r.example.com/a:1", "--digest", "sha256:xyz"),
    ).rejects.toThrow(/--digest: expected sha256:<64 hex digits>, got "sha256:xyz"/);
    await expect(
      meshwasm("manifest", "hello", "--image", "r.example.com/a:1", "--config-json", "{x"),
    ).rejects.toThrow(/--config-json: not JSON/);
  });
});

describe("generated files under envoy/", () => {
  it("are current: one Istio and one Envoy Gateway example per filter, and the compose config", async () => {
    const files = await generatedFiles(root);
    for (const name of listFilters(root)) {
      expect(files.has(join("envoy", "istio", `${name}.yaml`))).toBe(true);
      expect(files.has(join("envoy", "gateway", `${name}.yaml`))).toBe(true);
    }
    for (const [path, content] of files) {
      const onDisk = existsSync(join(root, path))
        ? readFileSync(join(root, path), "utf8")
        : "(missing)";
      // Digests follow every module change; the rest must match (regenerate: meshwasm manifest --examples).
      expect(maskDigests(onDisk), `${path} is stale: run meshwasm manifest --examples`).toBe(
        maskDigests(content),
      );
    }
  });
});

describe("meshwasm envoy-config", () => {
  it("prints what the runner's own generator makes for the filter", async () => {
    const yaml = await meshwasm("envoy-config", "hello", "--path-prefix", "/etc/envoy/modules");
    const filter = loadFilter("hello", root);
    expect(parse(yaml).http_filters).toEqual([
      wasmHttpFilter(filterOptions(filter, { path: "/etc/envoy/modules/hello.wasm" })),
    ]);
  });

  it("a remote module pinned by sha256 loads in real Envoy; a wrong sha256 fails closed", async () => {
    const wasm = readFileSync(join(root, "build", "hello.wasm"));
    let fetches = 0;
    const files: Server = createServer((req, res) => {
      fetches++;
      if (req.url === "/wasm/hello.wasm") res.end(wasm);
      else res.writeHead(404).end();
    });
    await new Promise<void>((done) => files.listen(0, "127.0.0.1", done));
    const echo = await startEchoUpstream();
    try {
      const port = (files.address() as AddressInfo).port;
      const yaml = await meshwasm(
        "envoy-config",
        "hello",
        "--url-prefix",
        `http://127.0.0.1:${port}/wasm`,
      );
      const httpFilters = parse(yaml).http_filters;
      expect(httpFilters[0].typed_config.config.vm_config.code.remote.sha256).toBe(sha256Hex(wasm));
      const config = buildBootstrap({
        upstream: { kind: "cluster", port: echo.port },
        extraHttpFilters: httpFilters,
        extraClusters: [{ name: "wasm_modules", port }],
      });
      const envoy = await startEnvoy({ config });
      try {
        const res = await envoy.request("/remote");
        expect(res.status).toBe(200);
        expect(res.headers.get("x-hello")).toBe("from meshwasm");
        expect(fetches).toBeGreaterThan(0);
      } finally {
        await envoy.stop();
      }
      const bad = structuredClone(httpFilters);
      bad[0].typed_config.config.vm_config.code.remote.sha256 = "0".repeat(64);
      // hello runs FAIL_OPEN; a module that fails to load fails closed under FAIL_CLOSED.
      bad[0].typed_config.config.failure_policy = "FAIL_CLOSED";
      const refused = await startEnvoy({
        config: buildBootstrap({
          upstream: { kind: "cluster", port: echo.port },
          extraHttpFilters: bad,
          extraClusters: [{ name: "wasm_modules", port }],
        }),
      });
      try {
        // Envoy refuses the module, and the filter fails closed: nothing reaches the upstream.
        const before = echo.requests.length;
        const res = await refused.request("/remote");
        expect(res.status).toBe(503);
        expect(res.headers.get("x-hello")).toBeNull();
        expect(echo.requests.length).toBe(before);
        expect(refused.logs()).toMatch(/Plugin hello failed to load/);
      } finally {
        await refused.stop();
      }
    } finally {
      await echo.close();
      await new Promise((done) => files.close(done));
    }
  });
});
