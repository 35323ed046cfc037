// The packaged image's blobs compared whole (config, descriptors, index), the module check byte
// by byte, and the layout folder: what a rewrite replaces and keeps, what reading it back names.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Descriptor,
  layoutFiles,
  MEDIA,
  packageModule,
  readLayoutManifest,
  reproducibleGzip,
  sha256Hex,
  singleFileTar,
  writeLayout,
} from "../../src/ship/oci.ts";

const work = mkdtempSync(join(tmpdir(), "meshwasm-oci-layout-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A valid module: the magic and version, then a custom section carrying `payload`. */
function module(payload: string): Uint8Array {
  const name = new TextEncoder().encode(payload);
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, name.length + 1, 0, ...name]);
}

const text = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

describe("packageModule's blobs", () => {
  it("image: the wasm platform's config, naming the layer's uncompressed digest; plain descriptors", async () => {
    const wasm = module("config");
    const pkg = await packageModule({ wasm });
    const manifest = text(pkg.blobs.get(pkg.digest)?.bytes);
    const tar = await singleFileTar("plugin.wasm", wasm);
    expect(text(pkg.blobs.get(manifest.config.digest)?.bytes)).toStrictEqual({
      architecture: "wasm",
      os: "wasi",
      config: {},
      rootfs: { type: "layers", diff_ids: [`sha256:${sha256Hex(tar)}`] },
    });
    expect(Object.keys(manifest.layers[0]).sort()).toStrictEqual(["digest", "mediaType", "size"]);
    expect(pkg.manifest).toStrictEqual({
      mediaType: MEDIA.ociManifest,
      digest: pkg.digest,
      size: pkg.blobs.get(pkg.digest)?.bytes.length,
    });
  });

  it("artifact: the module layer titled plugin.wasm; no root ids given, an empty list", async () => {
    const pkg = await packageModule({ wasm: module("artifact"), format: "artifact" });
    const manifest = text(pkg.blobs.get(pkg.digest)?.bytes);
    expect(manifest.layers[1].annotations).toStrictEqual({
      "org.opencontainers.image.title": "plugin.wasm",
    });
    expect(Object.keys(manifest.config).sort()).toStrictEqual(["digest", "mediaType", "size"]);
    expect(text(pkg.blobs.get(manifest.config.digest)?.bytes).config).toStrictEqual({
      root_ids: [],
    });
  });

  it("takes exactly the \\0asm magic in the first four of at least eight bytes", async () => {
    const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    await expect(packageModule({ wasm: new Uint8Array(header) })).resolves.toBeDefined();
    const refused = [header.slice(0, 7)];
    for (let i = 0; i < 4; i++) refused.push(header.map((b, j) => (j === i ? b ^ 1 : b)));
    for (const bytes of refused) {
      await expect(packageModule({ wasm: new Uint8Array(bytes) })).rejects.toThrow(
        "wasm: not a WebAssembly module (it does not start with \\0asm)",
      );
    }
  });

  it("takes a tag of up to 128 characters, refuses anything after a valid start", async () => {
    const wasm = module("tags");
    await expect(packageModule({ wasm, tag: `v${"1".repeat(127)}` })).resolves.toBeDefined();
    for (const tag of [`v${"1".repeat(128)}`, "v1 ", "v1/x"]) {
      await expect(packageModule({ wasm, tag })).rejects.toThrow(
        `tag: "${tag}" is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})`,
      );
    }
  });
});

describe("reproducibleGzip", () => {
  it("writes a header of mtime 0, maximum compression and OS unknown (RFC 1952), and the bytes back", () => {
    const bytes = new TextEncoder().encode("plugin ".repeat(100));
    const gz = reproducibleGzip(bytes);
    // ID1 ID2 CM FLG, MTIME (4 bytes), XFL 2 = the slowest, best compression, OS 255.
    expect([...gz.subarray(0, 10)]).toStrictEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);
    expect(gunzipSync(gz)).toStrictEqual(Buffer.from(bytes));
  });
});

describe("the layout", () => {
  it("index.json names the manifest by tag; blobs follow in digest order", async () => {
    const pkg = await packageModule({ wasm: module("index"), tag: "1.0.0" });
    const files = layoutFiles(pkg);
    expect(text(files.get("index.json"))).toStrictEqual({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        { ...pkg.manifest, annotations: { "org.opencontainers.image.ref.name": "1.0.0" } },
      ],
    });
    const blobs = [...pkg.blobs.keys()].map((d) => `blobs/sha256/${d.slice("sha256:".length)}`);
    expect([...files.keys()]).toStrictEqual(["oci-layout", "index.json", ...blobs.sort()]);
  });

  it("a rewrite replaces the blobs and keeps other files in the folder", async () => {
    const dir = join(work, "rewritten");
    const first = await packageModule({ wasm: module("first") });
    const second = await packageModule({ wasm: module("second") });
    await writeLayout(first, dir);
    writeFileSync(join(dir, "NOTES"), "kept\n");
    await writeLayout(second, dir);
    expect(readdirSync(join(dir, "blobs", "sha256")).sort()).toStrictEqual(
      [...second.blobs.keys()].map((d) => d.slice("sha256:".length)).sort(),
    );
    expect(existsSync(join(dir, "NOTES"))).toBe(true);
    expect((await readLayoutManifest(dir)).descriptor.digest).toBe(second.digest);
  });

  it("reading back: a tag is needed among several; what is there is named", async () => {
    const dir = join(work, "several");
    const one = await packageModule({ wasm: module("one"), tag: "1.0.0" });
    const two = await packageModule({ wasm: module("two"), tag: "2.0.0" });
    await writeLayout(one, dir);
    for (const [path, bytes] of layoutFiles(two)) {
      if (path.startsWith("blobs/")) writeFileSync(join(dir, path), bytes);
    }
    const untagged: Descriptor = { ...two.manifest };
    const index = (manifests: Descriptor[]) =>
      writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
    const tagged = text(layoutFiles(two).get("index.json")).manifests[0];
    index([...text(readFileSync(join(dir, "index.json"))).manifests, tagged]);
    await expect(readLayoutManifest(dir)).rejects.toThrow(
      `layout ${dir}: no manifest tagged "" (has: 1.0.0, 2.0.0)`,
    );
    expect((await readLayoutManifest(dir, "2.0.0")).descriptor.digest).toBe(two.digest);
    index([one.manifest, untagged]);
    await expect(readLayoutManifest(dir, "3.0.0")).rejects.toThrow(
      `layout ${dir}: no manifest tagged "3.0.0" (has: (untagged), (untagged))`,
    );
    index([{ ...one.manifest, annotations: { "org.opencontainers.image.ref.name": "1.0.0" } }]);
    expect((await readLayoutManifest(dir, "1.0.0")).descriptor.digest).toBe(one.digest);
    writeFileSync(join(dir, "index.json"), "{}");
    await expect(readLayoutManifest(dir, "1.0.0")).rejects.toThrow(
      `layout ${dir}: no manifest tagged "1.0.0" (has: none)`,
    );
    index([]);
    await expect(readLayoutManifest(dir, "1.0.0")).rejects.toThrow(
      `layout ${dir}: no manifest tagged "1.0.0" (has: none)`,
    );
    index([untagged]);
    expect((await readLayoutManifest(dir)).descriptor).toStrictEqual(two.manifest);
  });
});
