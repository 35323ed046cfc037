/**
 * Finds the Envoy binary the project runs against and reports its version.
 *
 * The pinned version lives in one place, `envoy/ENVOY_VERSION`. `meshwasm envoy setup`
 * (`installEnvoy` in install.ts) puts that version into the user-level cache
 * (`~/.cache/meshwasm/envoy-<version>/` by default); `ENVOY_BIN` overrides it.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cachedEnvoyPath } from "./cache.ts";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The Envoy version the project pins, e.g. `"1.40.0"`, read from `envoy/ENVOY_VERSION`.
 *
 * @example pinnedEnvoyVersion() // "1.40.0"
 */
export function pinnedEnvoyVersion(): string {
  return readFileSync(`${projectRoot}envoy/ENVOY_VERSION`, "utf8").trim();
}

/** The command that installs Envoy, as the user would type it where this code runs. */
export function envoySetupCommand(): string {
  // Running from the TypeScript sources means this repository; installed packages run dist/.
  return import.meta.url.endsWith(".ts") ? "npm run setup:envoy" : "npx meshwasm envoy setup";
}

/**
 * Absolute path of the Envoy binary to run: `ENVOY_BIN` when set, else the pinned install in
 * the user-level cache. Throws an error naming the fix when the binary is missing or not
 * executable.
 *
 * @example spawn(envoyBinary(), ["--version"])
 */
export function envoyBinary(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.ENVOY_BIN;
  const path = fromEnv ? fromEnv : cachedEnvoyPath(pinnedEnvoyVersion(), env);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      fromEnv
        ? `Envoy binary not found: ENVOY_BIN=${fromEnv} is missing or not executable. ` +
            "Point ENVOY_BIN at an Envoy binary, or unset it to use the pinned Envoy."
        : `Envoy binary not found: the pinned Envoy ${pinnedEnvoyVersion()} is not installed at ${path}. ` +
            `Run \`${envoySetupCommand()}\` to install it (or point ENVOY_BIN at an Envoy binary).`,
    );
  }
  return path;
}

const versionCache = new Map<string, string>();

/**
 * Version of the binary `envoyBinary()` returns, e.g. `"1.40.0"`, parsed from `--version`
 * (`... version: <sha>/1.40.0/Clean/RELEASE/BoringSSL`). Cached per binary path.
 *
 * @example if (envoyVersion() !== pinnedEnvoyVersion()) console.warn("unpinned Envoy")
 */
export function envoyVersion(env: NodeJS.ProcessEnv = process.env): string {
  const binary = envoyBinary(env);
  const cached = versionCache.get(binary);
  if (cached) return cached;
  const run = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
  const match = /version: [0-9a-f]+\/(\d+\.\d+\.\d+[^/\s]*)\//.exec(output);
  if (run.status !== 0 || !match?.[1]) {
    throw new Error(
      `Could not read the version of ${binary} (exit ${run.status}): ${output.trim() || run.error}`,
    );
  }
  versionCache.set(binary, match[1]);
  return match[1];
}
