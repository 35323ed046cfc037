// `meshwasm push` for real: skopeo copies a packaged layout to a local registry (Debian's
// docker-registry on 127.0.0.1; `bash scripts/setup-ship.sh` installs both), and the registry
// is asked what it now serves. A few seconds each.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/errors.ts";
import {
  layoutFiles,
  MEDIA,
  type PackagedModule,
  packageModule,
  writeLayout,
} from "../../src/ship/oci.ts";
import { filterModule } from "../check/wasm-builder.ts";
import { type LocalRegistry, startRegistry } from "../ship/registry.ts";
import { cli } from "./helpers.ts";

const work = mkdtempSync(join(tmpdir(), "meshwasm-cli-push-"));
// The registry that asks for a login accepts tester:s3cret (bcrypt, cost 4).
const LOGIN = "tester:s3cret";
const HTPASSWD = "tester:$2b$04$wz7xtW87Cy9kbl7CXY6QMePa0QN41YHVbP4FBdRns9xae/dQhlWXy\n";
let open: LocalRegistry;
let locked: LocalRegistry;
let image: PackagedModule;
let docker: PackagedModule;

beforeAll(async () => {
  execFileSync("bash", ["scripts/setup-ship.sh"], { timeout: 300_000 });
  const wasm = filterModule().build();
  image = await packageModule({ wasm, tag: "1.0.0" });
  docker = await packageModule({ wasm, format: "docker", tag: "2.0.0" });
  await writeLayout(image, join(work, "one-tag"));
  // Two tags in one layout: the docker package's blobs beside the image's, both in the index.
  await writeLayout(image, join(work, "two-tags"));
  const index = JSON.parse(readFileSync(join(work, "two-tags", "index.json"), "utf8"));
  for (const [path, bytes] of layoutFiles(docker)) {
    if (path === "index.json") {
      index.manifests.push(...JSON.parse(new TextDecoder().decode(bytes)).manifests);
    } else {
      writeFileSync(join(work, "two-tags", path), bytes);
    }
  }
  writeFileSync(join(work, "two-tags", "index.json"), JSON.stringify(index));
  open = await startRegistry();
  locked = await startRegistry({ htpasswd: HTPASSWD });
}, 360_000);

afterAll(async () => {
  await open?.stop();
  await locked?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The digest the registry serves for `repository:tag` (null when it has none). */
async function served(host: string, repository: string, tag: string): Promise<string | null> {
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      accept: `${MEDIA.ociManifest}, ${MEDIA.dockerManifest}`,
      authorization: `Basic ${Buffer.from(LOGIN).toString("base64")}`,
    },
  });
  return response.ok ? response.headers.get("docker-content-digest") : null;
}

describe("meshwasm push", () => {
  it("pushes a layout named relative to the working folder, under the layout's tag", async () => {
    const run = await cli(["push", "one-tag", `${open.host}/filters/tiny`, "--insecure"], {
      cwd: work,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toBe(`pushed ${open.host}/filters/tiny:1.0.0\ndigest ${image.digest}\n`);
    expect(await served(open.host, "filters/tiny", "1.0.0")).toBe(image.digest);
  });

  it("speaks TLS unless told --insecure, so a plain-HTTP registry refuses the push", async () => {
    const run = await cli(["push", "one-tag", `${open.host}/filters/tls:1.0.0`], { cwd: work });
    expect(run.code).toBe(ExitCode.Failed);
    expect(run.stderr).toMatch(/^error: push to 127\.0\.0\.1:\d+\/filters\/tls:1\.0\.0 failed: /);
    expect(run.stderr).toContain(
      "hint: check the reference, your registry login (skopeo login) and --insecure for plain HTTP\n",
    );
    expect(await served(open.host, "filters/tls", "1.0.0")).toBeNull();
  });

  it("logs in with --creds to a registry that asks for a login", async () => {
    const target = `${locked.host}/filters/tiny:dev`;
    const anonymous = await cli(["push", "one-tag", target, "--insecure"], { cwd: work });
    expect(anonymous.code).toBe(ExitCode.Failed);
    expect(await served(locked.host, "filters/tiny", "dev")).toBeNull();
    const run = await cli(["push", "one-tag", target, "--insecure", "--creds", LOGIN], {
      cwd: work,
    });
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toBe(`pushed ${target}\ndigest ${image.digest}\n`);
    expect(await served(locked.host, "filters/tiny", "dev")).toBe(image.digest);
  });

  it("pushes the --tag it is given from a layout with several, and names a missing one", async () => {
    const run = await cli(
      ["push", "two-tags", `${open.host}/filters/pick`, "--insecure", "--tag", "2.0.0"],
      { cwd: work },
    );
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toBe(`pushed ${open.host}/filters/pick:2.0.0\ndigest ${docker.digest}\n`);
    expect(await served(open.host, "filters/pick", "2.0.0")).toBe(docker.digest);
    const missing = await cli(
      ["push", "one-tag", `${open.host}/filters/pick`, "--insecure", "--tag", "2.0.0"],
      { cwd: work },
    );
    expect(missing.code).toBe(ExitCode.Usage);
    expect(missing.stderr).toContain('no manifest tagged "2.0.0" (has: 1.0.0)');
  });
});
