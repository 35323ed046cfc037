// `meshwasm envoy setup|version` where the pinned Envoy is already in the cache (nothing is
// downloaded), with a cache folder that cannot be made, and with ENVOY_BIN naming a binary
// of another version (a script that answers --version as Envoy does). Milliseconds each.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/errors.ts";
import { pinnedEnvoyVersion } from "../../src/envoy/binary.ts";
import { cachedEnvoyPath } from "../../src/envoy/cache.ts";
import { cli } from "./helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "meshwasm-cli-envoy-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pinned = pinnedEnvoyVersion();
/** The environment without ENVOY_BIN: the pinned Envoy from the cache. */
const { ENVOY_BIN: _bin, ...withoutBin } = process.env;
const cached = cachedEnvoyPath(pinned, withoutBin);

const other = join(scratch, "envoy-1.2.3");
writeFileSync(other, "#!/bin/sh\necho 'envoy  version: 0123abcd/1.2.3/Clean/RELEASE/BoringSSL'\n");
chmodSync(other, 0o755);

describe("meshwasm envoy", () => {
  it("setup: the pinned Envoy already in the cache is ready, in text and JSON", async () => {
    const text = await cli(["envoy", "setup"], { env: { ...withoutBin, ENVOY_BIN: "" } });
    expect(text).toStrictEqual({
      code: ExitCode.Ok,
      stdout: `✔ Envoy ${pinned} ready: ${cached}\n`,
      stderr: "",
    });
    const json = await cli(["envoy", "setup", "--json"], { env: { ...withoutBin, ENVOY_BIN: "" } });
    expect(JSON.parse(json.stdout)).toStrictEqual({
      path: cached,
      version: pinned,
      pinned,
      source: "cache",
    });
  });

  it("setup: a cache folder that cannot be made is the environment's problem, with a hint", async () => {
    const run = await cli(["envoy", "setup"], {
      env: { ...withoutBin, ENVOY_BIN: "", MESHWASM_CACHE_DIR: join("/dev/null", "cache") },
    });
    expect(run.code).toBe(ExitCode.Environment);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error: \S.*\nhint: \S/);
  });

  it("version: the pinned Envoy from the cache, in text and JSON", async () => {
    const text = await cli(["envoy", "version"], { env: { ...withoutBin, ENVOY_BIN: "" } });
    expect(text).toStrictEqual({
      code: ExitCode.Ok,
      stdout: `Envoy ${pinned} (pinned) ${cached}\n`,
      stderr: "",
    });
    const json = await cli(["envoy", "version", "--json"], {
      env: { ...withoutBin, ENVOY_BIN: "" },
    });
    expect(JSON.parse(json.stdout)).toStrictEqual({
      path: cached,
      version: pinned,
      pinned,
      source: "cache",
    });
    const none = await cli(["envoy", "version"], {
      env: { ...withoutBin, ENVOY_BIN: "", MESHWASM_CACHE_DIR: scratch },
    });
    expect(none.code).toBe(ExitCode.Environment);
    expect(none.stderr).toMatch(/\nhint: install it with `meshwasm envoy setup`\n$/);
  });

  it("version and setup: an ENVOY_BIN of another version, with a warning", async () => {
    const text = await cli(["envoy", "version"], { env: { ...withoutBin, ENVOY_BIN: other } });
    expect(text).toStrictEqual({
      code: ExitCode.Ok,
      stdout: `Envoy 1.2.3 (ENVOY_BIN) ${other}\n`,
      stderr: `warning: meshwasm is tested with Envoy ${pinned}\n`,
    });
    const setup = await cli(["envoy", "setup", "--json"], {
      env: { ...withoutBin, ENVOY_BIN: other },
    });
    expect(JSON.parse(setup.stdout)).toStrictEqual({
      path: other,
      version: "1.2.3",
      pinned,
      source: "ENVOY_BIN",
    });
    const broken = await cli(["envoy", "setup"], {
      env: { ...withoutBin, ENVOY_BIN: join(scratch, "none") },
    });
    expect(broken.code).toBe(ExitCode.Environment);
    expect(broken.stderr).toMatch(
      /\nhint: point ENVOY_BIN at an Envoy binary with the V8 runtime, or unset it to use the pinned Envoy\n$/,
    );
  });
});
