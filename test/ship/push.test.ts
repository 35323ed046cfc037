// pushLayout and parseReference. What pushLayout hands skopeo (its arguments and the `dir:`
// folder it stages) is checked with a stand-in skopeo, a script that keeps both and answers as
// told, so these cases need no skopeo and take milliseconds; the last case pushes for real to a
// local docker-registry with skopeo (`bash scripts/setup-ship.sh`) and is skipped without them.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageModule, readLayoutManifest, writeLayout } from "../../src/ship/oci.ts";
import { MissingToolError, PushError, parseReference, pushLayout } from "../../src/ship/push.ts";
import { startRegistry } from "./registry.ts";

const work = mkdtempSync(join(tmpdir(), "meshwasm-push-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A valid module: the magic and version, then a custom section carrying `payload`. */
function module(payload: string): Uint8Array {
  const name = new TextEncoder().encode(payload);
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, name.length + 1, 0, ...name]);
}

let count = 0;
/**
 * A skopeo stand-in: keeps its arguments (one a line) and a copy of the folder after `dir:` in
 * `<record>/`, then writes `digest` to the --digestfile, or fails with `stderr` and exit 1.
 */
function standIn(answer: { digest?: string; stderr?: string }): { bin: string; record: string } {
  const record = join(work, `record-${++count}`);
  const bin = join(work, `skopeo-${count}`);
  const reply =
    answer.stderr === undefined
      ? `printf '%s' '${answer.digest}' > "$digestfile"`
      : `printf '%s' '${answer.stderr}' >&2; exit 1`;
  writeFileSync(
    bin,
    [
      "#!/usr/bin/env bash",
      `mkdir -p '${record}'`,
      `printf '%s\\n' "$@" > '${record}/args'`,
      'prev=""',
      'for a in "$@"; do',
      `  case "$a" in dir:*) cp -r "\${a#dir:}" '${record}/stage';; esac`,
      '  if [[ "$prev" == --digestfile ]]; then digestfile="$a"; fi',
      '  prev="$a"',
      "done",
      reply,
      "",
    ].join("\n"),
  );
  chmodSync(bin, 0o755);
  return { bin, record };
}

async function layout(name: string, format?: "docker", tag?: string) {
  const pkg = await packageModule({ wasm: module(name), format, tag });
  const dir = join(work, name);
  await writeLayout(pkg, dir);
  return { pkg, dir };
}

describe("pushLayout hands skopeo the layout as a dir: folder", () => {
  it("stages the manifest, its config and layers by hex digest, and a version file", async () => {
    const { pkg, dir } = await layout("staged", undefined, "1.2.0");
    const skopeo = standIn({ digest: pkg.digest });
    const result = await pushLayout({
      layout: dir,
      reference: "oci://localhost:5000/filters/staged",
      skopeo: skopeo.bin,
    });
    expect(result).toStrictEqual({
      reference: "localhost:5000/filters/staged:1.2.0",
      digest: pkg.digest,
    });
    const args = readFileSync(join(skopeo.record, "args"), "utf8").trim().split("\n");
    const stage = (args.at(-2) as string).slice("dir:".length);
    expect(args).toStrictEqual([
      "copy",
      "--quiet",
      "--preserve-digests",
      "--digestfile",
      join(stage, "pushed-digest"),
      `dir:${stage}`,
      "docker://localhost:5000/filters/staged:1.2.0",
    ]);
    const { manifest } = await readLayoutManifest(dir);
    const hex = (d: { digest: string }) => d.digest.slice("sha256:".length);
    const blobs = [manifest.config, ...(manifest.layers as object[])] as { digest: string }[];
    expect(readdirSync(join(skopeo.record, "stage")).sort()).toStrictEqual(
      ["manifest.json", "version", ...blobs.map(hex)].sort(),
    );
    const staged = (file: string) => readFileSync(join(skopeo.record, "stage", file));
    expect(staged("manifest.json")).toStrictEqual(
      readFileSync(join(dir, "blobs", "sha256", hex(pkg.manifest))),
    );
    for (const blob of blobs) {
      expect(staged(hex(blob))).toStrictEqual(
        readFileSync(join(dir, "blobs", "sha256", hex(blob))),
      );
    }
    expect(staged("version").toString()).toBe("Directory Transport Version: 1.1\n");
    expect(() => readdirSync(stage)).toThrow(/ENOENT/);
  });

  it("passes --dest-tls-verify=false when insecure and --dest-creds as given; a tag in the reference wins", async () => {
    const { pkg, dir } = await layout("flags", "docker", "2.0.0");
    const skopeo = standIn({ digest: `${pkg.digest}\n` });
    const result = await pushLayout({
      layout: dir,
      reference: "registry.example.com/flags:9.9",
      insecure: true,
      credentials: "",
      skopeo: skopeo.bin,
    });
    expect(result).toStrictEqual({
      reference: "registry.example.com/flags:9.9",
      digest: pkg.digest,
    });
    const args = readFileSync(join(skopeo.record, "args"), "utf8").trim().split("\n");
    expect(args.slice(5, 8)).toStrictEqual(["--dest-tls-verify=false", "--dest-creds", ""]);
    expect(args.at(-1)).toBe("docker://registry.example.com/flags:9.9");
  });

  it("tags latest a layout manifest that names no tag", async () => {
    const { pkg, dir } = await layout("untagged");
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    delete index.manifests[0].annotations;
    writeFileSync(join(dir, "index.json"), JSON.stringify(index));
    const skopeo = standIn({ digest: pkg.digest });
    const result = await pushLayout({
      layout: dir,
      reference: "localhost/untagged",
      skopeo: skopeo.bin,
    });
    expect(result.reference).toBe("localhost/untagged:latest");
  });

  it("names the reference and what skopeo said when the push fails", async () => {
    const { dir } = await layout("refused");
    const push = (skopeo: string) =>
      pushLayout({ layout: dir, reference: "localhost:5000/refused:1", skopeo });
    const failing = push(standIn({ stderr: "  unauthorized: login needed\n" }).bin);
    await expect(failing).rejects.toThrow(PushError);
    await expect(failing).rejects.toThrow(
      /^push to localhost:5000\/refused:1 failed: unauthorized: login needed$/,
    );
    const wrong = push(standIn({ digest: `sha256:${"0".repeat(64)}` }).bin);
    const { descriptor } = await readLayoutManifest(dir);
    await expect(wrong).rejects.toThrow(
      `push to localhost:5000/refused:1: the registry reports sha256:${"0".repeat(64)}, the layout holds ${descriptor.digest}`,
    );
    const missing = push(join(work, "no-such-skopeo"));
    await expect(missing).rejects.toThrow(MissingToolError);
    await expect(missing).rejects.toThrow(
      /^push: skopeo is not installed \(Debian\/Ubuntu: apt-get install skopeo\)$/,
    );
  });
});

describe("parseReference", () => {
  it("takes a host with a dot, a port or localhost, and repository parts joined by . _ -", () => {
    expect(parseReference("localhost/a")).toStrictEqual({ repository: "localhost/a" });
    expect(parseReference("registry:5000/a.b/c_d/e-fg:v1.0-rc_1")).toStrictEqual({
      repository: "registry:5000/a.b/c_d/e-fg",
      tag: "v1.0-rc_1",
    });
  });

  it("refuses a host without dot, port or localhost, and anything outside the pattern", () => {
    expect(() => parseReference("registry/a")).toThrow(
      'reference: "registry/a" must start with a registry host (e.g. ghcr.io/…, localhost:5000/…)',
    );
    for (const raw of ["X.example.com/a", "r.io/a/B", "r.io/a:-x", "r.io", "r.io/a b"]) {
      expect(() => parseReference(raw)).toThrow(
        `reference: "${raw}" is not registry/repository[:tag] (lower-case repository, e.g. ghcr.io/acme/filters/hello:1.0)`,
      );
    }
  });
});

const hasTools = ["skopeo", "docker-registry"].every((tool) => {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`]);
    return true;
  } catch {
    return false;
  }
});

describe.skipIf(!hasTools)("pushLayout with skopeo", () => {
  it("pushes to a local registry, which then serves the layout's digest", async () => {
    const { pkg, dir } = await layout("real", undefined, "3.0.0");
    const registry = await startRegistry();
    try {
      const result = await pushLayout({
        layout: dir,
        reference: `${registry.host}/filters/real`,
        insecure: true,
      });
      expect(result).toStrictEqual({
        reference: `${registry.host}/filters/real:3.0.0`,
        digest: pkg.digest,
      });
      const served = await fetch(`http://${registry.host}/v2/filters/real/manifests/3.0.0`, {
        method: "HEAD",
        headers: { accept: pkg.manifest.mediaType },
      });
      expect(served.headers.get("docker-content-digest")).toBe(pkg.digest);
    } finally {
      await registry.stop();
    }
  }, 60_000);
});
