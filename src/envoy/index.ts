/**
 * The real-Envoy layer: install check, bootstrap builder, process runner, echo upstream.
 *
 * @example
 * const echo = await startEchoUpstream();
 * const config = buildBootstrap({ upstream: { kind: "cluster", port: echo.port } });
 * await withEnvoy({ config }, async (envoy) => {
 *   const res = await envoy.request("/hello");
 * });
 */
export { envoyBinary, envoySetupCommand, envoyVersion, pinnedEnvoyVersion } from "./binary.ts";
export { cacheDir, cachedEnvoyPath } from "./cache.ts";
export {
  type BootstrapOptions,
  buildBootstrap,
  type ClusterOptions,
  type FailurePolicy,
  type HttpLimits,
  type PluginSettings,
  type RemoteWasmCode,
  type RouteNames,
  type StatsTag,
  staticCluster,
  type UpstreamOptions,
  WASM_RUNTIME_V8,
  type WasmFilterOptions,
  wasmHttpFilter,
} from "./config.ts";
export { EnvoyInstallError, type InstallResult, installEnvoy } from "./install.ts";
export {
  ENVOY_LOG_FORMAT,
  type EnvoyExit,
  type EnvoyProcess,
  EnvoyStartError,
  type StartEnvoyOptions,
  startEnvoy,
  withEnvoy,
} from "./runner.ts";
export {
  DROPPED_VALUE_LABELS,
  encodeLabelledName,
  histogramBucketSettings,
  labelStatsTagRegex,
  labelStatsTags,
} from "./stats-tags.ts";
export {
  type EchoRequest,
  type EchoRoute,
  type EchoUpstream,
  type EchoUpstreamOptions,
  startEchoUpstream,
} from "./upstream.ts";
