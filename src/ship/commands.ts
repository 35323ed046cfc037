/**
 * What the shipping subcommands of `meshwasm` do (package, manifest, envoy-config; push is
 * `pushLayout`): each returns what it prints, and throws with a message that names the flag and
 * the value. The commander definitions live in src/cli/commands/.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { FailurePolicy } from "../plugin.ts";
import { envoySnippet, type SnippetOptions } from "./envoy-config.ts";
import { FAILURE_POLICIES, type FilterInfo, loadFilter, validateConfiguration } from "./filters.ts";
import { COMPOSE_FILTERS, composeEnvoyConfig, generatedFiles } from "./generated.ts";
import {
  gatewayDefaults,
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
  cwd: string,
): { name: string; wasm: Uint8Array; filter?: FilterInfo } {
  if (arg.endsWith(".wasm")) {
    const path = resolve(cwd, arg);
    if (!existsSync(path)) throw new Error(`module: ${arg} does not exist`);
    return { name: basename(arg, ".wasm"), wasm: readFileSync(path) };
  }
  const filter = loadFilter(arg, root);
  if (!existsSync(filter.wasmPath)) {
    throw new Error(`filter "${arg}": ${filter.wasmPath} is missing (run npm run build -- ${arg})`);
  }
  return { name: arg, wasm: readFileSync(filter.wasmPath), filter };
}

export interface PackageCommandOptions {
  format?: string;
  out?: string;
  tag?: string;
}

/** `meshwasm package <filter|file.wasm>`: writes the layout, returns the lines to print.
 *  Paths the user typed (a .wasm, --out) are taken from `cwd`, the folder the command runs
 *  in; the default output goes under the project's `root`. */
export async function packageCommand(
  target: string,
  opts: PackageCommandOptions,
  root: string,
  cwd: string = root,
): Promise<string> {
  const format = oneOf<PackageFormat>("format", opts.format ?? "image", PACKAGE_FORMATS);
  const { name, wasm, filter } = moduleOf(target, root, cwd);
  const options: Parameters<typeof packageModule>[0] = {
    wasm,
    format,
    rootIds: [filter?.defaults.rootId ?? name],
  };
  // Stryker disable next-line ConditionalExpression: equivalent, `true` sets tag: undefined, which packageModule takes as no tag
  if (opts.tag !== undefined) options.tag = opts.tag;
  const pkg = await packageModule(options);
  const out =
    opts.out === undefined
      ? resolve(root, "build", "oci", `${name}-${format}`)
      : resolve(cwd, opts.out);
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

function readConfiguration(values: { config?: string; configJson?: string }, cwd: string): unknown {
  if (values.config !== undefined && values.configJson !== undefined) {
    throw new Error("--config and --config-json: give one, not both");
  }
  let text: string | undefined;
  let flag = "config-json";
  if (values.config !== undefined) {
    flag = "config";
    try {
      text = readFileSync(resolve(cwd, values.config), "utf8");
    } catch (err) {
      throw new Error(`--config: cannot read ${values.config} (${(err as Error).message})`);
    }
  } else {
    text = values.configJson;
  }
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

export interface ManifestCommandOptions {
  image?: string;
  kind?: string[];
  digest?: string;
  layout?: string;
  format?: string;
  config?: string;
  configJson?: string;
  selector?: string;
  targetRef?: string[];
  namespace?: string;
  name?: string;
  phase?: string;
  priority?: string;
  failurePolicy?: string;
  allowFailOpen?: boolean;
  pullSecret?: string;
}

/** `meshwasm manifest --examples`: rewrites envoy/istio, envoy/gateway and envoy/compose/envoy.yaml. */
export async function writeExamples(root: string): Promise<string> {
  const files = await generatedFiles(root);
  for (const [path, content] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return [...files.keys()].map((p) => `wrote ${p}`).join("\n");
}

/** `meshwasm manifest <filter> --image <registry/repo:tag | https://…/x.wasm>`: the YAML to print. */
export async function manifestCommand(
  name: string,
  values: ManifestCommandOptions,
  root: string,
  cwd: string = root,
): Promise<string> {
  if (values.image === undefined)
    throw new Error("--image is required (registry/repository:tag or an http(s) URL)");
  const filter = loadFilter(name, root);
  const configuration = readConfiguration(values, cwd) ?? filter.defaults.configuration;
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
    sha256 = (await readLayoutManifest(resolve(cwd, values.layout))).descriptor.digest.slice(
      "sha256:".length,
    );
  } else {
    const { wasm } = moduleOf(filter.name, root, cwd);
    const format = oneOf<PackageFormat>("format", values.format ?? "image", PACKAGE_FORMATS);
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
    failurePolicy: failurePolicyOf(filter, values.failurePolicy, values.allowFailOpen ?? false),
  };
  // Stryker disable next-line ConditionalExpression: equivalent, an undefined namespace written is read as absent (metadata and check test `!== undefined`)
  if (values.namespace !== undefined) input.namespace = values.namespace;
  if (values.selector !== undefined) input.selector = parseSelector(values.selector);
  if (values.targetRef?.length) input.targetRefs = values.targetRef.map(parseTargetRef);
  if (values.phase !== undefined)
    input.phase = oneOf("phase", values.phase, ["AUTHN", "AUTHZ", "STATS"] as const);
  if (values.priority !== undefined) {
    const priority = Number(values.priority);
    if (!Number.isInteger(priority))
      throw new Error(`--priority: expected an integer, got "${values.priority}"`);
    input.priority = priority;
  }
  // Stryker disable next-line ConditionalExpression: equivalent, `true` sets pullSecret: undefined, which every builder skips as it skips a missing one
  if (values.pullSecret !== undefined) input.pullSecret = values.pullSecret;

  const kinds = (values.kind?.length ? values.kind : ["TrafficExtension"]).map((k) =>
    oneOf<ManifestKind>("kind", k, MANIFEST_KINDS),
  );
  // Envoy Gateway cannot reload: a FAIL_RELOAD taken from the filter goes there closed.
  const forKind = (kind: ManifestKind) =>
    kind === "EnvoyExtensionPolicy" && values.failurePolicy === undefined
      ? gatewayDefaults(input)
      : input;
  return toYaml(kinds.map((kind) => MANIFEST_BUILDERS[kind](forKind(kind)))).trimEnd();
}

export interface EnvoyConfigCommandOptions {
  pathPrefix?: string;
  urlPrefix?: string;
  cluster?: string;
  failurePolicy?: string;
  allowFailOpen?: boolean;
  config?: string;
  configJson?: string;
}

/** `meshwasm envoy-config --compose [filter...]`: writes envoy/compose/envoy.yaml (default: hello). */
export async function writeComposeConfig(names: string[], root: string): Promise<string> {
  const filters = names.length > 0 ? names : COMPOSE_FILTERS;
  const path = join(root, "envoy", "compose", "envoy.yaml");
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, composeEnvoyConfig(filters, root));
  return `wrote envoy/compose/envoy.yaml (${filters.join(", ")})`;
}

/** `meshwasm envoy-config <filter...>`: the http_filters entries as YAML. */
export async function envoyConfigCommand(
  names: string[],
  values: EnvoyConfigCommandOptions,
  root: string,
  cwd: string = root,
): Promise<string> {
  if (names.length === 0) throw new Error("expected one or more filter names");
  if (values.pathPrefix !== undefined && values.urlPrefix !== undefined) {
    throw new Error("--path-prefix and --url-prefix: give one, not both");
  }
  const configuration = readConfiguration(values, cwd);
  if (configuration !== undefined && names.length > 1) {
    throw new Error("--config: applies to one filter; name only one");
  }
  const filters = names.map((name) => {
    const filter = loadFilter(name, root);
    const options: SnippetOptions = {};
    if (values.pathPrefix !== undefined)
      options.path = `${values.pathPrefix.replace(/\/$/, "")}/${name}.wasm`;
    if (values.urlPrefix !== undefined)
      options.url = `${values.urlPrefix.replace(/\/$/, "")}/${name}.wasm`;
    // Stryker disable next-line ConditionalExpression: equivalent, `true` sets cluster: undefined, which filterOptions takes as no cluster
    if (values.cluster !== undefined) options.cluster = values.cluster;
    // Stryker disable next-line ConditionalExpression: equivalent, `true` sets configuration: undefined, which filterOptions takes as none given
    if (configuration !== undefined) options.configuration = configuration;
    options.failurePolicy = failurePolicyOf(
      filter,
      values.failurePolicy,
      values.allowFailOpen ?? false,
    );
    return { filter, options };
  });
  return envoySnippet(filters).trimEnd();
}
