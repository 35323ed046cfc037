// Packaging for real: the module packaged in each format, pushed to a local registry with skopeo,
// pulled back by Istio's own image fetcher (tools/istio-fetch, built from the istio.io/istio Go
// module) and by Envoy Gateway's (tools/envoy-gateway-fetch, from github.com/envoyproxy/gateway),
// byte-identical, then loaded into real Envoy where it serves a request.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter } from "../../src/build/compile.ts";
import { buildBootstrap, startEchoUpstream, withEnvoy } from "../../src/envoy/index.ts";
import {
  PACKAGE_FORMATS,
  type PackagedModule,
  packageModule,
  sha256Hex,
  writeLayout,
} from "../../src/ship/oci.ts";
import { pushLayout } from "../../src/ship/push.ts";
import { type LocalRegistry, startRegistry } from "./registry.ts";

const run = promisify(execFile);

let work: string;
let registry: LocalRegistry | undefined;
/** The fetchers under test: the tool in tools/ and what it is. */
const FETCHERS = [
  { tool: "istio-fetch", title: "Istio's image fetcher (istio.io/istio pkg/wasm)" },
  {
    tool: "envoy-gateway-fetch",
    title: "Envoy Gateway's image fetcher (envoyproxy/gateway internal/wasm)",
  },
] as const;
const binaries = new Map<string, string>();
let wasm: Uint8Array;
const pushed = new Map<string, { pkg: PackagedModule; ref: string }>();

beforeAll(async () => {
  await run("bash", ["scripts/setup-ship.sh"], { timeout: 300_000 });
  // The first build downloads each module graph and compiles it; later runs reuse the cache.
  for (const { tool } of FETCHERS) {
    const { stdout } = await run("bash", ["scripts/build-fetcher.sh", tool], {
      timeout: 1_200_000,
    });
    binaries.set(tool, stdout.trim());
  }
  work = await mkdtemp(join(tmpdir(), "meshwasm-istio-fetch-"));
  const wasmPath = join(work, "hello.wasm");
  await compileFilter({ entry: resolve("examples/hello/assembly/index.ts"), outFile: wasmPath });
  wasm = await readFile(wasmPath);
  registry = await startRegistry();
  for (const format of PACKAGE_FORMATS) {
    const pkg = await packageModule({ wasm, format, tag: "1.0.0", rootIds: ["hello"] });
    const layout = join(work, `layout-${format}`);
    await writeLayout(pkg, layout);
    const result = await pushLayout({
      layout,
      reference: `${registry.host}/filters/hello-${format}`,
      insecure: true,
    });
    expect(result.digest).toBe(pkg.digest);
    pushed.set(format, { pkg, ref: result.reference });
  }
}, 2_700_000);

afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function pull(tool: string, ref: string, out: string, sha256?: string) {
  const args = sha256 ? ["-sha256", sha256, ref, out] : [ref, out];
  const { stdout } = await run(binaries.get(tool) as string, args, { timeout: 90_000 });
  return JSON.parse(stdout) as { digest: string; sha256: string; bytes: number };
}

for (const { tool, title } of FETCHERS) {
  describe(title, () => {
    for (const format of PACKAGE_FORMATS) {
      it(`pulls the ${format} format back byte for byte, its digest pinned`, async () => {
        const { pkg, ref } = pushed.get(format) ?? expect.fail(`${format} was not pushed`);
        const out = join(work, `${tool}-${format}.wasm`);
        const got = await pull(tool, ref, out, pkg.digest.slice("sha256:".length));
        expect(got.digest).toBe(pkg.digest.slice("sha256:".length));
        expect(got.sha256).toBe(pkg.moduleSha256);
        expect(sha256Hex(await readFile(out))).toBe(sha256Hex(wasm));
      });
    }

    it("pulls by digest (an @sha256: reference) too", async () => {
      const { pkg, ref } = pushed.get("artifact") ?? expect.fail("artifact was not pushed");
      const byDigest = `${ref.slice(0, ref.lastIndexOf(":"))}@${pkg.digest}`;
      const got = await pull(tool, byDigest, join(work, `${tool}-by-digest.wasm`));
      expect(got.sha256).toBe(pkg.moduleSha256);
    });

    it("refuses an image whose digest is not the pinned sha256 (the module's own sha256 is not the image digest)", async () => {
      const { pkg, ref } = pushed.get("image") ?? expect.fail("image was not pushed");
      await expect(
        pull(tool, ref, join(work, `${tool}-wrong.wasm`), pkg.moduleSha256),
      ).rejects.toThrow(/does not match/);
    });

    it("loads each pulled module into real Envoy, which serves a request through all three", async () => {
      for (const format of PACKAGE_FORMATS) {
        const { ref } = pushed.get(format) ?? expect.fail(`${format} was not pushed`);
        await pull(tool, ref, join(work, `${tool}-envoy-${format}.wasm`));
      }
      const echo = await startEchoUpstream();
      try {
        const config = buildBootstrap({
          upstream: { kind: "cluster", port: echo.port },
          wasmFilters: PACKAGE_FORMATS.map((format) => ({
            name: `hello-${format}`,
            rootId: "hello",
            vmId: `hello-${format}`,
            wasmPath: join(work, `${tool}-envoy-${format}.wasm`),
            configuration: JSON.stringify({ header: `x-from-${format}`, value: format }),
          })),
        });
        await withEnvoy({ config }, async (envoy) => {
          const res = await envoy.request("/pulled");
          expect(res.status).toBe(200);
          for (const format of PACKAGE_FORMATS)
            expect(res.headers.get(`x-from-${format}`)).toBe(format);
          expect(echo.requests.at(-1)?.path).toBe("/pulled");
        });
      } finally {
        await echo.close();
      }
    });
  });
}
