// The OCI image layout writer: formats, media types, reproducibility, and what it refuses.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Descriptor,
  layoutTar,
  MEDIA,
  PACKAGE_FORMATS,
  packageModule,
  readLayoutManifest,
  sha256Hex,
  writeLayout,
} from "../../src/ship/oci.ts";
import { parseReference } from "../../src/ship/push.ts";

const work = mkdtempSync(join(tmpdir(), "meshwasm-oci-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A minimal valid module: the magic and version, then a custom section with some payload. */
function module(payload: string): Uint8Array {
  const name = new TextEncoder().encode(payload);
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, name.length + 1, 0, ...name]);
}

function tarEntries(
  tar: Uint8Array,
): { name: string; size: number; mtime: number; uname: string }[] {
  const out = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const text = (start: number, len: number) =>
      new TextDecoder().decode(header.subarray(start, start + len)).replace(/\0.*$/s, "");
    const size = Number.parseInt(text(124, 12), 8);
    out.push({
      name: text(0, 100),
      size,
      mtime: Number.parseInt(text(136, 12), 8),
      uname: text(265, 32),
    });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe("packageModule", () => {
  const wasm = module("meshwasm test module");

  it("is reproducible: the same module gives the same digest, in every format", async () => {
    for (const format of PACKAGE_FORMATS) {
      const a = await packageModule({ wasm, format, tag: "1.0" });
      const b = await packageModule({ wasm: Uint8Array.from(wasm), format, tag: "1.0" });
      expect(a.digest).toBe(b.digest);
      expect(a.moduleSha256).toBe(sha256Hex(wasm));
    }
    const other = await packageModule({ wasm: module("another module") });
    expect(other.digest).not.toBe((await packageModule({ wasm })).digest);
  });

  it("image: an OCI manifest whose one tar+gzip layer holds plugin.wasm (mtime 0, no owner names)", async () => {
    const pkg = await packageModule({ wasm, format: "image" });
    const manifest = JSON.parse(new TextDecoder().decode(pkg.blobs.get(pkg.digest)?.bytes));
    expect(manifest.mediaType).toBe(MEDIA.ociManifest);
    expect(manifest.annotations).toEqual({ "module.wasm.image/variant": "compat" });
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].mediaType).toBe(MEDIA.ociLayerTarGzip);
    const gz = pkg.blobs.get(manifest.layers[0].digest)?.bytes as Uint8Array;
    expect(gz[9]).toBe(0xff); // gzip OS byte fixed, so the digest is the same on every platform
    const tar = gunzipSync(gz);
    expect(tarEntries(tar)).toEqual([
      { name: "plugin.wasm", size: wasm.length, mtime: 0, uname: "" },
    ]);
    expect(sha256Hex(tar.subarray(512, 512 + wasm.length))).toBe(sha256Hex(wasm));
    const config = JSON.parse(
      new TextDecoder().decode(pkg.blobs.get(manifest.config.digest)?.bytes),
    );
    expect(config.rootfs.diff_ids).toEqual([`sha256:${sha256Hex(tar)}`]);
  });

  it("docker: the Docker schema 2 media types, no annotations", async () => {
    const pkg = await packageModule({ wasm, format: "docker" });
    const manifest = JSON.parse(new TextDecoder().decode(pkg.blobs.get(pkg.digest)?.bytes));
    expect(manifest.mediaType).toBe(MEDIA.dockerManifest);
    expect(manifest.config.mediaType).toBe(MEDIA.dockerConfig);
    expect(manifest.layers.map((l: Descriptor) => l.mediaType)).toEqual([MEDIA.dockerLayerTarGzip]);
    expect(manifest.annotations).toBeUndefined();
  });

  it("artifact: exactly two layers, the runtime config and the raw module", async () => {
    const pkg = await packageModule({ wasm, format: "artifact", rootIds: ["auth"] });
    const manifest = JSON.parse(new TextDecoder().decode(pkg.blobs.get(pkg.digest)?.bytes));
    expect(manifest.config.mediaType).toBe(MEDIA.wasmConfig);
    expect(manifest.layers.map((l: Descriptor) => l.mediaType)).toEqual([
      MEDIA.wasmConfig,
      MEDIA.wasmContent,
    ]);
    expect(pkg.blobs.get(manifest.layers[1].digest)?.bytes).toEqual(wasm);
    const runtime = JSON.parse(
      new TextDecoder().decode(pkg.blobs.get(manifest.config.digest)?.bytes),
    );
    expect(runtime).toEqual({
      type: "envoy_proxy",
      abi_version: "v0.2.1",
      config: { root_ids: ["auth"] },
    });
  });

  it("writes an OCI image layout whose blobs match their digests, and reads its manifest back", async () => {
    const pkg = await packageModule({ wasm, format: "artifact", tag: "2.0.1" });
    const dir = join(work, "layout");
    await writeLayout(pkg, dir);
    expect(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8"))).toEqual({
      imageLayoutVersion: "1.0.0",
    });
    const { descriptor, manifest } = await readLayoutManifest(dir, "2.0.1");
    expect(descriptor.digest).toBe(pkg.digest);
    for (const blob of [manifest.config as Descriptor, ...(manifest.layers as Descriptor[])]) {
      const bytes = readFileSync(join(dir, "blobs", "sha256", blob.digest.slice(7)));
      expect(`sha256:${sha256Hex(bytes)}`).toBe(blob.digest);
      expect(bytes.length).toBe(blob.size);
    }
    await expect(readLayoutManifest(dir, "nope")).rejects.toThrow(
      /no manifest tagged "nope" \(has: 2.0.1\)/,
    );
    await expect(readLayoutManifest(join(work, "missing"))).rejects.toThrow(
      /cannot read index.json/,
    );
  });

  it("writes the layout as a reproducible tar too", async () => {
    const pkg = await packageModule({ wasm });
    const a = await layoutTar(pkg);
    expect(sha256Hex(a)).toBe(sha256Hex(await layoutTar(await packageModule({ wasm }))));
    const names = tarEntries(a).map((e) => e.name);
    expect(names.slice(0, 2)).toEqual(["oci-layout", "index.json"]);
    expect(names).toContain(`blobs/sha256/${pkg.digest.slice(7)}`);
  });

  it("refuses what is not a module, an unknown format, a bad tag", async () => {
    await expect(
      packageModule({ wasm: new TextEncoder().encode("not wasm at all") }),
    ).rejects.toThrow(/wasm: not a WebAssembly module/);
    await expect(packageModule({ wasm, format: "zip" as never })).rejects.toThrow(
      /format: expected one of image, docker, artifact, got "zip"/,
    );
    await expect(packageModule({ wasm, tag: "-bad tag" })).rejects.toThrow(
      /tag: "-bad tag" is not a valid OCI tag/,
    );
  });
});

describe("parseReference", () => {
  it("splits registry/repository:tag, with or without oci://", () => {
    expect(parseReference("localhost:5000/filters/hello:1.0")).toEqual({
      repository: "localhost:5000/filters/hello",
      tag: "1.0",
    });
    expect(parseReference("oci://registry.example.com/a/b")).toEqual({
      repository: "registry.example.com/a/b",
    });
  });
  it("refuses a reference without a registry host or with upper case", () => {
    expect(() => parseReference("filters/hello:1")).toThrow(/must start with a registry host/);
    expect(() => parseReference("registry.example.com/Hello")).toThrow(
      /is not registry\/repository\[:tag\]/,
    );
  });
});
