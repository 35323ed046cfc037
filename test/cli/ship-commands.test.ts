// The shipping commands as the CLI runs them: their errors as exit codes and hints, and what
// they print, on a hand-made module (no compile, no registry). Milliseconds each.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { shipAction, shipError } from "../../src/cli/commands/ship-action.ts";
import { CliError, ExitCode } from "../../src/cli/errors.ts";
import { MissingToolError, PushError } from "../../src/ship/push.ts";
import { filterModule } from "../check/wasm-builder.ts";
import { cli } from "./helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "meshwasm-cli-ship-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
mkdirSync(join(scratch, "mods"));
writeFileSync(join(scratch, "package.json"), '{"name":"ship"}');
writeFileSync(join(scratch, "mods", "tiny.wasm"), filterModule().build());

describe("shipError", () => {
  it("keeps a CliError, and gives each shipping error its exit code and hint", () => {
    const own = new CliError("mine", { exitCode: ExitCode.Environment });
    expect(shipError(own)).toBe(own);
    const missing = shipError(new MissingToolError("skopeo is not installed"));
    expect([missing.message, missing.exitCode, missing.hint]).toStrictEqual([
      "skopeo is not installed",
      ExitCode.Environment,
      "install skopeo, then push again",
    ]);
    const refused = shipError(new PushError("the registry said 401"));
    expect([refused.message, refused.exitCode, refused.hint]).toStrictEqual([
      "the registry said 401",
      ExitCode.Failed,
      "check the reference, your registry login (skopeo login) and --insecure for plain HTTP",
    ]);
    const input = shipError(new Error("--tag: bad"));
    expect([input.message, input.exitCode, input.hint]).toStrictEqual([
      "--tag: bad",
      ExitCode.Usage,
      "`meshwasm <command> --help` lists the options",
    ]);
  });

  it("passes a result through and turns a throw into a CliError", async () => {
    expect(await shipAction(async () => 7)).toBe(7);
    const error = await shipAction(async () => {
      throw new PushError("no");
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe("no");
  });
});

describe("meshwasm package, push, manifest, envoy-config", () => {
  it("packages a module file as an OCI layout and prints its digests", async () => {
    // A module path is taken as given (relative to the process's folder), so absolute here.
    const wasm = join(scratch, "mods", "tiny.wasm");
    const out = join(scratch, "layout");
    const run = await cli(["package", wasm, "--out", out, "--tag", "1.0.0"], { cwd: scratch });
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toMatch(/sha256:[0-9a-f]{64}/);
    const index = JSON.parse(readFileSync(join(scratch, "layout", "index.json"), "utf8"));
    expect(JSON.stringify(index)).toContain("1.0.0");
  });

  it("exits 2 naming a bad value, with the hint to the options", async () => {
    const run = await cli(["package", "mods/none.wasm"], { cwd: scratch });
    expect(run.code).toBe(ExitCode.Usage);
    expect(run.stderr).toMatch(/^error: .*none\.wasm/);
    expect(run.stderr).toContain("hint: `meshwasm <command> --help` lists the options\n");
    const manifest = await cli(["manifest", "tiny"], { cwd: scratch });
    expect(manifest.code).toBe(ExitCode.Usage);
    expect(manifest.stderr).toContain(
      "error: --image is required (registry/repository:tag or an http(s) URL)\n",
    );
    const unnamed = await cli(["manifest", "--image", "r.example/x:1"], { cwd: scratch });
    expect(unnamed.code).toBe(ExitCode.Usage);
    expect(unnamed.stderr).toBe(
      "error: manifest: name a filter\nhint: e.g. meshwasm manifest hello --image …\n",
    );
    const config = await cli(["envoy-config"], { cwd: scratch });
    expect(config.code).toBe(ExitCode.Usage);
    expect(config.stderr).toContain("error: expected one or more filter names\n");
  });

  it("pushes from the layout folder relative to the working folder", async () => {
    const run = await cli(["push", "no-layout", "localhost:1/x:dev", "--insecure"], {
      cwd: scratch,
      env: { PATH: "" },
    });
    expect(run.code).not.toBe(ExitCode.Ok);
    expect(run.stderr).toMatch(/^error: /);
  });

  it("takes the paths typed from the folder it runs in, below the project's root", async () => {
    // A filter of the project, built, and a folder inside the project to run from.
    mkdirSync(join(scratch, "filters", "tiny", "assembly"), { recursive: true });
    writeFileSync(join(scratch, "filters", "tiny", "assembly", "index.ts"), "// not compiled\n");
    mkdirSync(join(scratch, "build"), { recursive: true });
    writeFileSync(join(scratch, "build", "tiny.wasm"), filterModule().build());
    const here = join(scratch, "deep", "here");
    mkdirSync(here, { recursive: true });
    writeFileSync(join(here, "conf.json"), '{"mark":"from-here"}');

    const packed = await cli(["package", "../../mods/tiny.wasm", "--out", "layout"], { cwd: here });
    expect(packed.code).toBe(ExitCode.Ok);
    expect(packed.stdout.split("\n")[0]).toBe(`${join(here, "layout")} (image, tag latest)`);
    const manifest = await cli(
      [
        "manifest",
        "tiny",
        "--image",
        "r.example/x:1",
        "--layout",
        "layout",
        "--config",
        "conf.json",
      ],
      { cwd: here },
    );
    expect(manifest.code).toBe(ExitCode.Ok);
    expect(manifest.stdout).toContain("from-here");
    const config = await cli(["envoy-config", "tiny", "--config", "conf.json"], { cwd: here });
    expect(config.code).toBe(ExitCode.Ok);
    expect(config.stdout).toContain("from-here");
  });
});
