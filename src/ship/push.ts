/**
 * Pushes an OCI image layout written by `meshwasm package` to any OCI registry, by running
 * skopeo (Debian's `skopeo` package; `scripts/setup-ship.sh` installs it). skopeo brings what a
 * registry client needs and we would otherwise rewrite: the token flow, Docker credential files
 * and helpers, TLS settings, retries.
 *
 * The layout's manifest and blobs are staged as skopeo's `dir:` transport (manifest.json plus
 * blobs named by digest) because its `oci:` transport only reads OCI manifests and would refuse
 * the Docker format; `--preserve-digests` makes the registry hold the very bytes `package`
 * hashed, so the digest it printed is the one the registry serves.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Descriptor, readLayoutManifest } from "./oci.ts";

const run = promisify(execFile);

/** The registry refused or failed the push (the input was fine). */
export class PushError extends Error {}
/** skopeo is not installed. */
export class MissingToolError extends Error {}

export interface PushOptions {
  /** The OCI image layout directory (`meshwasm package --out`). */
  layout: string;
  /** `registry/repository[:tag]`, optionally prefixed `oci://`; the tag defaults to the layout's. */
  reference: string;
  /** The layout's tag to push when it holds several. */
  tag?: string;
  /** Allow plain HTTP and unverified TLS (a registry on localhost). */
  insecure?: boolean;
  /** `user:password` for the registry; otherwise skopeo's usual credential files are read. */
  credentials?: string;
  /** skopeo binary; default `skopeo` on PATH. */
  skopeo?: string;
}

export interface PushResult {
  /** The reference pushed, without the oci:// prefix, tag included. */
  reference: string;
  /** `sha256:<hex>` the registry now serves for it. */
  digest: string;
}

const REFERENCE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?$/;

/** Parses `registry/repository[:tag]`: the registry part must be a host (a dot, a port or localhost). */
export function parseReference(raw: string): { repository: string; tag?: string } {
  const ref = raw.startsWith("oci://") ? raw.slice("oci://".length) : raw;
  if (!REFERENCE.test(ref)) {
    throw new Error(
      `reference: "${raw}" is not registry/repository[:tag] (lower-case repository, e.g. ghcr.io/acme/filters/hello:1.0)`,
    );
  }
  const host = ref.slice(0, ref.indexOf("/"));
  if (!host.includes(".") && !host.includes(":") && host !== "localhost") {
    throw new Error(
      `reference: "${raw}" must start with a registry host (e.g. ghcr.io/…, localhost:5000/…)`,
    );
  }
  const lastSlash = ref.lastIndexOf("/");
  const colon = ref.indexOf(":", lastSlash);
  // Stryker disable next-line EqualityOperator: equivalent, `colon <= 0`: the search starts at a slash, so a colon found is never at 0
  return colon < 0
    ? { repository: ref }
    : { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/**
 * Pushes the layout's manifest and blobs; resolves to the digest the registry serves.
 *
 * @example await pushLayout({ layout: "build/oci/hello", reference: "localhost:5000/hello:1.0", insecure: true });
 */
export async function pushLayout(opts: PushOptions): Promise<PushResult> {
  const { descriptor, manifest } = await readLayoutManifest(opts.layout, opts.tag);
  const parsed = parseReference(opts.reference);
  const tag =
    parsed.tag ?? descriptor.annotations?.["org.opencontainers.image.ref.name"] ?? "latest";
  const reference = `${parsed.repository}:${tag}`;

  // Stryker disable next-line StringLiteral: equivalent, the prefix only names the temporary folder
  const stage = await mkdtemp(join(tmpdir(), "meshwasm-push-"));
  try {
    const blobPath = (d: Descriptor) =>
      join(opts.layout, "blobs", "sha256", d.digest.slice("sha256:".length));
    await copyFile(blobPath(descriptor), join(stage, "manifest.json"));
    const referenced = [
      manifest.config as Descriptor,
      ...((manifest.layers as Descriptor[]) ?? []),
    ];
    for (const blob of referenced) {
      await copyFile(blobPath(blob), join(stage, blob.digest.slice("sha256:".length)));
    }
    await writeFile(join(stage, "version"), "Directory Transport Version: 1.1\n");
    const digestFile = join(stage, "pushed-digest");
    const args = ["copy", "--quiet", "--preserve-digests", "--digestfile", digestFile];
    if (opts.insecure) args.push("--dest-tls-verify=false");
    if (opts.credentials !== undefined) args.push("--dest-creds", opts.credentials);
    args.push(`dir:${stage}`, `docker://${reference}`);
    try {
      // Stryker disable next-line ObjectLiteral: equivalent for the tests, no push they make nears five minutes
      await run(opts.skopeo ?? "skopeo", args, { timeout: 300_000 });
    } catch (err) {
      const e = err as { code?: string; stderr?: string; message: string };
      if (e.code === "ENOENT") {
        throw new MissingToolError(
          "push: skopeo is not installed (Debian/Ubuntu: apt-get install skopeo)",
        );
      }
      throw new PushError(`push to ${reference} failed: ${(e.stderr ?? e.message).trim()}`);
    }
    const digest = (await readFile(digestFile, "utf8")).trim();
    if (digest !== descriptor.digest) {
      throw new Error(
        `push to ${reference}: the registry reports ${digest}, the layout holds ${descriptor.digest}`,
      );
    }
    return { reference, digest };
  } finally {
    await rm(stage, {
      recursive: true,
      // Stryker disable next-line BooleanLiteral: equivalent, the stage always exists here (mkdtemp made it), so `force` never matters
      force: true,
    });
  }
}
