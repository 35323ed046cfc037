/**
 * Packages a compiled proxy-wasm module as an OCI image layout, without Docker.
 *
 * Three formats, the three that Istio's and Envoy Gateway's image fetchers read (tried by them in
 * this order):
 *
 *   docker    Docker schema 2 manifest; its one layer (`…rootfs.diff.tar.gzip`) is a tar.gz
 *             holding `plugin.wasm`. Any registry and any Docker tool take it.
 *   image     the same as an OCI image (`…oci.image.layer.v1.tar+gzip` layer, annotated
 *             `module.wasm.image/variant: compat`). The default.
 *   artifact  the two-layer Wasm artifact: a runtime config layer
 *             (`application/vnd.module.wasm.config.v1+json`) and the raw module
 *             (`application/vnd.module.wasm.content.layer.v1+wasm`), uncompressed.
 *
 * Reproducible: every byte is a function of the module, the format and the root ids (tar entries
 * carry mtime 0 and no owner names, gzip carries mtime 0 and OS "unknown", JSON keys come in a
 * fixed order), so packaging the same module twice gives the same digest.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";

export type PackageFormat = "docker" | "image" | "artifact";
export const PACKAGE_FORMATS: readonly PackageFormat[] = ["image", "docker", "artifact"];

export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerTarGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerTarGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  wasmConfig: "application/vnd.module.wasm.config.v1+json",
  wasmContent: "application/vnd.module.wasm.content.layer.v1+wasm",
} as const;

/** The file name the compat formats' layer must hold (Istio and Envoy Gateway look for it). */
export const PLUGIN_FILE = "plugin.wasm";

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Blob {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

export interface PackageOptions {
  /** The compiled module. */
  wasm: Uint8Array;
  format?: PackageFormat;
  /** The tag recorded in the layout's index (`org.opencontainers.image.ref.name`). Default "latest". */
  tag?: string;
  /** Root ids the module serves, recorded in the artifact's runtime config. */
  rootIds?: string[];
}

export interface PackagedModule {
  format: PackageFormat;
  tag: string;
  /** `sha256:<hex>` of the manifest: what a registry reports and what `@sha256:` pins. */
  digest: string;
  /** Hex sha256 of the module itself: what Envoy's `remote.sha256` and an http(s) URL pin. */
  moduleSha256: string;
  manifest: Descriptor;
  /** Every blob, manifest included, keyed by digest. */
  blobs: Map<string, Blob>;
}

const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function blobOf(mediaType: string, bytes: Uint8Array, annotations?: Record<string, string>): Blob {
  const descriptor: Descriptor = {
    mediaType,
    digest: `sha256:${sha256Hex(bytes)}`,
    size: bytes.length,
  };
  if (annotations) descriptor.annotations = annotations;
  return { descriptor, bytes };
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** A tar holding one regular file; mtime 0, root-owned, no user or group names. */
export function singleFileTar(name: string, content: Uint8Array): Promise<Uint8Array> {
  return tarOf([{ name, bytes: content }]);
}

/** A tar of regular files in the given order; every entry mtime 0, root-owned, no user names. */
async function tarOf(files: { name: string; bytes: Uint8Array }[]): Promise<Uint8Array> {
  const tar = pack();
  const chunks: Uint8Array[] = [];
  tar.on("data", (chunk: unknown) => chunks.push(chunk as Uint8Array));
  const done = new Promise<void>((resolve, reject) => {
    tar.on("end", resolve);
    // tar-stream's pack fails only for a size that differs from the header's, a body on a
    // non-file entry, or an entry after the end: none can happen below (files whose size is
    // their bytes', all added before the one finalize).
    // Stryker disable next-line StringLiteral: equivalent, the listener never fires (above)
    tar.on("error", reject);
  });
  for (const { name, bytes } of files) {
    const header = { name, size: bytes.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 };
    tar.entry({ ...header, type: "file" }, Buffer.from(bytes));
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** gzip with a fixed header: mtime 0 (zlib's default) and OS byte 255 ("unknown") on every platform. */
export function reproducibleGzip(bytes: Uint8Array): Uint8Array {
  const out = gzipSync(bytes, { level: 9 });
  out[9] = 0xff;
  return out;
}

/**
 * Packages a module in memory; `writeLayout` or `layoutTar` store the result.
 *
 * @example const pkg = await packageModule({ wasm: await readFile("build/hello.wasm") });
 */
export async function packageModule(opts: PackageOptions): Promise<PackagedModule> {
  const format = opts.format ?? "image";
  if (!PACKAGE_FORMATS.includes(format)) {
    throw new Error(`format: expected one of ${PACKAGE_FORMATS.join(", ")}, got "${format}"`);
  }
  const tag = opts.tag ?? "latest";
  if (!TAG_PATTERN.test(tag)) {
    throw new Error(`tag: "${tag}" is not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
  }
  if (!isWasm(opts.wasm)) {
    throw new Error("wasm: not a WebAssembly module (it does not start with \\0asm)");
  }
  const blobs = new Map<string, Blob>();
  const add = (blob: Blob) => {
    blobs.set(blob.descriptor.digest, blob);
    return blob.descriptor;
  };

  let manifest: Record<string, unknown>;
  let manifestType: string;
  if (format === "artifact") {
    const runtimeConfig = json({
      type: "envoy_proxy",
      abi_version: "v0.2.1",
      config: { root_ids: opts.rootIds ?? [] },
    });
    const config = add(blobOf(MEDIA.wasmConfig, runtimeConfig));
    const content = add(
      blobOf(MEDIA.wasmContent, opts.wasm, { "org.opencontainers.image.title": PLUGIN_FILE }),
    );
    manifestType = MEDIA.ociManifest;
    manifest = { schemaVersion: 2, mediaType: manifestType, config, layers: [config, content] };
  } else {
    const tar = await singleFileTar(PLUGIN_FILE, opts.wasm);
    const docker = format === "docker";
    const layer = add(
      blobOf(docker ? MEDIA.dockerLayerTarGzip : MEDIA.ociLayerTarGzip, reproducibleGzip(tar)),
    );
    // Docker's wasm platform (os "wasi", architecture "wasm"): the module runs on any host.
    const imageConfig = json({
      architecture: "wasm",
      os: "wasi",
      config: {},
      rootfs: { type: "layers", diff_ids: [`sha256:${sha256Hex(tar)}`] },
    });
    const config = add(blobOf(docker ? MEDIA.dockerConfig : MEDIA.ociConfig, imageConfig));
    manifestType = docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
    manifest = { schemaVersion: 2, mediaType: manifestType, config, layers: [layer] };
    if (!docker) manifest.annotations = { "module.wasm.image/variant": "compat" };
  }
  const manifestDescriptor = add(blobOf(manifestType, json(manifest)));
  return {
    format,
    tag,
    digest: manifestDescriptor.digest,
    moduleSha256: sha256Hex(opts.wasm),
    manifest: manifestDescriptor,
    blobs,
  };
}

/** True when the bytes start with the WebAssembly magic number `\0asm`. */
function isWasm(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 &&
    bytes[0] === 0 &&
    bytes[1] === 0x61 &&
    bytes[2] === 0x73 &&
    bytes[3] === 0x6d
  );
}

const REF_NAME = "org.opencontainers.image.ref.name";

/** The files of an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/*`), path → bytes. */
export function layoutFiles(pkg: PackagedModule): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  files.set("oci-layout", json({ imageLayoutVersion: "1.0.0" }));
  const entry: Descriptor = { ...pkg.manifest, annotations: { [REF_NAME]: pkg.tag } };
  files.set(
    "index.json",
    json({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [entry] }),
  );
  const digests = [...pkg.blobs.keys()].sort();
  for (const digest of digests) {
    const blob = pkg.blobs.get(digest) as Blob;
    files.set(`blobs/sha256/${digest.slice("sha256:".length)}`, blob.bytes);
  }
  return files;
}

/** Writes the layout into `dir` (replacing an earlier layout there). */
export async function writeLayout(pkg: PackagedModule, dir: string): Promise<void> {
  await rm(join(dir, "blobs"), { recursive: true, force: true });
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  for (const [path, bytes] of layoutFiles(pkg)) await writeFile(join(dir, path), bytes);
}

/** The layout as one tar (an OCI archive, what `skopeo`'s oci-archive transport reads). */
export function layoutTar(pkg: PackagedModule): Promise<Uint8Array> {
  return tarOf([...layoutFiles(pkg)].map(([name, bytes]) => ({ name, bytes })));
}

/** Reads back the manifest a layout's index.json names for `tag` (or its only manifest). */
export async function readLayoutManifest(
  dir: string,
  tag?: string,
): Promise<{ descriptor: Descriptor; manifest: Record<string, unknown> }> {
  let index: { manifests?: Descriptor[] };
  try {
    // Stryker disable next-line StringLiteral: equivalent, without an encoding readFile gives a Buffer, which JSON.parse reads as UTF-8 text all the same
    index = JSON.parse(await readFile(join(dir, "index.json"), "utf8"));
  } catch (err) {
    throw new Error(`layout ${dir}: cannot read index.json (${(err as Error).message})`);
  }
  const manifests = index.manifests ?? [];
  const found =
    tag === undefined && manifests.length === 1
      ? manifests[0]
      : manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  if (!found) {
    const tags = manifests.map((m) => m.annotations?.[REF_NAME] ?? "(untagged)").join(", ");
    throw new Error(`layout ${dir}: no manifest tagged "${tag ?? ""}" (has: ${tags || "none"})`);
  }
  const path = join(dir, "blobs", "sha256", found.digest.slice("sha256:".length));
  const manifest = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  return { descriptor: found, manifest };
}
