/**
 * Files in envoy/ that the CLI writes and a test keeps current:
 *
 *   envoy/istio/<filter>.yaml     a TrafficExtension and a WasmPlugin per filter
 *   envoy/gateway/<filter>.yaml   an EnvoyExtensionPolicy per filter
 *   envoy/compose/envoy.yaml      the compose harness's Envoy: the runner's bootstrap, with the
 *                                 modules at /etc/envoy/modules and the echo service upstream
 *
 * The manifests pin the digest of `build/<filter>.wasm` packaged in the default format, so
 * they change when a module does; `currentDiffers` compares them with that value masked.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildBootstrap } from "../envoy/config.ts";
import { filterOptions } from "./envoy-config.ts";
import { listFilters, loadFilter } from "./filters.ts";
import {
  envoyExtensionPolicy,
  gatewayDefaults,
  type ManifestInput,
  parseTargetRef,
  toYaml,
  trafficExtension,
  wasmPlugin,
} from "./manifests.ts";
import { packageModule } from "./oci.ts";

/** The image the examples name: a registry of the user's, the filter as its repository. */
export const EXAMPLE_REGISTRY = "registry.example.com/meshwasm";
export const EXAMPLE_TAG = "0.1.0";
/** Where the compose harness mounts build/. */
export const COMPOSE_MODULES = "/etc/envoy/modules";
/** The filters the compose harness runs unless told otherwise. */
export const COMPOSE_FILTERS = ["hello"];

function k8sName(filter: string): string {
  return filter.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

async function exampleInput(root: string, name: string): Promise<ManifestInput> {
  const filter = loadFilter(name, root);
  if (!existsSync(filter.wasmPath)) {
    throw new Error(`filter "${name}": ${filter.wasmPath} is missing (run npm run build first)`);
  }
  const pkg = await packageModule({
    wasm: readFileSync(filter.wasmPath),
    // Stryker disable next-line ArrayDeclaration: equivalent, the default (image) format carries no root ids, so the digest is the same without them
    rootIds: [filter.defaults.rootId],
  });
  const { configuration } = filterOptions(filter); // validates against schema.json
  const input: ManifestInput = {
    name: k8sName(name),
    namespace: "default",
    source: `${EXAMPLE_REGISTRY}/${k8sName(name)}:${EXAMPLE_TAG}`,
    sha256: pkg.digest.slice("sha256:".length),
    rootId: filter.defaults.rootId,
    failurePolicy: filter.defaults.failurePolicy,
  };
  // Stryker disable next-line ConditionalExpression: equivalent, `true` sets configuration: undefined, which every builder skips as it skips a missing one; `false`, which the tests kill, goes with it
  if (configuration !== undefined) input.configuration = configuration;
  return input;
}

function header(name: string, command: string, what: string): string {
  return [
    `${what} for ${name}, written by \`${command}\`.`,
    `sha256 is the digest of build/${name}.wasm packaged with \`meshwasm package ${name}\`; push that image,`,
    "or regenerate with your own --image after `meshwasm push`. Edit the selector/targetRefs for your workloads.",
  ].join("\n");
}

/** envoy/istio/*.yaml and envoy/gateway/*.yaml for every filter, path → content. */
export async function exampleManifests(root = process.cwd()): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of listFilters(root)) {
    const input = await exampleInput(root, name);
    const istio = [
      trafficExtension({ ...input, selector: { app: "backend" } }),
      wasmPlugin({ ...input, selector: { app: "backend" } }),
    ];
    files.set(
      join("envoy", "istio", `${name}.yaml`),
      toYaml(
        istio,
        header(
          name,
          "meshwasm manifest --examples",
          "Istio TrafficExtension (1.30+) and WasmPlugin",
        ),
      ),
    );
    const gateway = [
      envoyExtensionPolicy({
        ...gatewayDefaults(input),
        targetRefs: [parseTargetRef("Gateway/eg")],
      }),
    ];
    const note =
      input.failurePolicy === "FAIL_RELOAD"
        ? `\nThe filter runs FAIL_RELOAD; Envoy Gateway has only failOpen, so it runs closed here (failOpen: false).`
        : "";
    files.set(
      join("envoy", "gateway", `${name}.yaml`),
      toYaml(
        gateway,
        header(name, "meshwasm manifest --examples", "Envoy Gateway EnvoyExtensionPolicy") + note,
      ),
    );
  }
  return files;
}

/** The compose harness's Envoy config for the given filters (default: `COMPOSE_FILTERS`). */
export function composeEnvoyConfig(filters = COMPOSE_FILTERS, root = process.cwd()): string {
  const wasmFilters = filters.map((name) =>
    filterOptions(loadFilter(name, root), { path: `${COMPOSE_MODULES}/${name}.wasm` }),
  );
  const bootstrap = buildBootstrap({
    wasmFilters,
    upstream: { kind: "cluster", host: "echo", port: 8080 },
    listenerPort: 10000,
    adminPort: 9901,
    bindAddress: "0.0.0.0",
  });
  const head = [
    "# The docker-compose harness's Envoy, written by `meshwasm envoy-config --compose " +
      filters.join(" ") +
      "`",
    "# from the same bootstrap builder the native tests run (src/envoy/config.ts). Do not edit by hand.",
    "",
  ].join("\n");
  return head + stringify(bootstrap, { lineWidth: 0 });
}

/** Every generated file under envoy/, path → content. */
export async function generatedFiles(root = process.cwd()): Promise<Map<string, string>> {
  const files = await exampleManifests(root);
  files.set(join("envoy", "compose", "envoy.yaml"), composeEnvoyConfig(COMPOSE_FILTERS, root));
  return files;
}

/** Masks the digests, which follow every change of a module, for "is this file current" checks. */
export function maskDigests(text: string): string {
  return text.replace(/\b[a-f0-9]{64}\b/g, "<sha256>");
}
