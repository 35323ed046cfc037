/**
 * The shipping subcommands of `meshwasm`: package, push, manifest, envoy-config. Each takes its
 * arguments (after the subcommand name) and returns what it prints; errors throw with a message
 * that names the flag and the value.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { FailurePolicy } from "../plugin.ts";
import { envoySnippet, type SnippetOptions } from "./envoy-config.ts";
import { FAILURE_POLICIES, type FilterInfo, loadFilter, validateConfiguration } from "./filters.ts";
import { COMPOSE_FILTERS, composeEnvoyConfig, generatedFiles } from "./generated.ts";
import {
  MANIFEST_BUILDERS,
  MANIFEST_KINDS,
  type ManifestInput,
  type ManifestKind,
  parseSelector,
  parseTargetRef,
  toYaml,
} from "./manifests.ts";
import {
  layoutTar,
  PACKAGE_FORMATS,
  type PackageFormat,
  packageModule,
  readLayoutManifest,
  sha256Hex,
  writeLayout,
} from "./oci.ts";
import { pushLayout } from "./push.ts";

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`--${flag}: expected one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

/** A filter name, or a path to a .wasm (then the file's base name names it). */
function moduleOf(
  arg: string,
  root: string,
): { name: string; wasm: Uint8Array; filter?: FilterInfo } {
  if (arg.endsWith(".wasm")) {
    if (!existsSync(arg)) throw new Error(`module: ${arg} does not exist`);
    return { name: basename(arg, ".wasm"), wasm: readFileSync(arg) };
  }
  const filter = loadFilter(arg, root);
  if (!existsSync(filter.wasmPath)) {
    throw new Error(`filter "${arg}": ${filter.wasmPath} is missing (run npm run build -- ${arg})`);
  }
  return { name: arg, wasm: readFileSync(filter.wasmPath), filter };
}

/** `meshwasm package <filter|file.wasm> [--format image|docker|artifact] [--out dir|file.tar] [--tag t]` */
export async function packageCommand(argv: string[], root = process.cwd()): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string", default: "image" },
      out: { type: "string" },
      tag: { type: "string" },
    },
  });
  if (positionals.length !== 1) throw new Error("package: expected one filter name or .wasm path");
  const format = oneOf<PackageFormat>("format", values.format as string, PACKAGE_FORMATS);
  const { name, wasm, filter } = moduleOf(positionals[0] as string, root);
  const opts: Parameters<typeof packageModule>[0] = {
    wasm,
    format,
    rootIds: [filter?.defaults.rootId ?? name],
  };
  if (values.tag !== undefined) opts.tag = values.tag;
  const pkg = await packageModule(opts);
  const out = resolve(root, values.out ?? join("build", "oci", `${name}-${format}`));
  if (out.endsWith(".tar")) {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, await layoutTar(pkg));
  } else {
    await writeLayout(pkg, out);
  }
  return [
    `${out} (${format}, tag ${pkg.tag})`,
    `digest        ${pkg.digest}`,
    `module sha256 ${pkg.moduleSha256}`,
  ].join("\n");
}

/** `meshwasm push <layout> <registry/repository[:tag]> [--insecure] [--creds user:pass] [--tag t]` */
export async function pushCommand(argv: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { insecure: { type: "boolean" }, creds: { type: "string" }, tag: { type: "string" } },
  });
  if (positionals.length !== 2)
    throw new Error("push: expected <layout dir> <registry/repository[:tag]>");
  const [layout, reference] = positionals as [string, string];
  const result = await pushLayout({
    layout,
    reference,
    ...(values.tag !== undefined ? { tag: values.tag } : {}),
    ...(values.insecure ? { insecure: true } : {}),
    ...(values.creds !== undefined ? { credentials: values.creds } : {}),
  });
  return `pushed ${result.reference}\ndigest ${result.digest}`;
}

function readConfiguration(values: { config?: string; "config-json"?: string }): unknown {
  if (values.config !== undefined && values["config-json"] !== undefined) {
    throw new Error("--config and --config-json: give one, not both");
  }
  const [flag, text] =
    values.config !== undefined
      ? ["config", readFileSync(values.config, "utf8")]
      : values["config-json"] !== undefined
        ? ["config-json", values["config-json"]]
        : [undefined, undefined];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`--${flag}: not JSON (${(err as Error).message})`);
  }
}

/** The failure policy: the flag, else the filter's envoy.yaml; opening a closed filter needs a second flag. */
function failurePolicyOf(
  filter: FilterInfo,
  flag: string | undefined,
  allowFailOpen: boolean,
): FailurePolicy {
  const policy =
    flag === undefined
      ? filter.defaults.failurePolicy
      : oneOf("failure-policy", flag, FAILURE_POLICIES);
  if (policy === "FAIL_OPEN" && filter.defaults.failurePolicy !== "FAIL_OPEN" && !allowFailOpen) {
    throw new Error(
      `--failure-policy FAIL_OPEN: filter "${filter.name}" runs ${filter.defaults.failurePolicy} (auth and policy filters must not let traffic through when they break); add --allow-fail-open to override`,
    );
  }
  return policy;
}

/**
 * `meshwasm manifest <filter> --image <registry/repo:tag | https://…/x.wasm> [--kind K]…`
 * `meshwasm manifest --examples` rewrites envoy/istio, envoy/gateway and envoy/compose/envoy.yaml.
 */
export async function manifestCommand(argv: string[], root = process.cwd()): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      image: { type: "string" },
      kind: { type: "string", multiple: true },
      digest: { type: "string" },
      layout: { type: "string" },
      format: { type: "string", default: "image" },
      config: { type: "string" },
      "config-json": { type: "string" },
      selector: { type: "string" },
      "target-ref": { type: "string", multiple: true },
      namespace: { type: "string" },
      name: { type: "string" },
      phase: { type: "string" },
      priority: { type: "string" },
      "failure-policy": { type: "string" },
      "allow-fail-open": { type: "boolean" },
      "pull-secret": { type: "string" },
      examples: { type: "boolean" },
    },
  });
  if (values.examples) {
    const files = await generatedFiles(root);
    for (const [path, content] of files) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    return [...files.keys()].map((p) => `wrote ${p}`).join("\n");
  }
  if (positionals.length !== 1) throw new Error("manifest: expected one filter name");
  if (values.image === undefined)
    throw new Error("manifest: --image is required (registry/repository:tag or an http(s) URL)");
  const filter = loadFilter(positionals[0] as string, root);
  const configuration = readConfiguration(values) ?? filter.defaults.configuration;
  validateConfiguration(filter, configuration);

  const http = /^https?:\/\//.test(values.image);
  let sha256: string;
  if (values.digest !== undefined) {
    const m = /^(sha256:)?([a-f0-9]{64})$/.exec(values.digest);
    if (!m?.[2])
      throw new Error(`--digest: expected sha256:<64 hex digits>, got "${values.digest}"`);
    sha256 = m[2];
  } else if (values.layout !== undefined) {
    if (http)
      throw new Error(
        "--layout: an http(s) --image is pinned by the module's sha256, not an image digest",
      );
    sha256 = (await readLayoutManifest(values.layout)).descriptor.digest.slice("sha256:".length);
  } else {
    const { wasm } = moduleOf(filter.name, root);
    const format = oneOf<PackageFormat>("format", values.format as string, PACKAGE_FORMATS);
    // Packaging is reproducible: the digest here is the one `meshwasm package` printed.
    sha256 = http
      ? sha256Hex(wasm)
      : (await packageModule({ wasm, format })).digest.slice("sha256:".length);
  }

  const input: ManifestInput = {
    name: values.name ?? filter.name.toLowerCase().replace(/[^a-z0-9-]/g, "-"),
    source: values.image,
    sha256,
    rootId: filter.defaults.rootId,
    configuration,
    failurePolicy: failurePolicyOf(
      filter,
      values["failure-policy"],
      values["allow-fail-open"] ?? false,
    ),
  };
  if (values.namespace !== undefined) input.namespace = values.namespace;
  if (values.selector !== undefined) input.selector = parseSelector(values.selector);
  if (values["target-ref"]) input.targetRefs = values["target-ref"].map(parseTargetRef);
  if (values.phase !== undefined)
    input.phase = oneOf("phase", values.phase, ["AUTHN", "AUTHZ", "STATS"] as const);
  if (values.priority !== undefined) {
    const priority = Number(values.priority);
    if (!Number.isInteger(priority))
      throw new Error(`--priority: expected an integer, got "${values.priority}"`);
    input.priority = priority;
  }
  if (values["pull-secret"] !== undefined) input.pullSecret = values["pull-secret"];

  const kinds = (values.kind ?? ["TrafficExtension"]).map((k) =>
    oneOf<ManifestKind>("kind", k, MANIFEST_KINDS),
  );
  return toYaml(kinds.map((kind) => MANIFEST_BUILDERS[kind](input))).trimEnd();
}

/**
 * `meshwasm envoy-config <filter...> [--path-prefix /etc/envoy/modules | --url-prefix https://host/path]`
 * `meshwasm envoy-config --compose [filter...]` writes envoy/compose/envoy.yaml (default: hello).
 */
export async function envoyConfigCommand(argv: string[], root = process.cwd()): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "path-prefix": { type: "string" },
      "url-prefix": { type: "string" },
      cluster: { type: "string" },
      "failure-policy": { type: "string" },
      "allow-fail-open": { type: "boolean" },
      config: { type: "string" },
      "config-json": { type: "string" },
      compose: { type: "boolean" },
    },
  });
  if (values.compose) {
    const names = positionals.length > 0 ? positionals : COMPOSE_FILTERS;
    const path = join(root, "envoy", "compose", "envoy.yaml");
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, composeEnvoyConfig(names, root));
    return `wrote envoy/compose/envoy.yaml (${names.join(", ")})`;
  }
  if (positionals.length === 0) throw new Error("envoy-config: expected one or more filter names");
  if (values["path-prefix"] !== undefined && values["url-prefix"] !== undefined) {
    throw new Error("--path-prefix and --url-prefix: give one, not both");
  }
  const configuration = readConfiguration(values);
  if (configuration !== undefined && positionals.length > 1) {
    throw new Error("--config: applies to one filter; name only one");
  }
  const filters = positionals.map((name) => {
    const filter = loadFilter(name, root);
    const options: SnippetOptions = {};
    if (values["path-prefix"] !== undefined)
      options.path = `${values["path-prefix"].replace(/\/$/, "")}/${name}.wasm`;
    if (values["url-prefix"] !== undefined)
      options.url = `${values["url-prefix"].replace(/\/$/, "")}/${name}.wasm`;
    if (values.cluster !== undefined) options.cluster = values.cluster;
    if (configuration !== undefined) options.configuration = configuration;
    options.failurePolicy = failurePolicyOf(
      filter,
      values["failure-policy"],
      values["allow-fail-open"] ?? false,
    );
    return { filter, options };
  });
  return envoySnippet(filters).trimEnd();
}

/** The subcommands this module serves, for the CLI's dispatcher. */
export const SHIP_COMMANDS = {
  package: packageCommand,
  push: pushCommand,
  manifest: manifestCommand,
  "envoy-config": envoyConfigCommand,
} as const;
