/**
 * What the shipping commands know about a filter: where it lives (found the way every
 * `meshwasm` command finds filters), its built module, its configuration schema, and the settings its own
 * `envoy.yaml` runs it with (configuration, root id, failure policy), which serve as the
 * defaults of every manifest made for it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { type Filter, Project } from "../cli/project.ts";
import type { FailurePolicy } from "../plugin.ts";

export const FAILURE_POLICIES: readonly FailurePolicy[] = [
  "FAIL_CLOSED",
  "FAIL_OPEN",
  "FAIL_RELOAD",
];

export interface FilterInfo {
  name: string;
  /** The filter's folder. */
  dir: string;
  /** `build/<name>.wasm` (present once `npm run build` ran). */
  wasmPath: string;
  /** The parsed `schema.json`, when the filter has one. */
  schema?: Record<string, unknown>;
  /** The settings of the filter in its own envoy.yaml, when it has one. */
  defaults: {
    rootId: string;
    configuration?: unknown;
    failurePolicy: FailurePolicy;
  };
}

/** Every filter of the project around `root` (the CLI's own discovery: filters/, examples/, and
 *  the folders listed under "meshwasm.filterDirs" in package.json). */
export function listFilters(root = process.cwd()): string[] {
  return Project.find(root)
    .filters()
    .map((f) => f.name);
}

/** Finds a filter by name and reads its schema.json and envoy.yaml. */
export function loadFilter(name: string, root = process.cwd()): FilterInfo {
  const project = Project.find(root);
  const [found] = project.select([name]);
  const dir = (found as Filter).folder;
  const info: FilterInfo = {
    name,
    dir,
    wasmPath: project.wasmPath(name),
    defaults: { rootId: name, failurePolicy: "FAIL_CLOSED" },
  };
  const schemaPath = join(dir, "schema.json");
  if (existsSync(schemaPath)) {
    try {
      // Stryker disable next-line StringLiteral: equivalent, without an encoding readFileSync gives a Buffer, which JSON.parse reads as UTF-8 text all the same
      info.schema = JSON.parse(readFileSync(schemaPath, "utf8"));
    } catch (err) {
      throw new Error(`filter "${name}": ${schemaPath} is not JSON (${(err as Error).message})`);
    }
  }
  const envoyYaml = join(dir, "envoy.yaml");
  if (existsSync(envoyYaml))
    Object.assign(info.defaults, envoyDefaults(name, readFileSync(envoyYaml, "utf8")));
  return info;
}

/** The wasm filter's settings in an envoy.yaml: the one whose module is `<name>.wasm`, else the first. */
function envoyDefaults(name: string, yaml: string): Partial<FilterInfo["defaults"]> {
  const configs: Record<string, unknown>[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const obj = node as Record<string, unknown>;
      const typed = obj.typed_config as Record<string, unknown> | undefined;
      if (
        typeof typed?.["@type"] === "string" &&
        typed["@type"].endsWith("filters.http.wasm.v3.Wasm")
      ) {
        configs.push((typed.config ?? {}) as Record<string, unknown>);
      }
      Object.values(obj).forEach(walk);
    }
  };
  walk(parse(yaml));
  const ours =
    configs.find((c) => JSON.stringify(c.vm_config ?? {}).includes(`${name}.wasm`)) ?? configs[0];
  if (!ours) return {};
  const out: Partial<FilterInfo["defaults"]> = {};
  if (typeof ours.root_id === "string") out.rootId = ours.root_id;
  const policy = ours.failure_policy;
  if (typeof policy === "string" && (FAILURE_POLICIES as string[]).includes(policy)) {
    out.failurePolicy = policy as FailurePolicy;
  }
  const value = (ours.configuration as { value?: unknown } | undefined)?.value;
  // Stryker disable next-line ConditionalExpression: equivalent, `true` parses a missing value, whose SyntaxError the catch below drops as it drops any text that is not JSON
  if (typeof value === "string") {
    try {
      out.configuration = JSON.parse(value);
    } catch {
      // A configuration that is not JSON is not one a manifest can carry as pluginConfig.
    }
  }
  return out;
}

/**
 * Checks a configuration against the filter's schema.json (JSON Schema 2020-12), when it has
 * one; throws naming every field that is wrong and its value.
 */
export function validateConfiguration(filter: FilterInfo, configuration: unknown): void {
  if (
    configuration !== undefined &&
    (typeof configuration !== "object" || Array.isArray(configuration))
  ) {
    throw new Error(
      `filter "${filter.name}": configuration must be a JSON object, got ${JSON.stringify(configuration)}`,
    );
  }
  if (!filter.schema) return;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // Patterns are RE2 syntax, which JavaScript's RegExp neither accepts nor refuses the same
  // way; the filter compiles them at start and names the position of a mistake. Here the
  // format is an annotation only (Ajv would otherwise warn that it does not know it).
  ajv.addFormat("regex", true);
  const validate = ajv.compile(filter.schema);
  if (validate(configuration ?? {})) return;
  // Stryker disable next-line ArrayDeclaration: equivalent, Ajv sets errors whenever the check fails
  const problems = (validate.errors ?? []).map((e) => {
    const path = e.instancePath
      .split("/")
      .slice(1)
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const field = path.join(".") || "(root)";
    if (e.keyword === "additionalProperties") {
      return `field "${field}": unknown field "${String(e.params.additionalProperty)}"`;
    }
    let value: unknown = configuration ?? {};
    // Stryker disable next-line OptionalChaining: equivalent, an error's instance path leads through values that exist
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    return `field "${field}": ${e.message}, got ${JSON.stringify(value)}`;
  });
  throw new Error(`filter "${filter.name}": invalid configuration: ${problems.join("; ")}`);
}
