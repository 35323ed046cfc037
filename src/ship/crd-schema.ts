/**
 * Validates manifests against a CustomResourceDefinition's OpenAPI v3 schema, with Ajv.
 *
 * A CRD's schema is a Kubernetes "structural schema": OpenAPI v3 plus `x-kubernetes-*`
 * extensions. To check it the way `kubectl apply` (strict field validation) does, it is turned
 * into plain JSON Schema:
 *   - objects with `properties` refuse unknown fields (the API server's strict validation),
 *     unless marked `x-kubernetes-preserve-unknown-fields`;
 *   - `x-kubernetes-int-or-string` becomes "integer or string";
 *   - `nullable: true` admits null;
 *   - apiVersion, kind and metadata.name are pinned to the CRD's group, version, kind and the
 *     Kubernetes name rules.
 * Not checked: `x-kubernetes-validations` (CEL rules; the API server evaluates them) and
 * formats such as int32; `celRules` counts what is left to the server.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";

type Schema = Record<string, unknown>;

export interface CrdValidator {
  group: string;
  version: string;
  kind: string;
  /** How many CEL rules the schema carries (not evaluated here). */
  celRules: number;
  /** Errors as `path: message` lines; empty when the manifest is valid. */
  validate(manifest: unknown): string[];
}

/** The keywords whose value maps field names to schemas: its keys are names, not keywords,
 *  so a field called `description` or `nullable` stays a field. */
const SCHEMA_MAPS = new Set(["properties", "patternProperties"]);

function convert(node: unknown, count: { cel: number }): unknown {
  if (Array.isArray(node)) return node.map((n) => convert(n, count));
  if (!node || typeof node !== "object") return node;
  const src = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(src)) {
    // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: equivalent, Ajv (strict: false, validateFormats: false) ignores these annotations when they stay
    if (key === "description" || key === "format" || key === "default" || key === "example")
      continue;
    if (key === "x-kubernetes-validations") {
      count.cel += (value as unknown[]).length;
      continue;
    }
    // Stryker disable next-line MethodExpression: equivalent, `endsWith` keeps the x-kubernetes-* keys, unknown keywords Ajv ignores with strict: false (a kept `nullable`, which Ajv reads, is killed)
    if (key.startsWith("x-kubernetes-") || key === "nullable") continue;
    if (key === "enum") out[key] = value;
    else if (SCHEMA_MAPS.has(key) && value !== null && typeof value === "object")
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([name, field]) => [name, convert(field, count)]),
      );
    else out[key] = convert(value, count);
  }
  if (src["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (src.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
  if (src.nullable === true && Array.isArray(out.enum)) out.enum = [...out.enum, null];
  const preserve = src["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.properties && out.additionalProperties === undefined && !preserve)
    out.additionalProperties = false;
  return out;
}

/**
 * Loads one CRD (by `<plural>.<group>`) from a YAML file of one or more CRDs.
 *
 * @example const check = loadCrdValidator(file, "wasmplugins.extensions.istio.io"); check.validate(manifest)
 */
export function loadCrdValidator(file: string, crdName: string, version?: string): CrdValidator {
  const docs = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as Schema | null);
  const crd = docs.find((d) => (d?.metadata as Schema | undefined)?.name === crdName);
  if (!crd) throw new Error(`${file}: no CustomResourceDefinition named ${crdName}`);
  const spec = crd.spec as { group: string; names: { kind: string }; versions: Schema[] };
  const v = version
    ? spec.versions.find((x) => x.name === version)
    : spec.versions.find((x) => x.storage === true);
  if (!v) throw new Error(`${crdName}: no version ${version ?? "(storage)"}`);
  const count = { cel: 0 };
  const openApi = convert((v.schema as Schema).openAPIV3Schema, count) as Schema;
  const props = { ...(openApi.properties as Schema) };
  props.apiVersion = { const: `${spec.group}/${v.name}` };
  props.kind = { const: spec.names.kind };
  props.metadata = {
    type: "object",
    required: ["name"],
    properties: {
      name: {
        type: "string",
        maxLength: 253,
        pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
      },
      namespace: { type: "string", maxLength: 63, pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
      labels: { type: "object", additionalProperties: { type: "string" } },
      annotations: { type: "object", additionalProperties: { type: "string" } },
    },
  };
  const schema = {
    ...openApi,
    properties: props,
    required: ["apiVersion", "kind", "metadata", "spec"],
  };
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    // Stryker disable next-line BooleanLiteral: equivalent, convert drops every `format`, so there is none left to validate
    validateFormats: false,
  });
  const check: ValidateFunction = ajv.compile(schema);
  return {
    group: spec.group,
    version: v.name as string,
    kind: spec.names.kind,
    celRules: count.cel,
    validate(manifest) {
      if (check(manifest)) return [];
      // Stryker disable next-line ArrayDeclaration: equivalent, Ajv sets errors whenever the check fails
      return (check.errors ?? []).map((e) => {
        const extra =
          e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : "";
        return `${e.instancePath || "/"}: ${e.message}${extra}`;
      });
    },
  };
}
