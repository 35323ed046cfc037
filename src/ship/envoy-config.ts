/**
 * The Envoy side of shipping: the `envoy.filters.http.wasm` entries that run a filter, made by
 * the same generator (`wasmHttpFilter` in src/envoy/config.ts) the test runner and the
 * docker-compose harness use, so what a user pastes is what the tests ran.
 *
 *   local   vm_config.code.local.filename: a path on the proxy's file system
 *   remote  vm_config.code.remote: an http(s) URL Envoy fetches through a cluster, pinned by the
 *           module's sha256 (Envoy refuses a module whose sha256 differs)
 */
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { type WasmFilterOptions, wasmHttpFilter } from "../envoy/config.ts";
import type { FailurePolicy } from "../plugin.ts";
import { type FilterInfo, validateConfiguration } from "./filters.ts";
import { sha256Hex } from "./oci.ts";

export interface SnippetOptions {
  /** Absolute module path as the proxy sees it; default the filter's build/<name>.wasm. */
  path?: string;
  /** Fetch from this http(s) URL instead (its sha256 is computed from the built module). */
  url?: string;
  /** The cluster for `url`; default "wasm_modules". */
  cluster?: string;
  /** Configuration; default the one in the filter's envoy.yaml. Checked against schema.json. */
  configuration?: unknown;
  failurePolicy?: FailurePolicy;
}

/** The options for `wasmHttpFilter` that run `filter` the way its own envoy.yaml does. */
export function filterOptions(filter: FilterInfo, opts: SnippetOptions = {}): WasmFilterOptions {
  const configuration = opts.configuration ?? filter.defaults.configuration;
  validateConfiguration(filter, configuration);
  const options: WasmFilterOptions = {
    name: filter.name,
    rootId: filter.defaults.rootId,
    vmId: filter.name,
    failurePolicy: opts.failurePolicy ?? filter.defaults.failurePolicy,
  };
  // Stryker disable next-line ConditionalExpression: equivalent, `true` sets configuration: undefined, which wasmHttpFilter skips as it skips a missing one
  if (configuration !== undefined) options.configuration = configuration as object;
  if (opts.url !== undefined) {
    let module: Uint8Array;
    try {
      module = readFileSync(filter.wasmPath);
    } catch {
      throw new Error(
        `filter "${filter.name}": ${filter.wasmPath} is missing (run npm run build -- ${filter.name})`,
      );
    }
    options.remote = {
      uri: opts.url,
      cluster: opts.cluster ?? "wasm_modules",
      sha256: sha256Hex(module),
    };
  } else {
    options.wasmPath = opts.path ?? filter.wasmPath;
  }
  return options;
}

/** The `http_filters` entries for the filters, in order, as YAML (router not included). */
export function envoySnippet(filters: { filter: FilterInfo; options?: SnippetOptions }[]): string {
  const entries = filters.map(({ filter, options }) =>
    wasmHttpFilter(filterOptions(filter, options)),
  );
  const remote = filters.some(({ options }) => options?.url !== undefined);
  const note = remote
    ? "# The remote code needs a cluster (default name wasm_modules) that reaches the URL's host.\n"
    : "";
  return `${note}${stringify({ http_filters: entries }, { lineWidth: 0 })}`;
}
