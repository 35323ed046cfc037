/**
 * Finds the Envoy binary the project runs against and reports its version.
 *
 * The pinned version lives in one place, `envoy/ENVOY_VERSION`, read both here and by
 * `scripts/setup-envoy.sh`, which installs that version into `.envoy/pip-<version>/`.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The Envoy version the project pins, e.g. `"1.40.0"`, read from `envoy/ENVOY_VERSION`.
 *
 * @example pinnedEnvoyVersion() // "1.40.0"
 */
export function pinnedEnvoyVersion(): string {
  return readFileSync(`${projectRoot}envoy/ENVOY_VERSION`, "utf8").trim();
}

/** Where `npm run setup:envoy` puts the pinned binary. */
function localEnvoyPath(): string {
  return `${projectRoot}.envoy/pip-${pinnedEnvoyVersion()}/envoy/_bin/envoy`;
}

/**
 * Absolute path of the Envoy binary to run: `ENVOY_BIN` when set, else the project-local
 * pinned install. Throws an error naming the fix when the binary is missing or not executable.
 *
 * @example spawn(envoyBinary(), ["--version"])
 */
export function envoyBinary(): string {
  const fromEnv = process.env.ENVOY_BIN;
  const path = fromEnv ? fromEnv : localEnvoyPath();
  try {
    accessSync(path, constants.X_OK);
  } catch {
    const origin = fromEnv ? `ENVOY_BIN=${fromEnv}` : `the pinned Envoy ${pinnedEnvoyVersion()}`;
    throw new Error(
      `Envoy binary not found: ${origin} is missing or not executable at ${path}. ` +
        "Run `npm run setup:envoy` to install it (or point ENVOY_BIN at an Envoy binary).",
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
export function envoyVersion(): string {
  const binary = envoyBinary();
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
