/**
 * meshwasm's user-level cache folder: `$MESHWASM_CACHE_DIR`, else `$XDG_CACHE_HOME/meshwasm`,
 * else `~/.cache/meshwasm`. The pinned Envoy lives in `<cache>/envoy-<version>/`.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** The folder meshwasm caches downloads in. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESHWASM_CACHE_DIR) return env.MESHWASM_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "meshwasm");
}

/** Where the Envoy of `version` lives once installed in the cache. */
export function cachedEnvoyPath(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `envoy-${version}`, "envoy", "_bin", "envoy");
}
